/**
 * Helpers for the clocks-group chaos tests: run a battery scenario with its one event's
 * overrides replaced, and run a primitive's detector against a fault that was chosen but
 * never applied (a detector that cannot see damage must not report recovery), also amid the
 * concurrent faults of a saved schedule.
 */
import type { NodeVariant } from '../../src/mesh/config.js';
import { BATTERY_EVENT_AT_MS } from '../../src/catalog/chaos-scenarios.js';
import { chaosExtension } from '../../src/primitives/engine.js';
import { DETECTOR_POLL_MS } from '../../src/primitives/timing.js';
import type { ChaosWorld, Fault, ParamValue, Primitive, PrimitiveName, Verdict } from '../../src/primitives/types.js';
import { chaosWorldOf } from '../../src/primitives/world.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { RunContext, RunExtension, Scenario } from '../../src/scenario/scenario.js';
import { runChaos, scenarioNamed, type ChaosRun } from './chaos.js';

/** `name` with its single event's overrides replaced by `overrides`. */
export function runWithOverrides(
  name: string,
  seed: string,
  primitive: PrimitiveName,
  overrides: Readonly<Record<string, ParamValue>>,
  variant?: NodeVariant,
  patch: Partial<Scenario> = {},
): ChaosRun {
  return runChaos(name, seed, variant, { ...patch, extensions: [chaosExtension({ events: [{ atMs: BATTERY_EVENT_AT_MS, primitive, overrides }] })] });
}

export interface UnappliedOutcome {
  readonly fault: Fault | null;
  readonly verdict: Verdict | null;
}

/**
 * At the battery's event time, let `primitive` choose a fault but apply nothing; poll its
 * detector as the engine would (every 500 ms up to its deadline) and return the verdict.
 */
export function runUnappliedDetector(name: string, seed: string, primitive: Primitive): UnappliedOutcome {
  const outcome: { fault: Fault | null; verdict: Verdict | null } = { fault: null, verdict: null };
  const extension = (ctx: RunContext): RunExtension => {
    const world: ChaosWorld = chaosWorldOf(ctx.cluster, {
      probe: (meshId, origin) => ctx.probe(meshId, origin),
      isFaulted: (id) => outcome.verdict === null && (outcome.fault?.targets.includes(id) ?? false),
      isProtected: (id) => ctx.protectedNodes.has(id),
    });
    return {
      start: () => {
        ctx.cluster.scheduler.at(BATTERY_EVENT_AT_MS, () => {
          const fault = primitive.choose(world, ctx.cluster.rng.stream(`chaos:${primitive.name}`));
          outcome.fault = fault;
          if (fault === null) return;
          pollDetector(ctx, world, primitive, fault, outcome);
        });
      },
      finish: () => {},
      violations: () => [],
      report: () => ({}),
    };
  };
  const scenario: Scenario = { ...scenarioNamed(name), extensions: [extension], liveness: false };
  runScenario(scenario, seed);
  return outcome;
}

export interface UnappliedScheduledOutcome {
  readonly verdict: Verdict | null;
  /** The detector's last word on what it still lacked. */
  readonly missing: string;
}

/**
 * Run `scenario` (e.g. a schedule file's, with its other faults) and at `atMs` point
 * `primitive`'s detector at a fault on the nodes named `targets` that is never applied; poll it as
 * the engine would (every 500 ms up to its deadline) and return the verdict.
 */
export function runUnappliedAt(scenario: Scenario, seed: string, primitive: Primitive, atMs: number, targets: readonly string[], params: Readonly<Record<string, ParamValue>> = {}): UnappliedScheduledOutcome {
  const outcome: { verdict: Verdict | null; missing: string } = { verdict: null, missing: '' };
  const extension = (ctx: RunContext): RunExtension => {
    const ids = targets.map((t) => ctx.cluster.idOfName(t));
    const world: ChaosWorld = chaosWorldOf(ctx.cluster, {
      probe: (meshId, origin) => ctx.probe(meshId, origin),
      isFaulted: (id) => outcome.verdict === null && ids.includes(id),
      isProtected: (id) => ctx.protectedNodes.has(id),
    });
    return {
      start: () => {
        ctx.cluster.scheduler.at(atMs, () => {
          pollDetector(ctx, world, primitive, { targets: ids, params }, outcome);
        });
      },
      finish: () => {},
      violations: () => [],
      report: () => ({}),
    };
  };
  runScenario({ ...scenario, extensions: [...(scenario.extensions ?? []), extension], liveness: false }, seed);
  return outcome;
}

/**
 * Create `primitive`'s detector for `fault` now (applied or not) and poll it as the engine
 * would, every 500 ms up to its deadline, writing its verdict and last `missing` into `outcome`.
 */
function pollDetector(ctx: RunContext, world: ChaosWorld, primitive: Primitive, fault: Fault, outcome: { verdict: Verdict | null; missing?: string }): void {
  const appliedAtMs = world.nowMs();
  const detector = primitive.detector(world, fault, appliedAtMs);
  const poll = (): void => {
    const nowMs = world.nowMs();
    const detection = detector.poll(nowMs);
    if ('missing' in outcome) outcome.missing = detector.missing?.() ?? '';
    if (detection !== null) outcome.verdict = detection.verdict;
    else if (nowMs - appliedAtMs >= detector.deadlineMs) outcome.verdict = { result: 'failed_timeout', waitedMs: nowMs - appliedAtMs };
    else ctx.cluster.scheduler.after(DETECTOR_POLL_MS, poll);
  };
  ctx.cluster.scheduler.after(DETECTOR_POLL_MS, poll);
}
