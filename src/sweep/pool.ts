/**
 * Seed sweeps on worker threads (piscina): every seed of the list is one task run by
 * dist/src/sweep/worker.js. Lines come back in SEED order (a small reorder buffer), so the
 * output of a sweep does not depend on which worker finished first. At most a few tasks per
 * worker are in flight, so a sweep of a million seeds does not queue a million promises.
 * The worker always runs the COMPILED code (`npm run build`; `npm test` builds first).
 */
import { compiledSibling, runOrdered } from './ordered-pool.js';
import { seedListOf, type SeedList } from './shard.js';
import type { SweepLine, SweepTask } from './worker.js';
import type { RunReplay } from '../scenario/replay-ref.js';

export interface SweepOptions {
  /** A registered scenario's name, or the path `file` was read from (shown, and in replays). */
  readonly scenario: string;
  /** A scenario file's object (SPEC §10.3), when `scenario` is its path. */
  readonly file?: unknown;
  /** Random chaos primitives added to every seed's run (`--chaos N`). */
  readonly chaos?: number;
  /** Heap limit of each worker thread, MB (default: V8's). */
  readonly heapMb?: number;
  /** Young generation of each worker thread, MB (default: V8's). */
  readonly youngMb?: number;
  /** The seeds in order: a list, or a lazy SeedList (a range of millions starts at once). */
  readonly seeds: readonly string[] | SeedList;
  /** Worker threads. */
  readonly workers: number;
  readonly durationMs?: number;
  /** Called once per seed, in seed order. */
  readonly onLine?: (line: SweepLine, done: number) => void;
}

export interface SweepSummary {
  readonly scenario: string;
  readonly seeds: number;
  readonly passed: number;
  readonly failed: number;
  readonly workers: number;
  /** The first FAILING_LISTED_MAX failing seeds with their replay commands, in seed order (every one was also handed to onLine). */
  readonly failing: readonly { readonly seed: string; readonly replay: RunReplay; readonly violations: readonly string[] }[];
  /** Failing seeds beyond the listed ones. */
  readonly failingNotListed: number;
}

/** Failing seeds the summary lists: a sweep of millions that all fail must not hold them all. */
export const FAILING_LISTED_MAX = 1_000;

export async function runSweep(options: SweepOptions): Promise<SweepSummary> {
  const seeds: SeedList = Array.isArray(options.seeds) ? seedListOf(options.seeds as readonly string[]) : (options.seeds as SeedList);
  const workers = Math.max(1, Math.floor(options.workers));
  let passed = 0;
  let failed = 0;
  const failing: { seed: string; replay: RunReplay; violations: readonly string[] }[] = [];
  await runOrdered<SweepTask, SweepLine>({
    filename: compiledSibling(import.meta.url, 'worker.js'),
    workers,
    count: seeds.length,
    taskAt: (i) => ({
      scenario: options.scenario,
      seed: seeds.seedAt(i),
      ...(options.file === undefined ? {} : { file: options.file }),
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    }),
    ...(options.heapMb === undefined ? {} : { heapMb: options.heapMb }),
    ...(options.youngMb === undefined ? {} : { youngMb: options.youngMb }),
    onResult: (line, _i, done) => {
      if (line.verdict === 'pass') passed++;
      else if (++failed <= FAILING_LISTED_MAX) failing.push({ seed: line.seed, replay: line.replay, violations: line.violations });
      options.onLine?.(line, done);
    },
  });
  return { scenario: options.scenario, seeds: seeds.length, passed, failed, workers, failing, failingNotListed: failed - failing.length };
}
