/**
 * A seeded Rng for Plumtree tests: seedrandom's xor4096 behind the protocol's Rng interface.
 * Seeds are passed as strings (a number and its string give different streams).
 */
import seedrandom from 'seedrandom';
import type { Rng } from '../../src/protocol/rng.js';

export function ptRng(seed: number | string): Rng {
  const prng = seedrandom.xor4096(String(seed));
  const nextU32 = (): number => prng.int32() >>> 0;
  const int = (maxExclusive: number): number => {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) throw new Error(`bad bound ${maxExclusive}`);
    return Math.floor(prng.double() * maxExclusive);
  };
  const rng: Rng = {
    nextU32,
    int,
    rangeInclusive: (lo, hi) => lo + int(hi - lo + 1),
    chance: (num, den) => int(den) < num,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from empty array');
      return items[int(items.length)];
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
    bytes: (n) => Uint8Array.from({ length: n }, () => nextU32() & 0xff),
  };
  return rng;
}
