/**
 * Seed ranges and shards for `meshsim sweep`: `A..B` is every integer seed from A to B
 * inclusive; `--shard i/n` keeps the seeds at positions i-1, i-1+n, i-1+2n, … of the range
 * (strided, so slow and fast seeds spread evenly). The n shards of a range are disjoint and
 * together are exactly the range, whatever n. Parsers return error values. Pure.
 */

/** Largest range one sweep accepts. Seeds are computed by position, never listed, so memory does not grow with it. */
export const SWEEP_SEEDS_MAX = 10_000_000;

export interface SeedRange {
  readonly from: number;
  readonly to: number;
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function parseSeedRange(text: string): Parsed<SeedRange> {
  const m = /^(\d{1,15})\.\.(\d{1,15})$/.exec(text.trim());
  if (m === null) {
    // Seeds are counted as numbers here, so a range stops at 15 digits (a run's --seed takes 30).
    const long = /^\d+\.\.\d+$/.test(text.trim());
    return { ok: false, error: long ? `--seeds ${text.trim()}: a range takes seeds of at most 15 digits` : `--seeds must look like A..B with integers A ≤ B (got ${JSON.stringify(text)})` };
  }
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from > to) return { ok: false, error: `--seeds ${text}: the first seed is larger than the last` };
  if (to - from + 1 > SWEEP_SEEDS_MAX) return { ok: false, error: `--seeds ${text}: more than ${SWEEP_SEEDS_MAX} seeds (split it with --shard)` };
  return { ok: true, value: { from, to } };
}

export function parseShard(text: string): Parsed<Shard> {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  if (m === null) return { ok: false, error: `--shard must look like i/n, e.g. 1/4 (got ${JSON.stringify(text)})` };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return { ok: false, error: `--shard ${text}: need 1 ≤ i ≤ n` };
  return { ok: true, value: { index, count } };
}

/** The seeds a sweep runs, by position: a range is never materialized. */
export interface SeedList {
  readonly length: number;
  /** The seed at position i (0 ≤ i < length), as a decimal string. */
  seedAt(i: number): string;
}

/** The seeds of `range` that shard `shard` runs, ascending (lazy: constant memory however long). */
export function shardSeedList(range: SeedRange, shard: Shard = { index: 1, count: 1 }): SeedList {
  const first = range.from + (shard.index - 1);
  const length = first > range.to ? 0 : Math.floor((range.to - first) / shard.count) + 1;
  return {
    length,
    seedAt: (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= length) throw new RangeError(`seed position ${i} outside 0..${length - 1}`);
      return String(first + i * shard.count);
    },
  };
}

/** The same seeds as an array (for small ranges and tests). */
export function shardSeeds(range: SeedRange, shard: Shard = { index: 1, count: 1 }): string[] {
  const list = shardSeedList(range, shard);
  return Array.from({ length: list.length }, (_, i) => list.seedAt(i));
}

/** A list of seeds already in hand, as a SeedList. */
export function seedListOf(seeds: readonly string[]): SeedList {
  return { length: seeds.length, seedAt: (i) => seeds[i] };
}
