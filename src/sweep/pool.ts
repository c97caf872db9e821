/**
 * Seed sweeps on worker threads (piscina): every seed of the list is one task run by
 * dist/src/sweep/worker.js. Lines come back in SEED order (a small reorder buffer), so the
 * output of a sweep does not depend on which worker finished first. At most a few tasks per
 * worker are in flight, so a sweep of a million seeds does not queue a million promises.
 * The worker always runs the COMPILED code (`npm run build`; `npm test` builds first).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { seedListOf, type SeedList } from './shard.js';
import type { SweepLine, SweepTask } from './worker.js';
import type { RunReplay } from '../scenario/replay-ref.js';

export interface SweepOptions {
  readonly scenario: string;
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

const IN_FLIGHT_PER_WORKER = 4;
/** Failing seeds the summary lists: a sweep of millions that all fail must not hold them all. */
export const FAILING_LISTED_MAX = 1_000;

/** The compiled worker module (from dist/ also when this file runs from src/ under vitest). */
export function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const built = here.endsWith('.ts') ? here.replace(/[\\/]src[\\/]sweep[\\/]pool\.ts$/, '/dist/src/sweep/worker.js') : here.replace(/pool\.js$/, 'worker.js');
  if (!existsSync(built)) throw new Error(`sweep worker ${built} is not built: run \`npm run build\` first`);
  return built;
}

export async function runSweep(options: SweepOptions): Promise<SweepSummary> {
  const seeds: SeedList = Array.isArray(options.seeds) ? seedListOf(options.seeds as readonly string[]) : (options.seeds as SeedList);
  const workers = Math.max(1, Math.floor(options.workers));
  const pool = new Piscina({ filename: workerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 1_000 });
  const lines = new Map<number, SweepLine>();
  let next = 0;
  let emitted = 0;
  let passed = 0;
  let failed = 0;
  const failing: { seed: string; replay: RunReplay; violations: readonly string[] }[] = [];
  const flush = (): void => {
    for (let line = lines.get(emitted); line !== undefined; line = lines.get(emitted)) {
      lines.delete(emitted);
      emitted++;
      if (line.verdict === 'pass') passed++;
      else if (++failed <= FAILING_LISTED_MAX) failing.push({ seed: line.seed, replay: line.replay, violations: line.violations });
      options.onLine?.(line, emitted);
    }
  };
  const lane = async (): Promise<void> => {
    while (next < seeds.length) {
      const i = next++;
      const task: SweepTask = { scenario: options.scenario, seed: seeds.seedAt(i), ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }) };
      lines.set(i, (await pool.run(task)) as SweepLine);
      flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(seeds.length, workers * IN_FLIGHT_PER_WORKER) }, lane));
  } finally {
    await pool.destroy();
  }
  return { scenario: options.scenario, seeds: seeds.length, passed, failed, workers, failing, failingNotListed: failed - failing.length };
}
