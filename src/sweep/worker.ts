/**
 * The sweep worker (runs in a piscina worker thread, loaded from the compiled dist/): runs one
 * scenario (a registered one, or a scenario file's object, re-validated here so nothing but
 * JSON crosses threads) for one seed, with `--chaos N` on top when asked, and returns the
 * compact result line. A crash inside the simulator is a failed seed with a `crash`
 * violation, never a lost task. It measures the wall time of the run (tooling, outside the
 * deterministic core).
 */
import { performance } from 'node:perf_hooks';
import { withChaos } from '../catalog/chaos-scenarios.js';
import { findScenario } from '../catalog/registry.js';
import { chaosReportOf } from '../primitives/engine.js';
import { runScenario, shownViolations } from '../scenario/runner.js';
import { runReplay, type RunReplay } from '../scenario/replay-ref.js';
import type { Scenario } from '../scenario/scenario.js';
import { parseScenarioJson } from '../scenario/scenario-json.js';

export interface SweepTask {
  /** A registered scenario's name, or the path of the scenario file `file` was read from. */
  readonly scenario: string;
  /** The scenario file's object (SPEC §10.3), when `scenario` is a path. */
  readonly file?: unknown;
  readonly seed: string;
  /** Override the main phase, ms. */
  readonly durationMs?: number;
  /** Random chaos primitives added to the scenario (`--chaos N`). */
  readonly chaos?: number;
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
  /** Violations found beyond those (`shownViolations`); absent when none. */
  readonly violationsMore?: number;
  /**
   * `skipped`: events that found no fitting target when due (fired = events); `unobserved`:
   * events whose detector passed on no evidence span; null for a run without chaos.
   */
  readonly chaos?: { readonly events: number; readonly passed: number; readonly unobserved: number; readonly failedTimeout: number; readonly failedAssertion: number; readonly skipped: number } | null;
  /** What reproduces this seed (the CLI prints it as a command line). */
  readonly replay: RunReplay;
}

const VIOLATIONS_SHOWN = 3;

/** What a task runs: its scenario, with its chaos added. Throws on a name or file the CLI would have refused. */
export function scenarioOfTask(task: Pick<SweepTask, 'scenario' | 'file' | 'chaos'>): Scenario {
  let scenario: Scenario | undefined;
  if (task.file === undefined) scenario = findScenario(task.scenario);
  else {
    const parsed = parseScenarioJson(task.file);
    if (!parsed.ok) throw new Error(`${task.scenario}: ${parsed.error}`);
    scenario = parsed.scenario;
  }
  if (scenario === undefined) throw new Error(`unknown scenario ${task.scenario}`);
  return task.chaos === undefined ? scenario : withChaos(scenario, { random: { count: task.chaos } });
}

export default function runSeed(task: SweepTask): SweepLine {
  const startMs = performance.now();
  const replay = runReplay(task.scenario, task.seed, task.durationMs, task.chaos);
  try {
    const { report } = runScenario(scenarioOfTask(task), task.seed, { durationMs: task.durationMs });
    const chaos = chaosReportOf(report);
    return {
      seed: task.seed,
      scenario: task.scenario,
      verdict: report.verdict,
      traceDigest: report.traceDigest,
      virtualMs: report.virtualMs,
      events: report.events,
      wallMs: Math.round(performance.now() - startMs),
      ...shownViolations(report, VIOLATIONS_SHOWN),
      chaos: chaos === undefined ? null : { events: chaos.events, passed: chaos.passed, unobserved: chaos.unobserved, failedTimeout: chaos.failedTimeout, failedAssertion: chaos.failedAssertion, skipped: chaos.skipped },
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
