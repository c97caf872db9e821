/**
 * Helpers for the links primitives' tests: point a primitive's detector at a fault that was
 * chosen but never applied (nor reverted), to prove the detector can go red when the damage it
 * expects the mesh to work around is not there. Mirrors the engine's timing (poll every 500 ms,
 * deadline from the detector) without its bookkeeping.
 */
import { primitiveByName } from '../../src/primitives/registry.js';
import { DETECTOR_POLL_MS } from '../../src/primitives/timing.js';
import type { ChaosWorld, Fault, ParamValue, PrimitiveName, Verdict } from '../../src/primitives/types.js';
import { BATTERY_EVENT_AT_MS } from '../../src/scenario/chaos-scenarios.js';
import { runScenario, type RunReport } from '../../src/scenario/runner.js';
import type { RunContext, RunExtension, Scenario } from '../../src/scenario/scenario.js';
import { OBSERVER_ROLE, type TopologySpec } from '../../src/scenario/topology.js';
import { scenarioNamed } from './chaos.js';

export interface DetectorOnlyRun {
  readonly report: RunReport;
  readonly fault: Fault | null;
  readonly verdict: Verdict | null;
}

/** Run battery scenario `name`, but fire `primitive` as detection only: the fault is never applied. */
export function runDetectorOnly(name: string, primitive: PrimitiveName, seed: string, overrides: Readonly<Record<string, ParamValue>> = {}): DetectorOnlyRun {
  let fault: Fault | null = null;
  let verdict: Verdict | null = null;
  const extension = (ctx: RunContext): RunExtension => {
    let pending = false;
    const world: ChaosWorld = {
      cluster: ctx.cluster,
      nowMs: () => ctx.cluster.scheduler.nowMs,
      probe: (meshId, origin) => ctx.probe(meshId, origin),
      isFaulted: (id) => pending && fault !== null && fault.targets.includes(id),
      isProtected: (id) => ctx.protectedNodes.has(id),
    };
    const fire = (): void => {
      const p = primitiveByName(primitive);
      fault = p.choose(world, ctx.cluster.rng.stream(`chaos:${primitive}`), overrides);
      if (fault === null) return;
      pending = true;
      const appliedAtMs = world.nowMs();
      const detector = p.detector(world, fault, appliedAtMs);
      const poll = (): void => {
        const d = detector.poll(world.nowMs());
        const waitedMs = world.nowMs() - appliedAtMs;
        if (d !== null) verdict = d.verdict;
        else if (waitedMs >= detector.deadlineMs) verdict = { result: 'failed_timeout', waitedMs };
        else ctx.cluster.scheduler.after(DETECTOR_POLL_MS, poll);
        if (verdict !== null) pending = false;
      };
      ctx.cluster.scheduler.after(DETECTOR_POLL_MS, poll);
    };
    return {
      start: () => void ctx.cluster.scheduler.at(BATTERY_EVENT_AT_MS, fire),
      finish: () => {},
      violations: () => [],
      report: () => ({}),
    };
  };
  const scenario: Scenario = { ...scenarioNamed(name), extensions: [extension], liveness: false };
  const { report } = runScenario(scenario, seed);
  return { report, fault, verdict };
}

/** An extension that kills every node of `role` at `atMs` (e.g. the observer, to take away the mesh's detours). */
export function killRoleAt(role: string, atMs: number): (ctx: RunContext) => RunExtension {
  return (ctx) => ({
    start: () =>
      void ctx.cluster.scheduler.at(atMs, () => {
        for (const p of ctx.cluster.plans) if (p.role === role) ctx.cluster.host(p.nodeId).kill();
      }),
    finish: () => {},
    violations: () => [],
    report: () => ({}),
  });
}

/** A two-node mesh (one gateway, one broker) plus the observer: the smallest layout with a linked pair. */
export const TWO_NODE_TOPOLOGY: TopologySpec = { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 1], ['broker', 1]] }], bridges: 0 };

/** Battery scenario `name` on the two-node layout with the observer killed just before the event: no detours. */
export function withoutDetours(name: string): Partial<Scenario> {
  const base = scenarioNamed(name);
  return { topology: TWO_NODE_TOPOLOGY, extensions: [...(base.extensions ?? []), killRoleAt(OBSERVER_ROLE, BATTERY_EVENT_AT_MS - 1_000)], liveness: false };
}
