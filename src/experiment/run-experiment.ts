/**
 * Runs an experiment on the sweep's worker pool: the task list is points × seeds, point-major
 * (seed order within a point), optionally one strided shard of it (`--shard i/n` keeps tasks
 * i-1, i-1+n, …, so the n shards are disjoint and together are every run). Tasks are made
 * from their index, never listed. Lines come back in task order whatever the worker count.
 */
import { compiledSibling, runOrdered } from '../sweep/ordered-pool.js';
import type { SeedRange, Shard } from '../sweep/shard.js';
import type { ExperimentPoint } from './experiment-file.js';
import type { ExperimentLine, ExperimentTask } from './worker.js';

/** Most runs one invocation accepts (split larger ones with --shard). */
export const EXPERIMENT_RUNS_MAX = 10_000_000;

export interface ExperimentRunOptions {
  readonly points: readonly ExperimentPoint[];
  readonly seeds: SeedRange;
  readonly shard?: Shard;
  readonly workers: number;
  readonly onLine: (line: ExperimentLine, done: number) => void;
  /** Heap limit of each worker thread, MB (default: V8's). */
  readonly heapMb?: number;
  /** Young generation of each worker thread, MB (default: V8's). */
  readonly youngMb?: number;
}

/** How many runs the (sharded) task list has. */
export function experimentRunCount(points: number, seeds: SeedRange, shard: Shard = { index: 1, count: 1 }): number {
  const total = points * (seeds.to - seeds.from + 1);
  return Math.max(0, Math.ceil((total - (shard.index - 1)) / shard.count));
}

/** The task at position `k` of the (sharded) list. */
export function experimentTaskAt(points: readonly ExperimentPoint[], seeds: SeedRange, shard: Shard, k: number): ExperimentTask {
  const seedCount = seeds.to - seeds.from + 1;
  const g = shard.index - 1 + k * shard.count;
  const point = points[Math.floor(g / seedCount)];
  return { point: point.index, base: point.base, seed: String(seeds.from + (g % seedCount)) };
}

export async function runExperiment(options: ExperimentRunOptions): Promise<void> {
  const shard = options.shard ?? { index: 1, count: 1 };
  await runOrdered<ExperimentTask, ExperimentLine>({
    filename: compiledSibling(import.meta.url, 'worker.js'),
    workers: options.workers,
    count: experimentRunCount(options.points.length, options.seeds, shard),
    taskAt: (k) => experimentTaskAt(options.points, options.seeds, shard, k),
    onResult: (line, _k, done) => options.onLine(line, done),
    ...(options.heapMb === undefined ? {} : { heapMb: options.heapMb }),
    ...(options.youngMb === undefined ? {} : { youngMb: options.youngMb }),
  });
}
