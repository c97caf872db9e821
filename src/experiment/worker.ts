/**
 * The experiment worker (a piscina worker thread, loaded from the compiled dist/): runs one
 * point of an experiment for one seed and returns its result line. The point arrives as data
 * (a scenario file object, or a registered scenario's name with run-knob overrides) and is
 * rebuilt here, so nothing but JSON crosses threads. A crash inside the simulator is a failed
 * run with a `crash` violation, never a lost task. The line holds no wall time: it is a pure
 * function of (point, seed), so results are byte-identical whatever the worker count.
 */
import { parseScenarioJson } from '../scenario/scenario-json.js';
import { findScenario } from '../catalog/registry.js';
import { runScenario, shownViolations } from '../scenario/runner.js';
import type { Scenario } from '../scenario/scenario.js';
import type { PointBase } from './experiment-file.js';
import { runMetrics, type RunMetrics } from './run-metrics.js';

export interface ExperimentTask {
  readonly point: number;
  readonly base: PointBase;
  readonly seed: string;
}

export interface ExperimentLine {
  readonly point: number;
  readonly seed: string;
  readonly verdict: 'pass' | 'fail';
  readonly traceDigest: string | null;
  /** First violations as `check: message`. */
  readonly violations: readonly string[];
  /** Violations found beyond those (`shownViolations`); absent when none. */
  readonly violationsMore?: number;
  readonly metrics: RunMetrics;
}

const VIOLATIONS_SHOWN = 3;

export function scenarioOfPoint(base: PointBase): Scenario {
  if (base.kind === 'file') {
    const parsed = parseScenarioJson(base.scenario);
    if (!parsed.ok) throw new Error(`experiment point does not validate: ${parsed.error}`);
    return parsed.scenario;
  }
  const scenario = findScenario(base.name);
  if (scenario === undefined) throw new Error(`unknown scenario ${base.name}`);
  return { ...scenario, ...base.overrides };
}

export default function runPoint(task: ExperimentTask): ExperimentLine {
  try {
    const { report } = runScenario(scenarioOfPoint(task.base), task.seed);
    return {
      point: task.point,
      seed: task.seed,
      verdict: report.verdict,
      traceDigest: report.traceDigest,
      ...shownViolations(report, VIOLATIONS_SHOWN),
      metrics: runMetrics(report),
    };
  } catch (e) {
    return { point: task.point, seed: task.seed, verdict: 'fail', traceDigest: null, violations: [`crash: ${e instanceof Error ? e.message : String(e)}`], metrics: { pass: 0 } };
  }
}
