/**
 * Running a schedule file: build the scenario (the base scenario, from the registry or the
 * scenario file it names, with the file's topology, variant and main-phase length, plus a chaos
 * engine firing exactly the decoded events), check the file against what the code offers (known
 * base scenario, implemented primitives, target names of the planned topology, target counts),
 * and run it.
 * Problems come back as one-line error values; a run that fails is a report, not an error.
 */
import { short } from '../io/json-input.js';
import type { NodeVariant } from '../mesh/config.js';
import { addChaos, type ChaosEventPlan } from '../primitives/engine.js';
import { faultLengthMs, specOf } from '../primitives/registry.js';
import { judgeableIn, validateFault, type TargetSpec } from '../primitives/schema.js';
import { findScenario } from '../catalog/registry.js';
import { runScenario, type RunOptions, type RunOutcome, type RunReport } from '../scenario/runner.js';
import type { Scenario } from '../scenario/scenario.js';
import { isScenarioPath } from '../scenario/scenario-json.js';
import type { ReplayRef } from '../scenario/replay-ref.js';
import { BRIDGE_ROLE, OBSERVER_ROLE, plannedNodes, type NodePlan } from '../scenario/topology.js';
import type { ScheduleFile } from './schedule.js';

/** Main phase kept after a fault's length so its detection can decide: longest deadline beyond the fault (52 s) + slack. */
export const DETECTION_ALLOWANCE_MS = 60_000;

export type ScenarioBuild = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly error: string };

export interface ScheduleRunOptions {
  /** Replay with this node variant instead of the file's (e.g. the broken one it was found with). */
  readonly variant?: NodeVariant;
  /** What replays this run (goes into the report). Default: the schedule's base scenario and seed. */
  readonly replay?: ReplayRef;
  /**
   * The scenario file the schedule names as its base, read and validated (`loadScheduleFile`'s
   * `base`, or `parseScenarioJson` of its contents): required when `file.scenario` is a path.
   */
  readonly base?: Scenario;
  /** Passed to the run (`RunOptions.onProgress`): the CLI's heap watch. */
  readonly onProgress?: RunOptions['onProgress'];
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
  const named = short(JSON.stringify(file.scenario));
  const base = isScenarioPath(file.scenario) ? options.base : findScenario(file.scenario);
  if (base === undefined) {
    return isScenarioPath(file.scenario)
      ? { ok: false, error: `scenario ${named} is a scenario file: read it with the schedule (loadScheduleFile) and pass it as base` }
      : { ok: false, error: `scenario ${named} is not registered (see \`meshsim list\`)` };
  }
  const topology = file.topology ?? base.topology;
  const plans = plannedNodes(topology, file.seed);
  const byName = new Map(plans.map((p) => [p.name, p]));
  const profile = base.profile ?? 'full';
  for (const [i, e] of file.schedule.entries()) {
    const spec = specOf(e.primitive);
    const checked = validateFault(spec, e.targets, e.params, `schedule[${i}]`);
    if (!checked.ok) return checked;
    // A scenario file may pick the protocol profile, which has none of some primitives' evidence.
    if (!judgeableIn(spec, profile)) return { ok: false, error: `schedule[${i}].primitive: ${e.primitive} cannot be judged in the ${profile} profile of ${named}: its evidence is the full profile's ${spec.substrateEvidence} (SPEC §10.1)` };
    const unknown = e.targets.find((t) => !byName.has(t));
    if (unknown !== undefined) return { ok: false, error: `schedule[${i}].targets names ${short(unknown)}, which is not a node of this topology for seed ${file.seed}` };
    const targets = e.targets.map((t) => byName.get(t)!);
    const misfit = targetMisfit(spec.targets, targets, plans);
    if (misfit !== null) return { ok: false, error: `schedule[${i}].targets: ${e.primitive} ${misfit}` };
    // A node that has not booted yet has no process and no address to damage.
    const unborn = targets.find((p) => p.bootAtMs > e.atMs);
    if (unborn !== undefined) return { ok: false, error: `schedule[${i}].atMs ${e.atMs} comes before ${unborn.name} boots (at ${unborn.bootAtMs} ms)` };
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
      extensions: addChaos(base.extensions ?? [], { events }),
    },
  };
}

/**
 * Why these targets do not fit the primitive's target shape, or null when they do. A link's two
 * ends need not share a mesh here: a schedule may damage any link, choosers only pick used ones.
 */
function targetMisfit(shape: TargetSpec, targets: readonly NodePlan[], plans: readonly NodePlan[]): string | null {
  const observer = targets.find((p) => p.role === OBSERVER_ROLE);
  if (observer !== undefined) return `cannot hit the observer ${observer.name} (it is every node's seed)`;
  if (shape.shape === 'subset') {
    const meshId = targets[0].meshId;
    const stray = targets.find((p) => p.role === BRIDGE_ROLE || p.meshId !== meshId);
    if (stray !== undefined) return `cuts off own nodes of one mesh, and ${stray.name} is not one of ${meshId}`;
    const own = plans.filter((p) => p.meshId === meshId && p.role !== BRIDGE_ROLE && p.role !== OBSERVER_ROLE);
    if (own.length <= targets.length) return `must leave a node of ${meshId} outside the cut`;
  }
  return null;
}

export type ScheduleRun = { readonly ok: true; readonly outcome: RunOutcome } | { readonly ok: false; readonly error: string };

/** Build and run; the report's replay command is `options.replay` when given. */
export function runScheduleFile(file: ScheduleFile, options: ScheduleRunOptions = {}): ScheduleRun {
  const built = scheduleScenario(file, options);
  if (!built.ok) return built;
  const outcome = runScenario(built.scenario, file.seed, options.onProgress === undefined ? {} : { onProgress: options.onProgress });
  const report: RunReport = options.replay === undefined ? outcome.report : { ...outcome.report, replay: options.replay };
  return { ok: true, outcome: { ...outcome, report } };
}
