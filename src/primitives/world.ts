/**
 * The cluster, narrowed to the ChaosWorld primitives see (types.ts): the engine (and tests that
 * drive a primitive by hand) build one here. With engine.ts, the only file of src/primitives
 * allowed to touch the cluster (the tidy test checks); it adds no behaviour of its own — each
 * lever is one call on the host, data dir, clock or network.
 */
import type { ProbeRecord } from '../scenario/checker.js';
import type { Cluster } from '../scenario/cluster.js';
import { splitParts, splitWorldOf } from '../scenario/overlay-parts.js';
import { timersOf } from './timing.js';
import type { ChaosWorld } from './types.js';

/** What only the harness knows: probe stimulus and which nodes are off limits right now. */
export interface ChaosWorldHooks {
  probe(meshId: string, originNodeId?: string): ProbeRecord | null;
  isFaulted(nodeId: string): boolean;
  isProtected(nodeId: string): boolean;
}

const NO_VIEW: readonly string[] = [];

export function chaosWorldOf(cluster: Cluster, hooks: ChaosWorldHooks): ChaosWorld {
  const network = cluster.network;
  return {
    nowMs: () => cluster.scheduler.nowMs,
    after: (delayMs, fn) => void cluster.scheduler.after(delayMs, fn),
    nodes: cluster.plans,
    node: (nodeId) => cluster.plan(nodeId),
    nameOf: (nodeId) => cluster.nameOf(nodeId),
    meshIds: () => cluster.meshIds(),
    subscribers: (meshId) => cluster.subscribers(meshId),
    status: (nodeId) => cluster.host(nodeId).status,
    activeView: (nodeId, meshId) => cluster.app(nodeId)?.activeView(meshId) ?? NO_VIEW,
    connectedPeers: (nodeId) => cluster.app(nodeId)?.peers.connectedPeers() ?? NO_VIEW,
    splitOf: (meshId) => splitParts(splitWorldOf(cluster), [meshId]),
    process: {
      kill: (nodeId) => cluster.host(nodeId).kill(),
      start: (nodeId) => cluster.host(nodeId).start(),
      wedge: (nodeId) => cluster.host(nodeId).wedge(),
      unwedge: (nodeId) => cluster.host(nodeId).unwedge(),
    },
    disk: {
      fill: (nodeId) => void cluster.host(nodeId).dataDir.fill(),
      drain: (nodeId) => cluster.host(nodeId).dataDir.clearBallast(),
    },
    clock: { jump: (nodeId, deltaMs) => cluster.host(nodeId).clock.jump(deltaMs) },
    links: {
      config: network.config,
      link: (from, to) => network.link(from, to),
      setLink: (from, to, patch) => network.setLink(from, to, patch),
      resetLink: (from, to) => network.resetLink(from, to),
      partition: (a, b) => network.partition(a, b),
      repair: (a, b) => network.repair(a, b),
      blockInbound: (nodeId) => network.setInboundFirewall(nodeId, true),
      allowInbound: (nodeId) => network.setInboundFirewall(nodeId, false),
      remapAddress: (nodeId) => void network.remapAddress(nodeId),
    },
    timers: timersOf(network.config, cluster.options.node),
    spans: cluster.telemetry.query,
    probe: (meshId, origin) => hooks.probe(meshId, origin),
    isFaulted: (nodeId) => hooks.isFaulted(nodeId),
    isProtected: (nodeId) => hooks.isProtected(nodeId),
  };
}
