/**
 * Scenarios end to end: 5 virtual minutes of the 18-node mesh fault-free (`default`), and the
 * 5-minute chaos soak (`chaos-soak-9prim-5min`, ≈ 29 chaos events; the real-cluster version
 * took 307.7 s of wall time). Each row reports virtual seconds per wall second ("speed-up",
 * goal ≥ 1000×) and kernel events per wall second: one short warm-up run, then the median of
 * REPS runs of seed 1. Virtual time includes each run's settle and heal phases.
 */
import { findScenario } from '../src/catalog/registry.js';
import { runScenario, type RunOptions, type RunReport } from '../src/scenario/runner.js';
import { type Row, medianMs, rate } from './table.js';

const REPS = 3;
const SEED = '1';
const CASES: readonly { readonly name: string; readonly options: RunOptions }[] = [
  { name: 'default', options: { durationMs: 300_000 } },
  { name: 'chaos-soak-9prim-5min', options: {} },
];

export function run(): Row[] {
  const warmup = findScenario('default');
  if (warmup === undefined) throw new Error('no default scenario registered');
  runScenario(warmup, SEED, { durationMs: 30_000 });
  return CASES.map(({ name, options }) => {
    const scenario = findScenario(name);
    if (scenario === undefined) throw new Error(`no scenario ${name}`);
    let report: RunReport | null = null;
    const wallMs = medianMs(() => {
      report = runScenario(scenario, SEED, options).report;
    }, REPS, 0);
    const r = report as RunReport | null;
    if (r === null) throw new Error('no run');
    return {
      scenario: `${name} seed ${SEED}`,
      'virtual s': (r.virtualMs / 1000).toFixed(1),
      events: r.events,
      'median wall ms': wallMs.toFixed(0),
      'events/s': rate(r.events, wallMs),
      'speed-up': `${(r.virtualMs / wallMs).toFixed(0)}x`,
      verdict: r.verdict,
    };
  });
}
