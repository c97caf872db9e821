/**
 * Seeded randomness for a run: one run seed, and named independent streams derived from it
 * (per node, per link, per primitive, workload), so that adding or removing one consumer does
 * not shift the draws of any other. Built on seedrandom's xor4096; seeds are always passed as
 * strings (a number and the same number as a string give different streams).
 */
import seedrandom from 'seedrandom';
import type { Rng } from '../protocol/rng.js';
import { assert } from './assert.js';

const TWO_POW_32 = 4294967296;
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** Character codes of the 16 hex digits. */
const HEX_DIGIT = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/** The hex of 8 bytes, `a`'s four then `b`'s, each low byte first (as `SimRng.bytes` lays them out), as one flat string. */
function hexOfWords(a: number, b: number): string {
  const d = HEX_DIGIT;
  return String.fromCharCode(
    d[(a >>> 4) & 15], d[a & 15], d[(a >>> 12) & 15], d[(a >>> 8) & 15],
    d[(a >>> 20) & 15], d[(a >>> 16) & 15], d[(a >>> 28) & 15], d[(a >>> 24) & 15],
    d[(b >>> 4) & 15], d[b & 15], d[(b >>> 12) & 15], d[(b >>> 8) & 15],
    d[(b >>> 20) & 15], d[(b >>> 16) & 15], d[(b >>> 28) & 15], d[(b >>> 24) & 15],
  );
}

/**
 * Generators: xor4096 (long period, ~1 KB of state, ~18 µs to seed) for the run's named
 * streams (SimRng), and xor128 (16 bytes of state, ~2 µs to seed) for streams a run makes by
 * the hundred thousand: one per link direction at 10,000 nodes, held in the link itself.
 */

/** What the draws read: seedrandom's PRNG interface, of which they use these two. */
export interface Generator {
  int32(): number;
  double(): number;
}

/**
 * Marsaglia's xor128 with seedrandom's seeding and output, bit for bit (test/rng.test.ts holds
 * it against `seedrandom.xor128`), in four fields of one object. seedrandom's version is a
 * closure over a state object plus the PRNG function (~200 bytes more per stream), and a run
 * holds one stream per link direction: 650,000 of them at 10,000 nodes.
 */
export class Xor128 implements Generator {
  private x = 0;
  private y = 0;
  private z = 0;
  private w = 0;

  constructor(seed: string) {
    // Mix the seed's UTF-16 code units into x, then discard 64 outputs (charCodeAt past the
    // end is NaN, which `| 0` turns into 0, as in seedrandom).
    for (let k = 0; k < seed.length + 64; k++) {
      this.x ^= seed.charCodeAt(k) | 0;
      this.int32();
    }
  }

  int32(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w ^= (this.w >>> 19) ^ t ^ (t >>> 8);
    return this.w;
  }

  /** 53 random bits in (0, 1), as seedrandom's `double`. */
  double(): number {
    for (;;) {
      const top = this.int32() >>> 11;
      const bot = (this.int32() >>> 0) / 0x100000000;
      const result = (top + bot) / (1 << 21);
      if (result !== 0) return result;
    }
  }
}

/** A uniform integer in [0, maxExclusive) from `g`: SimRng's `int`, also for generators held inline. */
export function drawInt(g: Generator, maxExclusive: number): number {
  // Checks on per-draw paths test first and build their message only on failure.
  if (!(Number.isSafeInteger(maxExclusive) && maxExclusive > 0)) assert(false, `bad bound ${maxExclusive}`);
  if (maxExclusive > TWO_POW_32) return Math.floor(g.double() * maxExclusive);
  // Rejection sampling keeps the draw unbiased.
  const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
  for (;;) {
    const x = g.int32() >>> 0;
    if (x < limit) return x % maxExclusive;
  }
}

/** True with probability num/den, drawn from `g`: SimRng's `chance`. */
export function drawChance(g: Generator, num: number, den: number): boolean {
  if (!(den > 0 && num >= 0 && num <= den)) assert(false, `bad ratio ${num}/${den}`);
  if (num === 0) return false;
  if (num === den) return true;
  return drawInt(g, den) < num;
}

export class SimRng implements Rng {
  private readonly prng: Generator;

  constructor(seed: string) {
    this.prng = seedrandom.xor4096(seed);
  }

  nextU32(): number {
    return this.prng.int32() >>> 0;
  }

  int(maxExclusive: number): number {
    return drawInt(this.prng, maxExclusive);
  }

  rangeInclusive(lo: number, hi: number): number {
    if (!(hi >= lo)) assert(false, `empty range [${lo}, ${hi}]`);
    return lo + this.int(hi - lo + 1);
  }

  chance(num: number, den: number): boolean {
    return drawChance(this.prng, num, den);
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty array');
    return items[this.int(items.length)];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let x = this.nextU32();
      for (let k = 0; k < 4 && i + k < n; k++) {
        out[i + k] = x & 0xff;
        x >>>= 8;
      }
    }
    return out;
  }

  /**
   * `nBytes` random bytes as lowercase hex: the same string as hex-encoding `bytes(nBytes)`,
   * without the buffers. Span ids (8 bytes) and trace ids (16) are drawn for every span: built
   * two characters at a time they were 15 and 31 intermediate strings each, about a tenth of all
   * bytes protocol-2k allocated after its boot (docs/performance.md, round 23); now built whole.
   */
  hex(nBytes: number): string {
    if (nBytes === 8) return hexOfWords(this.nextU32(), this.nextU32());
    if (nBytes === 16) return hexOfWords(this.nextU32(), this.nextU32()) + hexOfWords(this.nextU32(), this.nextU32());
    let out = '';
    for (let i = 0; i < nBytes; i += 4) {
      let x = this.nextU32();
      for (let k = 0; k < 4 && i + k < nBytes; k++) {
        out += HEX_BYTE[x & 0xff];
        x >>>= 8;
      }
    }
    return out;
  }
}

/** The run's seed and the streams forked from it by name. */
export class RngStreams {
  private readonly streams = new Map<string, SimRng>();

  constructor(readonly runSeed: string) {}

  /** The stream with this name; asking twice returns the same stream (it continues). */
  stream(name: string): SimRng {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new SimRng(this.seedOf(name));
      this.streams.set(name, s);
    }
    return s;
  }

  /** A fresh stream that nobody else shares, derived from the name (restarts from the beginning). */
  fork(name: string): SimRng {
    return new SimRng(this.seedOf(name));
  }

  /**
   * The seed of the stream named `name`, for an owner that holds its generator itself (a link
   * direction's xor128: asking twice restarts it, so ask once).
   */
  seedOf(name: string): string {
    return `${this.runSeed}/${name}`;
  }
}
