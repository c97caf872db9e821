/**
 * The default scenario end to end: 5 virtual minutes of the 18-node mesh (plus its heal
 * phase), reporting virtual seconds per wall second ("speed-up", goal ≥ 1000×) and kernel
 * events per wall second. One short warm-up run first, then the median of REPS runs of seed 1.
 */
import { findScenario } from '../src/scenario/registry.js';
import { runScenario, type RunReport } from '../src/scenario/runner.js';
import { type Row, medianMs, rate } from './table.js';

const DURATION_MS = 300_000;
const WARMUP_DURATION_MS = 30_000;
const REPS = 3;
const SEED = '1';

export function run(): Row[] {
  const scenario = findScenario('default');
  if (scenario === undefined) throw new Error('no default scenario registered');
  runScenario(scenario, SEED, { durationMs: WARMUP_DURATION_MS });
  let report: RunReport | null = null;
  const wallMs = medianMs(() => {
    report = runScenario(scenario, SEED, { durationMs: DURATION_MS }).report;
  }, REPS, 0);
  const r = report as RunReport | null;
  if (r === null) throw new Error('no run');
  return [
    {
      scenario: `default seed ${SEED}`,
      'virtual s': (r.virtualMs / 1000).toFixed(1),
      events: r.events,
      'median wall ms': wallMs.toFixed(0),
      'events/s': rate(r.events, wallMs),
      'speed-up': `${(r.virtualMs / wallMs).toFixed(0)}x`,
      verdict: r.verdict,
    },
  ];
}
