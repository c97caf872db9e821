/**
 * Helpers for the links primitives' red tests: layouts and test doubles that take away what the
 * mesh relies on to survive a link fault (detours around a cut link, a stateful firewall that
 * keeps a node's own outbound connections), so the detectors can be shown to fail.
 */
import { BATTERY_EVENT_AT_MS } from '../../src/catalog/chaos-scenarios.js';
import type { RunContext, RunExtension, Scenario } from '../../src/scenario/scenario.js';
import { OBSERVER_ROLE, type TopologySpec } from '../../src/scenario/topology.js';
import { scenarioNamed } from './chaos.js';

/** An extension that only acts at the start of the run (`start(ctx)`), with no violations and no report of its own. */
export function startOnly(start: (ctx: RunContext) => void): (ctx: RunContext) => RunExtension {
  return (ctx) => ({ start: () => start(ctx), finish: () => {}, violations: () => [], report: () => ({}) });
}

/** An extension that kills every node of `role` at `atMs` (e.g. the observer, to take away the mesh's detours). */
export function killRoleAt(role: string, atMs: number): (ctx: RunContext) => RunExtension {
  return startOnly((ctx) =>
    void ctx.cluster.scheduler.at(atMs, () => {
      for (const p of ctx.cluster.plans) if (p.role === role) ctx.cluster.host(p.nodeId).kill();
    }),
  );
}

/**
 * A transport tuned too tight: fine at 10–15 ms latency, but a 400 ms idle timeout takes a slow
 * or lossy link's silences for death. Dial timeout below keep-alive.
 */
export const TIGHT_IDLE_NETWORK = { network: { keepAliveMs: 200, idleTimeoutMs: 400, dialTimeoutMs: 150 } } as const satisfies Partial<Scenario>;

/** A two-node mesh (one gateway, one broker) plus the observer: the smallest layout with a linked pair. */
export const TWO_NODE_TOPOLOGY: TopologySpec = { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 1], ['broker', 1]] }], bridges: 0 };

/** Battery scenario `name` on the two-node layout with the observer killed just before the event: no detours. */
export function withoutDetours(name: string): Partial<Scenario> {
  const base = scenarioNamed(name);
  return { topology: TWO_NODE_TOPOLOGY, extensions: [...(base.extensions ?? []), killRoleAt(OBSERVER_ROLE, BATTERY_EVENT_AT_MS - 1_000)], liveness: false };
}

/**
 * A test double of the network's firewall that is NOT stateful: turning it on for a node also
 * blocks every link to and from it, so the node's own outbound connections are not kept either.
 */
export function statelessFirewall(): (ctx: RunContext) => RunExtension {
  return startOnly((ctx) => {
    const net = ctx.cluster.network;
    const stateful = net.setInboundFirewall.bind(net);
    net.setInboundFirewall = (node, enabled) => {
      stateful(node, enabled);
      for (const p of ctx.cluster.plans) {
        if (p.nodeId === node) continue;
        if (enabled) net.partition(node, p.nodeId);
        else net.repair(node, p.nodeId);
      }
    };
  });
}

/**
 * An extension that cuts `nodeId` off from every other node at `atMs`, for good. Not a chaos
 * event: nothing in the chaos spans excuses the node, so a detector that owes it a delivery
 * after its own repair must wait for one that never comes.
 */
export function isolateAt(nodeId: string, atMs: number): (ctx: RunContext) => RunExtension {
  return startOnly((ctx) =>
    void ctx.cluster.scheduler.at(atMs, () => {
      for (const p of ctx.cluster.plans) if (p.nodeId !== nodeId) ctx.cluster.network.partition(nodeId, p.nodeId);
    }),
  );
}

/**
 * An extension that turns `nodeId`'s inbound firewall on at `fromMs` and off at `untilMs`. Not a
 * chaos event: the same damage as a `firewall_inbound`, but nothing in the chaos spans names it,
 * so no detector may excuse what it does.
 */
export function firewallBetween(nodeId: string, fromMs: number, untilMs: number): (ctx: RunContext) => RunExtension {
  return startOnly((ctx) => {
    ctx.cluster.scheduler.at(fromMs, () => ctx.cluster.network.setInboundFirewall(nodeId, true));
    ctx.cluster.scheduler.at(untilMs, () => ctx.cluster.network.setInboundFirewall(nodeId, false));
  });
}
