/**
 * A seeded Rng for tests: seedrandom's xor4096 behind the protocol's Rng interface.
 *
 * Seeds are always strings (seedrandom gives a number and its string different streams).
 * Test support only: src/ gets its randomness from the simulator's own streams.
 */
import seedrandom from 'seedrandom';
import type { Rng } from '../../src/protocol/rng.js';

const TWO_POW_32 = 2 ** 32;

export function createTestRng(seed: string | number): Rng {
  const prng = seedrandom.xor4096(String(seed));
  const nextU32 = (): number => prng.int32() >>> 0;
  const int = (maxExclusive: number): number => {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new Error(`int(maxExclusive): expected a positive safe integer, got ${maxExclusive}`);
    }
    if (maxExclusive > TWO_POW_32) return Math.floor(prng.double() * maxExclusive);
    // Rejection sampling keeps the draw unbiased.
    const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
    for (;;) {
      const draw = nextU32();
      if (draw < limit) return draw % maxExclusive;
    }
  };
  const rng: Rng = {
    nextU32,
    int,
    rangeInclusive: (lo, hi) => {
      if (hi < lo) throw new Error(`rangeInclusive: hi ${hi} < lo ${lo}`);
      return lo + int(hi - lo + 1);
    },
    chance: (num, den) => {
      if (den <= 0 || num < 0 || num > den) throw new Error(`chance: bad ratio ${num}/${den}`);
      return int(den) < num;
    },
    pick: (items) => {
      if (items.length === 0) throw new Error('pick: empty array');
      return items[int(items.length)]!;
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i]!;
        items[i] = items[j]!;
        items[j] = tmp;
      }
      return items;
    },
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = nextU32() & 0xff;
      return out;
    },
  };
  return rng;
}
