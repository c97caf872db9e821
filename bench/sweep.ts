/**
 * Seed sweep throughput: `meshsim sweep --scenario chaos-soak-9prim-1min` over SEEDS seeds on
 * 2 worker threads, run as the user runs it (the built CLI in a child process), reporting
 * seeds per minute from the sweep's own summary (goal: ≥ 1000 one-minute soak seeds/min on
 * 2 cores). MESHSIM_BENCH_SWEEP_SEEDS sets the number of seeds (default 20).
 */
import { spawnSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './table.js';

const SCENARIO = 'chaos-soak-9prim-1min';
const FALLBACK_SCENARIO = 'kill-node';
const WORKERS = 2;
const GOAL_SEEDS_PER_MIN = 1_000;

/** bin/meshsim.js, from dist/bench/ (built) or bench/ (sources). */
function binPath(): string {
  const parent = dirname(dirname(fileURLToPath(import.meta.url)));
  const root = basename(parent) === 'dist' ? dirname(parent) : parent;
  return join(root, 'bin', 'meshsim.js');
}

export function run(): Row[] {
  const seeds = Number(process.env.MESHSIM_BENCH_SWEEP_SEEDS ?? 20);
  const bin = binPath();
  const listed = spawnSync(process.execPath, [bin, 'list'], { encoding: 'utf8' });
  const scenario = listed.stdout.includes(SCENARIO) ? SCENARIO : FALLBACK_SCENARIO;
  const r = spawnSync(process.execPath, [bin, 'sweep', '--scenario', scenario, '--seeds', `1..${seeds}`, '--workers', String(WORKERS), '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let summary: { seeds: number; passed: number; failed: number; wallMs: number; seedsPerMin: number };
  try {
    summary = JSON.parse(last) as typeof summary;
  } catch {
    throw new Error(`sweep printed no summary (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
  }
  return [
    {
      scenario,
      workers: WORKERS,
      seeds: summary.seeds,
      passed: summary.passed,
      failed: summary.failed,
      'wall s': (summary.wallMs / 1000).toFixed(1),
      'seeds/min': summary.seedsPerMin.toFixed(1),
      goal: `${GOAL_SEEDS_PER_MIN}`,
    },
  ];
}
