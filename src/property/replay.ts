/**
 * Running a schedule file: build the scenario (the base scenario from the registry with the
 * file's topology, variant and main-phase length, plus a chaos engine firing exactly the
 * decoded events), check the file against what the code offers (known base scenario,
 * implemented primitives, target names of the planned topology, target counts), and run it.
 * Problems come back as one-line error values; a run that fails is a report, not an error.
 */
import type { NodeVariant } from '../mesh/config.js';
import { chaosExtension, type ChaosEventPlan } from '../primitives/engine.js';
import { findScenario } from '../scenario/registry.js';
import { runScenario, type RunOutcome, type RunReport } from '../scenario/runner.js';
import type { Scenario } from '../scenario/scenario.js';
import { plannedNodes } from './decode.js';
import type { ScheduleFile } from './schedule.js';
import { faultLengthMs, PRIMITIVE_SHAPES } from './shapes.js';

/** Main phase kept after a fault's length so its detection can decide: longest deadline beyond the fault (52 s) + slack. */
export const DETECTION_ALLOWANCE_MS = 60_000;

export type ScenarioBuild = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly error: string };

export interface ScheduleRunOptions {
  /** Replay with this node variant instead of the file's (e.g. the broken one it was found with). */
  readonly variant?: NodeVariant;
  /** The command that replays this run (goes into the report). */
  readonly replay?: string;
}

/** The main phase a schedule needs: every fault applied, reverted and given time to be judged. */
export function scheduleDurationMs(file: ScheduleFile, baseDurationMs: number): number {
  if (file.durationMs !== undefined) return file.durationMs;
  let endMs = baseDurationMs;
  for (const e of file.schedule) {
    endMs = Math.max(endMs, e.atMs + faultLengthMs(e.primitive, e.params) + DETECTION_ALLOWANCE_MS);
  }
  return endMs;
}

export function scheduleScenario(file: ScheduleFile, options: ScheduleRunOptions = {}): ScenarioBuild {
  const base = findScenario(file.scenario);
  if (base === undefined) return { ok: false, error: `scenario ${JSON.stringify(file.scenario)} is not registered (see \`meshsim list\`)` };
  const topology = file.topology ?? base.topology;
  const names = new Set(plannedNodes(topology, file.seed).map((p) => p.name));
  for (const [i, e] of file.schedule.entries()) {
    const shape = PRIMITIVE_SHAPES[e.primitive];
    if (e.targets.length < shape.targetsMin || e.targets.length > shape.targetsMax) {
      return { ok: false, error: `schedule[${i}].targets: ${e.primitive} takes ${shape.targetsMin}-${shape.targetsMax} targets (got ${e.targets.length})` };
    }
    const unknown = e.targets.find((t) => !names.has(t));
    if (unknown !== undefined) return { ok: false, error: `schedule[${i}].targets names ${unknown}, which is not a node of this topology for seed ${file.seed}` };
  }
  const events: ChaosEventPlan[] = file.schedule.map((e) => ({ atMs: e.atMs, primitive: e.primitive, fault: { targets: e.targets, params: e.params } }));
  const variant = options.variant ?? file.variant;
  return {
    ok: true,
    scenario: {
      ...base,
      description: `${base.description}; schedule ${file.name} (${file.schedule.length} event${file.schedule.length === 1 ? '' : 's'})`,
      topology,
      durationMs: scheduleDurationMs(file, base.durationMs),
      ...(variant === undefined ? {} : { variantOf: () => variant }),
      extensions: [...(base.extensions ?? []), chaosExtension({ events })],
    },
  };
}

export type ScheduleRun = { readonly ok: true; readonly outcome: RunOutcome } | { readonly ok: false; readonly error: string };

/** Build and run; the report's replay command is `options.replay` when given. */
export function runScheduleFile(file: ScheduleFile, options: ScheduleRunOptions = {}): ScheduleRun {
  const built = scheduleScenario(file, options);
  if (!built.ok) return built;
  const outcome = runScenario(built.scenario, file.seed);
  const report: RunReport = options.replay === undefined ? outcome.report : { ...outcome.report, replay: options.replay };
  return { ok: true, outcome: { ...outcome, report } };
}
