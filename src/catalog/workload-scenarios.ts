/**
 * Scenarios built around a workload rather than a single primitive (SPEC §6):
 * `remove-resilience`, `mesh-grow-shrink`, `backpressure-stream-flood`, and the chaos
 * variants of the functional mesh tests (chaos-pass replaces tests-pass: the same
 * assertions, with 3 random primitives firing).
 */
import { OBSERVER_ROLE, type TopologySpec } from '../scenario/topology.js';
import { withChaos, BATTERY_EVENT_AT_MS } from './chaos-scenarios.js';
import { chaosExtension } from '../primitives/engine.js';
import { cutWindows, isCutDuring } from '../primitives/reach.js';
import { underChaosAt } from '../scenario/under-chaos.js';
import type { Violation } from '../scenario/checker.js';
import { floodExtension } from './flood.js';
import { growShrinkExtension } from './grow-shrink.js';
import { gossipMeshToMesh, gossipSwarmForms, meshFiveTypesPresent } from './mesh-scenarios.js';
import type { RunContext, Scenario } from '../scenario/scenario.js';

/** Six nodes (three roles, two each) and their observer seed. */
export const SIX_NODE_TOPOLOGY: TopologySpec = {
  meshes: [{ meshId: 'mesh-a', roles: [['gateway', 2], ['broker', 2], ['compute', 2]] }],
  bridges: 0,
};

export const REMOVE_RESILIENCE_HEARD_WITHIN_MS = 18_000;

/**
 * 6 nodes, 3 killed at once; every survivor is still heard (a digest it originated is
 * delivered) by every other survivor within 18 s of the kill.
 */
export const removeResilience: Scenario = {
  name: 'remove-resilience',
  description: '6 nodes, kill 3 at once; every survivor is still heard by every other survivor within 18 s',
  topology: SIX_NODE_TOPOLOGY,
  durationMs: 90_000,
  traceLevel: 'trace',
  extensions: [chaosExtension({ events: [{ atMs: BATTERY_EVENT_AT_MS, primitive: 'burst_kill', overrides: { count: 3 } }] })],
  expect: (ctx) => survivorsHeard(ctx, BATTERY_EVENT_AT_MS, REMOVE_RESILIENCE_HEARD_WITHIN_MS),
};

/**
 * Under chaos (`--chaos N`), read from the chaos spans only: a pair another event cut apart
 * within the window (killed, wedged, partitioned, a lossy link…) is not asked to have been
 * heard; and when other events were acting on nodes at the kill's time, the burst may find no
 * three nodes it can kill (one of each role must live, and it never takes a node under another
 * fault): the run then cannot make its claim, and says so only through its chaos section's
 * skipped count. Without chaos both rules leave everything as it was.
 */
export function survivorsHeard(ctx: RunContext, killAtMs: number, withinMs: number): Violation[] {
  const { cluster } = ctx;
  const q = cluster.telemetry.query;
  const applied = q.find({ name: 'chaos.primitive.applied', sinceMs: killAtMs, untilMs: killAtMs }).find((s) => s.attrs.name === 'burst_kill');
  if (applied === undefined) return underChaosAt(q, killAtMs).size > 0 ? [] : [{ check: 'remove-resilience', message: 'the burst kill never fired' }];
  const victims = new Set(String(applied.attrs.targets).split(','));
  const survivors = cluster.plans.filter((p) => p.role !== OBSERVER_ROLE && !victims.has(p.name));
  const windows = cutWindows(q);
  const out: Violation[] = [];
  for (const listener of survivors) {
    for (const speaker of survivors) {
      if (listener === speaker || isCutDuring(windows, listener.name, speaker.name, killAtMs, killAtMs + withinMs)) continue;
      const heard = q.first({
        name: 'mesh.gossip.received',
        node: listener.name,
        sinceMs: killAtMs,
        untilMs: killAtMs + withinMs,
        attrs: { origin: speaker.nodeId, kind: 'digest' },
      });
      if (heard === undefined) out.push({ check: 'remove-resilience', message: `${listener.name} did not hear ${speaker.name} within ${withinMs / 1000} s of the kill` });
    }
  }
  return out;
}

/** One mesh of 3 per role: half boots, the rest joins from 20 s, then 4 nodes leave gracefully at 60 s. */
export const meshGrowShrink: Scenario = {
  name: 'mesh-grow-shrink',
  description: 'half of a 12-node mesh boots, the other half joins from 20 s (one every 2 s), then 4 nodes leave gracefully at 60 s',
  topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 3], ['broker', 3], ['compute', 3], ['registry', 3]] }], bridges: 0 },
  durationMs: 100_000,
  extensions: [growShrinkExtension({ growFromMs: 20_000, growEveryMs: 2_000, shrinkAtMs: 60_000, shrinkCount: 4 })],
};

/** 32 concurrent bi streams of 1 KiB echo frames for 10 s: at least 200 round trips, no errors. */
export const backpressureStreamFlood: Scenario = {
  name: 'backpressure-stream-flood',
  description: '32 concurrent bi-streams of 1 KiB echo frames for 10 s: at least 200 round trips and 0 errors',
  topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 2], ['broker', 2]] }], bridges: 0 },
  durationMs: 30_000,
  extensions: [floodExtension()],
};

/** Chaos variants: the same assertions with 3 random primitives firing (SPEC §1). */
const CHAOS_VARIANT_COUNT = 3;
export const CHAOS_VARIANTS: Scenario[] = [meshFiveTypesPresent, gossipSwarmForms, gossipMeshToMesh, backpressureStreamFlood].map((s) =>
  withChaos(s, { random: { count: CHAOS_VARIANT_COUNT } }, `${s.name}-chaos`),
);

export const WORKLOAD_SCENARIOS: Scenario[] = [removeResilience, meshGrowShrink, backpressureStreamFlood];
