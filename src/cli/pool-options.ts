/**
 * `--shard i/n` and `--workers N`, shared by the commands that run on the worker pool (sweep,
 * experiment): parsed once, with one message for each mistake. Must not print.
 */
import { availableParallelism } from 'node:os';
import { parseShard, type Shard } from '../sweep/shard.js';
import { fail, quoted } from './errors.js';

/** Most worker threads a command may ask for. */
export const WORKERS_MAX = 256;

export interface PoolOptions {
  readonly shard: Shard | undefined;
  /** Default: the machine's available parallelism. */
  readonly workers: number;
}

export function parsePoolOptions(options: { readonly shard?: string; readonly workers?: string }): PoolOptions {
  let shard: Shard | undefined;
  if (options.shard !== undefined) {
    const parsed = parseShard(options.shard);
    shard = parsed.ok ? parsed.value : fail(parsed.error);
  }
  let workers = availableParallelism();
  if (options.workers !== undefined) {
    if (!/^\d+$/.test(options.workers) || Number(options.workers) < 1 || Number(options.workers) > WORKERS_MAX) fail(`--workers must be an integer from 1 to ${WORKERS_MAX} (got ${quoted(options.workers)})`);
    workers = Number(options.workers);
  }
  return { shard, workers };
}
