/**
 * The checker: whole-cluster invariants, run by the harness from outside the nodes (SPEC §6).
 *
 * Safety holds at every instant (view sizes within capacity, no self in views, no duplicate
 * application delivery, only broadcast payloads delivered, bounded tables). Liveness holds
 * eventually, after faults are reverted and a heal window has passed: symmetric active views,
 * a connected overlay per topic, every probe delivered to every live subscriber, every node's
 * digest known to every live co-subscriber, and no ghost digests or connections.
 * Checks return violations as data; the runner turns them into a verdict.
 */
import { cacheSize, pendingGraftCount, receivedIdCount } from '../protocol/plumtree.js';
import type { MeshNode } from '../mesh/node.js';
import type { Cluster } from './cluster.js';
import { describeSplit, splitWorldOf, splitParts } from './overlay-parts.js';
import type { TableBounds } from './table-bounds.js';
import type { NodePlan } from './topology.js';

export interface Violation {
  readonly check: string;
  readonly message: string;
}

export interface ProbeRecord {
  readonly probeId: string;
  readonly meshId: string;
  readonly origin: string;
  readonly sentAtMs: number;
  /** Node ids that were live subscribers when the probe was sent and must receive it. */
  readonly expected: readonly string[];
}

/**
 * Safety checks of the current instant. `bounds` come from the scenario's configuration
 * (table-bounds.ts). Probe payloads are checked as they are delivered (`watchProbeDeliveries`).
 */
export function checkSafety(cluster: Cluster, bounds: TableBounds): Violation[] {
  const out: Violation[] = [];
  for (const plan of cluster.livePlans()) {
    const app = cluster.app(plan.nodeId);
    if (app !== undefined) checkNodeSafety(cluster, bounds, plan, app, out);
  }
  return out;
}

/**
 * `checkSafety` for one live node, appending to `out`. The main phase runs it inside the
 * cross-layer sample's walk over the nodes (`CrossLayerMonitor.sampleNew`), so that each node's
 * state is read once per second while it is in the cache: two walks, one after the other, read
 * every node twice, and at 10,000 nodes each walk found little of the other's reads still cached.
 */
export function checkNodeSafety(cluster: Cluster, bounds: TableBounds, plan: NodePlan, app: MeshNode, out: Violation[]): void {
  const who = plan.name;
  for (const meshId of plan.meshIds) {
    const state = app.topicState(meshId);
    if (state === undefined) continue;
    // The views themselves, read in place: a copy of each, per node and second, was garbage.
    const { active, passive } = state.hyparview;
    const cfg = state.hyparview.config;
    if (active.length > cfg.activeViewCapacity) out.push(v('view-capacity', `${who} ${meshId} active view ${active.length} > ${cfg.activeViewCapacity}`));
    if (passive.length > cfg.passiveViewCapacity) out.push(v('view-capacity', `${who} ${meshId} passive view ${passive.length} > ${cfg.passiveViewCapacity}`));
    if (active.includes(plan.nodeId) || passive.includes(plan.nodeId)) out.push(v('no-self-in-views', `${who} ${meshId} holds itself in a view`));
    const pt = state.plumtree;
    if (cacheSize(pt) > bounds.plumtreeCache) out.push(v('tables-bounded', `${who} ${meshId} message cache ${cacheSize(pt)} > ${bounds.plumtreeCache}`));
    if (receivedIdCount(pt) > bounds.plumtreeIds) out.push(v('tables-bounded', `${who} ${meshId} id table ${receivedIdCount(pt)} > ${bounds.plumtreeIds}`));
    if (pendingGraftCount(pt) > bounds.pendingGrafts) out.push(v('tables-bounded', `${who} ${meshId} pending grafts ${pendingGraftCount(pt)} > ${bounds.pendingGrafts}`));
  }
  if (app.duplicateDeliveries > 0) out.push(v('no-duplicate-delivery', `${who} delivered ${app.duplicateDeliveries} message(s) twice`));
  if (app.foreignPayloads > 0) out.push(v('only-broadcast-payloads', `${who} delivered ${app.foreignPayloads} payload(s) nobody broadcast`));
  const connections = app.peers.connectionCount();
  if (cluster.scheduler.nowMs >= bounds.connectionsFromMs && connections > bounds.connectionsOf(plan)) out.push(v('tables-bounded', `${who} has ${connections} connections > ${bounds.connectionsOf(plan)}`));
  if (cluster.options.profile !== 'protocol' && app.digests.size > bounds.digests) out.push(v('tables-bounded', `${who} digest table ${app.digests.size} > ${bounds.digests}`));
  if (cluster.host(plan.nodeId).backlogLength > bounds.wedgeBacklog) out.push(v('tables-bounded', `${who} wedge backlog over bound`));
}

/**
 * Only broadcast payloads are delivered: every `mesh.probe.delivered` span the nodes emit must
 * name a probe the harness sent. Checked as each span is recorded (O(1) per delivery at any
 * size); violations go to `report`.
 */
export function watchProbeDeliveries(cluster: Cluster, knownProbeIds: ReadonlySet<string>, report: (v: Violation) => void): void {
  cluster.telemetry.listen('mesh.probe.delivered', (r) => {
    const probeId = String(r.attrs.probeId);
    if (!knownProbeIds.has(probeId)) report(v('only-broadcast-payloads', `${r.node} delivered unknown probe ${probeId}`));
  });
}

/** Liveness checks for the current instant; the runner retries them across the heal window. */
export function checkLiveness(cluster: Cluster, probes: readonly ProbeRecord[], deliveredTo: DeliveredTo): Violation[] {
  return [...checkViews(cluster), ...checkProbes(cluster, probes, deliveredTo), ...checkDigests(cluster), ...checkGhosts(cluster)];
}

