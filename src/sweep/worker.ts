/**
 * The sweep worker (runs in a piscina worker thread, loaded from the compiled dist/): runs one
 * registered scenario for one seed and returns the compact result line. A crash inside the
 * simulator is a failed seed with a `crash` violation, never a lost task. It measures the
 * wall time of the run (tooling, outside the deterministic core).
 */
import { performance } from 'node:perf_hooks';
import { findScenario } from '../catalog/registry.js';
import { runScenario } from '../scenario/runner.js';
import { runReplay, type RunReplay } from '../scenario/replay-ref.js';

export interface SweepTask {
  readonly scenario: string;
  readonly seed: string;
  /** Override the main phase, ms. */
  readonly durationMs?: number;
}

/** One line of sweep output (JSON). */
export interface SweepLine {
  readonly seed: string;
  readonly scenario: string;
  readonly verdict: 'pass' | 'fail';
  readonly traceDigest: string | null;
  readonly virtualMs: number;
  readonly events: number;
  readonly wallMs: number;
  /** First violations as `check: message`. */
  readonly violations: readonly string[];
  /** `skipped`: events that found no fitting target when due (fired = events). */
  readonly chaos?: { readonly events: number; readonly passed: number; readonly failedTimeout: number; readonly failedAssertion: number; readonly skipped: number };
  /** What reproduces this seed (the CLI prints it as a command line). */
  readonly replay: RunReplay;
}

const VIOLATIONS_SHOWN = 3;

export default function runSeed(task: SweepTask): SweepLine {
  const startMs = performance.now();
  const replay = runReplay(task.scenario, task.seed, task.durationMs);
  const scenario = findScenario(task.scenario);
  if (scenario === undefined) throw new Error(`unknown scenario ${task.scenario}`);
  try {
    const { report } = runScenario(scenario, task.seed, { durationMs: task.durationMs });
    const chaos = report.chaos as { events: number; passed: number; failedTimeout: number; failedAssertion: number; skipped: number } | undefined;
    return {
      seed: task.seed,
      scenario: task.scenario,
      verdict: report.verdict,
      traceDigest: report.traceDigest,
      virtualMs: report.virtualMs,
      events: report.events,
      wallMs: Math.round(performance.now() - startMs),
      violations: report.violations.slice(0, VIOLATIONS_SHOWN).map((v) => `${v.check}: ${v.message}`),
      ...(chaos === undefined ? {} : { chaos: { events: chaos.events, passed: chaos.passed, failedTimeout: chaos.failedTimeout, failedAssertion: chaos.failedAssertion, skipped: chaos.skipped } }),
      replay,
    };
  } catch (e) {
    return {
      seed: task.seed,
      scenario: task.scenario,
      verdict: 'fail',
      traceDigest: null,
      virtualMs: 0,
      events: 0,
      wallMs: Math.round(performance.now() - startMs),
      violations: [`crash: ${e instanceof Error ? e.message : String(e)}`],
      replay,
    };
  }
}
