/**
 * Plain-text tables and timing helpers shared by every benchmark section.
 *
 * A section is a title and rows of cells; columns are right-aligned except the first. Timing
 * takes the median of several repetitions after a warm-up, so one GC pause or JIT tier-up
 * does not decide a number. Benchmarks may read the wall clock; nothing in src/ imports this.
 */

/** One table row: column name → cell (numbers are printed as given by the caller). */
export type Row = Record<string, string | number>;

/** Prints `title` and `rows` as an aligned table (columns taken from the first row). */
export function section(title: string, rows: readonly Row[]): void {
  console.log(`\n== ${title} ==`);
  if (rows.length === 0) {
    console.log('(no rows)');
    return;
  }
  const columns = Object.keys(rows[0]);
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]): string =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Wall milliseconds of `fn()`. */
export function timeMs(fn: () => void): number {
  const startMs = performance.now();
  fn();
  return performance.now() - startMs;
}

/** Runs `fn` `warmups` times untimed, then `reps` times timed; returns the median wall ms. */
export function medianMs(fn: () => void, reps: number, warmups = 1): number {
  for (let i = 0; i < warmups; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(timeMs(fn));
  return median(times);
}

/** A rate like "3.21 M/s" (per second, given a count and wall ms). */
export function rate(count: number, wallMs: number): string {
  const perSec = (count * 1000) / wallMs;
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k/s`;
  return `${perSec.toFixed(0)} /s`;
}

/** A deterministic xorshift32 generator for benchmark inputs (uniform in [0, 1)). */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}