export function checkViews(cluster: Cluster): Violation[] {
  const out: Violation[] = [];
  for (const meshId of cluster.meshIds()) {
    const live = cluster.subscribers(meshId).filter((p) => cluster.app(p.nodeId) !== undefined);
    if (live.length === 0) continue;
    const liveIds = new Set(live.map((p) => p.nodeId));
    const adjacency = new Map<string, readonly string[]>();
    for (const p of live) adjacency.set(p.nodeId, cluster.app(p.nodeId)!.activeView(meshId));
    for (const [a, view] of adjacency) {
      for (const b of view) {
        if (!liveIds.has(b)) {
          out.push(v('no-ghost-neighbors', `${cluster.nameOf(a)} ${meshId} keeps dead ${cluster.nameOf(b)} in its active view`));
        } else if (!adjacency.get(b)!.includes(a)) {
          out.push(v('views-symmetric', `${meshId}: ${cluster.nameOf(a)} → ${cluster.nameOf(b)} is not returned`));
        }
      }
    }
    const reached = reachable(live[0].nodeId, adjacency);
    if (reached.size < live.length) {
      const missing = live.filter((p) => !reached.has(p.nodeId)).map((p) => p.name);
      // Why it stays split, read from the nodes' views, seeds and the network's cuts.
      const parts = splitParts(splitWorldOf(cluster), [meshId]);
      const why = parts.length === 0 ? '' : `; apart: ${describeSplit(parts)}`;
      out.push(v('overlay-connected', `${meshId} overlay is split: ${missing.length} of ${live.length} unreachable from ${live[0].name} (${missing.slice(0, 5).join(', ')})${why}`));
    }
  }
  return out;
}

function reachable(start: string, adjacency: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const next of adjacency.get(stack.pop()!) ?? []) {
      if (adjacency.has(next) && !seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** Whether node `nodeId` delivered probe `probeId`, as its `mesh.probe.delivered` span said. */
export type DeliveredTo = (probeId: string, nodeId: string) => boolean;

/** The expected subscribers of `probe` still live that have not delivered it (by their spans, read through `deliveredTo`). */
export function missedBy(cluster: Cluster, probe: ProbeRecord, deliveredTo: DeliveredTo): string[] {
  return probe.expected.filter((id) => id !== probe.origin && cluster.app(id) !== undefined && !deliveredTo(probe.probeId, id));
}

/** Every expected subscriber still live delivered each of `probes` (the nodes' spans, read through `deliveredTo`). */
export function checkProbes(cluster: Cluster, probes: readonly ProbeRecord[], deliveredTo: DeliveredTo): Violation[] {
  const out: Violation[] = [];
  for (const probe of probes) {
    const missing = missedBy(cluster, probe, deliveredTo);
    if (missing.length > 0) {
      out.push(v('full-delivery', `probe ${probe.probeId} on ${probe.meshId} missed by ${missing.map((id) => cluster.nameOf(id)).slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`));
    }
  }
  return out;
}

/**
 * Every live node knows the digest of every live co-subscriber (full profile only: Θ(n²) by
 * design). A node whose own broadcasts Plumtree refused as too large (its
 * `mesh.gossip.rejected` spans: `node.plumtree.maxMessageSizeBytes` below a digest's size) is
 * named with the refusal, so a run failed by a setting says which.
 */
export function checkDigests(cluster: Cluster): Violation[] {
  const out: Violation[] = [];
  if (cluster.options.profile === 'protocol') return out;
  const refusal = new Map<string, string>();
  const refusedOf = (b: NodePlan): string => {
    let why = refusal.get(b.nodeId);
    if (why === undefined) {
      const sizes = cluster.telemetry.query
        .find({ name: 'mesh.gossip.rejected', node: b.name })
        .map((r) => /^message of (\d+) bytes exceeds (\d+)$/.exec(String(r.attrs.reason)))
        .filter((m) => m !== null);
      const last = sizes.at(-1);
      why = last === undefined ? '' : ` (${sizes.length} of its own broadcasts were refused, the last a message of ${last[1]} bytes over node.plumtree.maxMessageSizeBytes ${last[2]})`;
      refusal.set(b.nodeId, why);
    }
    return why;
  };
  for (const a of cluster.livePlans()) {
    const app = cluster.app(a.nodeId)!;
    for (const b of cluster.livePlans()) {
      if (a === b || !a.meshIds.some((m) => b.meshIds.includes(m))) continue;
      if (!app.digests.has(b.nodeId)) out.push(v('digests-known', `${a.name} does not know the digest of ${b.name}${refusedOf(b)}`));
    }
  }
  return out;
}

export function checkGhosts(cluster: Cluster): Violation[] {
  const out: Violation[] = [];
  const full = cluster.options.profile !== 'protocol';
  for (const a of cluster.livePlans()) {
    const app = cluster.app(a.nodeId)!;
    for (const id of full ? app.digests.nodeIds() : []) {
      if (cluster.isNode(id) && cluster.app(id) === undefined) {
        out.push(v('no-ghost-digests', `${a.name} still holds the digest of dead ${cluster.nameOf(id)}`));
      }
    }
    for (const peer of app.peers.connectedPeers()) {
      if (cluster.app(peer) === undefined) out.push(v('no-ghost-connections', `${a.name} still has a connection to dead ${cluster.nameOf(peer)}`));
    }
  }
  return out;
}

function v(check: string, message: string): Violation {
  return { check, message };
}
