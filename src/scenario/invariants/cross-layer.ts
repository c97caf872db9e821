/**
 * Cross-layer invariants: what each node believes about its connections and neighbours, held
 * against what the simulated network holds open (read from the network's endpoints directly,
 * never from the node's own registry alone).
 *
 * Checked on every running (not wedged) node:
 * - ownership: every connection end the network holds open for the node is owned by its peer
 *   registry, and every connection the registry owns is open in the network (no grace: the
 *   network reports opens and closes to a running node at once);
 * - views agree: per topic, Plumtree's eager and lazy sets are disjoint and together equal the
 *   HyParView active view (no grace: both change in the same event);
 * - neighbours connected: every active-view neighbour has an open connection within a dial
 *   timeout (a dial either opens or reports the peer lost by then);
 * - connections wanted: every kept-alive connection leads to a peer some topic wants (active
 *   view or pending Neighbor request) or carries an open bi stream, within the unused-connection
 *   grace and sweep period plus a dial timeout (a dial may land after the sweep looked);
 * - one connection per pair: after a handshake race settles (a dial timeout), the two nodes of
 *   a pair keep at most one connection alive between them, counted over both ends; not judged
 *   while the network blocks the pair's link or firewalls either end (the race cannot settle).
 * `CrossLayerMonitor.sample()` returns them as data, each graced finding only once the monitor's
 * own samples have seen it for longer than its grace. The runner samples one monitor every second
 * of the main phase (safety) and at every poll of the heal window (liveness), so both phases judge
 * a finding by how long it was observed, never by what the node's timers intend: a Shuffle reply's
 * connection inside its unused grace is not a finding, one still unwanted after the grace is.
 */
import { MESH_NODE_DEFAULTS } from '../../mesh/config.js';
import type { MeshNode } from '../../mesh/node.js';
import { eagerPeers, lazyPeers } from '../../protocol/plumtree.js';
import type { Connection, Endpoint } from '../../sim/network/index.js';
import type { Violation } from '../checker.js';
import type { Cluster } from '../cluster.js';
import type { NodePlan } from '../topology.js';

/** How late a sample may see a fact that should already hold, ms (the safety period). */
const SAMPLE_SLACK_MS = 1_000;

export interface CrossLayerGraces {
  readonly neighbourConnectedMs: number;
  readonly connectionWantedMs: number;
  readonly onePerPairMs: number;
}

/** Graces derived from the cluster's network and node configuration. */
export function crossLayerGraces(cluster: Cluster): CrossLayerGraces {
  const dialMs = cluster.network.config.dialTimeoutMs;
  const node = cluster.options.node;
  // The close comes at the first sweep at least the grace after the reason: up to one sweep later.
  const unusedMs =
    (node?.unusedConnectionGraceMs ?? MESH_NODE_DEFAULTS.unusedConnectionGraceMs) +
    (node?.unusedConnectionSweepMs ?? MESH_NODE_DEFAULTS.unusedConnectionSweepMs);
  return {
    neighbourConnectedMs: dialMs + SAMPLE_SLACK_MS,
    connectionWantedMs: unusedMs + dialMs + SAMPLE_SLACK_MS,
    onePerPairMs: dialMs + SAMPLE_SLACK_MS,
  };
}

/**
 * One finding before its grace is applied: `key` identifies it across samples. The finding of
 * one connection end is keyed by the end itself (ends are never reused): a large boot holds tens
 * of thousands of ends inside their grace at every sample, and a key string per end and sample,
 * hashed for each lookup, was most of the sample's cost. The message is built only for a
 * finding that is reported.
 */
interface Finding {
  readonly key: string | Connection;
  readonly grace: keyof CrossLayerGraces | null;
  readonly violation: () => Violation;
}

/** A graced finding seen in consecutive samples since `sinceMs`. */
interface Streak {
  readonly sinceMs: number;
  /** The number of the last sample that saw it. */
  seenInSample: number;
  /** `sampleNew` returned it in this streak. */
  reported: boolean;
}

export class CrossLayerMonitor {
  private readonly streaks = new Map<string | Connection, Streak>();
  private samples = 0;
  private readonly graces: CrossLayerGraces;

  constructor(private readonly cluster: Cluster) {
    this.graces = crossLayerGraces(cluster);
    // A neighbour's membership ends with the node's neighbor_down about it, and so does a
    // streak of "no open connection" to it: a peer dropped when its dial timed out and taken
    // up again before the next sample is a new neighbour with a grace of its own, not one
    // held for both (firewall-inbound under --chaos 20, seed 8939: join walks of a gateway
    // killed just after its restart ended at a bridge 5 s apart, one held back by a wedged
    // registry, and the two five-second dials read as one neighbour without a connection for
    // 7 s). Read from the span as it is recorded, which large runs do not keep.
    cluster.telemetry.listen('mesh.gossip.neighbor_down', (s) => {
      if (this.streaks.size > 0) this.streaks.delete(neighbourKey(cluster.idOfName(s.node), s.attrs.topic, s.attrs.peerId));
    });
    // Likewise the node's word that a topic wanted the peer ends a streak of "no topic wants"
    // its connection to that peer: it was wanted, if only between two samples, and the node's
    // sweep gives the connection a new grace from then. Two such spells a second's sample could
    // not see apart read as one:
    // - neighbor_up (a random layout with a 10 s unused-connection grace, seed 58042: an end
    //   unwanted for 10 s, a neighbour for 0.9 s between two samples, then evicted and unwanted
    //   for 10 s more, was reported kept for 18 s against a 17 s grace);
    // - a Join sent through the peer, which the node's sweep waits on for the grace (node.ts,
    //   isUsed): with seed checks more frequent than the grace, a node cut off from its seed
    //   joins through it again before the last Join's wait ends (a random layout with a 5 s
    //   seed check and a 10 s grace, fast-check seed 20001: a compute in a subset cut evicted
    //   its registry seed and kept joining through it until the link idled out 24 s later);
    // - a Neighbor request, pending until its answer or its timeout, whose end gives the sweep
    //   a new reason (fast-check seed 20007: a request of 0.5 s between two samples, and the
    //   connection closed 10 s after it, read as one spell of 18 s).
    const wantedAgain = (s: { readonly node: string; readonly attrs: { readonly peerId: string } }) => {
      if (this.streaks.size === 0) return;
      const endpoint = cluster.network.endpointOf(cluster.idOfName(s.node));
      if (endpoint === null) return;
      for (const c of endpoint.eachConnection()) if (c.remote === s.attrs.peerId) this.streaks.delete(c);
    };
    cluster.telemetry.listen('mesh.gossip.neighbor_up', wantedAgain);
    cluster.telemetry.listen('mesh.gossip.join', wantedAgain);
    cluster.telemetry.listen('mesh.gossip.neighbor_request', wantedAgain);
  }

  /**
   * Findings without a grace at once, the others once they outlast their grace, counted from the
   * first of this monitor's consecutive samples that saw them (a finding missing from one sample
   * starts over). The runner samples every second; between two samples a finding that went and
   * came back is counted as one, but for a neighbour the node's neighbor_down said it let go, and
   * for a connection whose peer the node's neighbor_up, Join or Neighbor request named since.
   */
  sample(): Violation[] {
    return this.collect(false, undefined);
  }

  /**
   * Like `sample`, but a graced finding is returned once per streak: by the first sample past
   * its grace, not again while it lasts (its "for N ms" would make every second's copy a new
   * line in the run's violations). Findings without a grace come every time; their message does
   * not change, so the run's log keeps one. The main phase logs with this; the heal window,
   * which asks "is anything still wrong now?", uses `sample`. Both share one bookkeeping.
   * `eachLiveNode`, when given, is called for every live node with a mesh application (running
   * or wedged), in plan order, during the sample's own walk over the nodes (the runner's safety
   * checks: see `checkNodeSafety`).
   */
  sampleNew(eachLiveNode?: LiveNodeVisitor): Violation[] {
    return this.collect(true, eachLiveNode);
  }

  private collect(newOnly: boolean, eachLiveNode: LiveNodeVisitor | undefined): Violation[] {
    const nowMs = this.cluster.scheduler.nowMs;
    const sample = ++this.samples;
    const out: Violation[] = [];
    for (const f of findings(this.cluster, eachLiveNode)) {
      if (f.grace === null) {
        out.push(f.violation());
        continue;
      }
      let streak = this.streaks.get(f.key);
      if (streak === undefined) this.streaks.set(f.key, (streak = { sinceMs: nowMs, seenInSample: sample, reported: false }));
      else streak.seenInSample = sample;
      if (nowMs - streak.sinceMs <= this.graces[f.grace]) continue;
      if (newOnly && streak.reported) continue;
      if (newOnly) streak.reported = true;
      const v = f.violation();
      out.push({ ...v, message: `${v.message} for ${nowMs - streak.sinceMs} ms` });
    }
    // A finding this sample did not see has ended its streak.
    for (const [key, streak] of this.streaks) if (streak.seenInSample !== sample) this.streaks.delete(key);
    return out;
  }

  /** When the oldest graced finding of the last sample was first seen, ms (Infinity: none). */
  oldestFindingSinceMs(): number {
    let oldestMs = Infinity;
    for (const streak of this.streaks.values()) oldestMs = Math.min(oldestMs, streak.sinceMs);
    return oldestMs;
  }
}

/** Called with each live node of a sample (see `CrossLayerMonitor.sampleNew`). */
export type LiveNodeVisitor = (plan: NodePlan, app: MeshNode) => void;

interface NodeView {
  readonly nodeId: string;
  readonly name: string;
  readonly app: MeshNode;
  /** Open connection ends the network holds for the node. */
  readonly conns: readonly Connection[];
}

/**
 * The open endpoint of the node at position `index` when it runs (a wedged node hears of changes
 * late, so it is left out; so is a node without an open endpoint); null otherwise.
 */
function runningEndpoint(cluster: Cluster, index: number): Endpoint | null {
  if (cluster.hosts[index].status !== 'running') return null;
  const endpoint = cluster.network.endpointOf(cluster.plans[index].nodeId);
  return endpoint === null || endpoint.closed ? null : endpoint;
}

/**
 * A running node as the checks see it: its open connection ends read from its endpoint, into
 * `conns` when given (the sample's walk reuses one array: no check keeps a node's list past its
 * turn, and a new list per node and second was about 2 % of all bytes protocol-2k allocated).
 */
function viewOf(plan: NodePlan, app: MeshNode, endpoint: Endpoint, conns: Connection[] = []): NodeView {
  conns.length = 0;
  for (const c of endpoint.eachConnection()) if (c.isOpen) conns.push(c);
  return { nodeId: plan.nodeId, name: plan.name, app, conns };
}

/** The running nodes with a mesh application, in plan order. */
function runningNodes(cluster: Cluster): NodeView[] {
  const out: NodeView[] = [];
  for (let i = 0; i < cluster.plans.length; i++) {
    const app = cluster.appAt(i);
    const endpoint = app === undefined ? null : runningEndpoint(cluster, i);
    if (endpoint !== null) out.push(viewOf(cluster.plans[i], app!, endpoint));
  }
  return out;
}

// Each check has a quick test that allocates nothing and says only whether the node (or the
// cluster) is clean, and a full pass that builds the findings. The full pass runs only where the
// quick test fails, so findings (and their order) are those of the full pass alone. At 1,000
// nodes the full passes every second were ~8% of a run, mostly strings built for set lookups.
// A node's view is dropped once its checks ran: at 5,000 nodes, views kept for the whole sample
// were ~9% of the bytes the young-generation collector had to promote.
function findings(cluster: Cluster, eachLiveNode: LiveNodeVisitor | undefined): Finding[] {
  const out: Finding[] = [];
  const pairs = new PairTable(cluster);
  const owned: Connection[] = [];
  const conns: Connection[] = [];
  const { plans } = cluster;
  for (let i = 0; i < plans.length; i++) {
    const app = cluster.appAt(i);
    if (app === undefined) continue;
    eachLiveNode?.(plans[i], app);
    const endpoint = runningEndpoint(cluster, i);
    if (endpoint === null) continue;
    const n = viewOf(plans[i], app, endpoint, conns);
    if (!ownershipHolds(n, owned)) ownership(cluster, n, out);
    if (!viewsAgreeHold(n)) viewsAgree(cluster, n, out);
    if (!neighboursConnectedHold(n)) neighboursConnected(cluster, n, out);
    connectionsWanted(cluster, n, out);
    pairs.add(n);
  }
  if (!pairs.hold) onePerPair(cluster, runningNodes(cluster), out);
  return out;
}

/**
 * Quick test of `ownership`: the registry's ends and the open ends are the same objects. With
 * as many of each, every owned end open and none owned twice, the two sets are equal. Ends are
 * compared by identity among a dozen in hand (`owned` is the walk's scratch array) instead of
 * looked up in the registry by peer id, one hash lookup per open end: a 5,000-node boot's
 * samples took about a sixth less (docs/performance.md, round 17).
 */
function ownershipHolds(n: NodeView, owned: Connection[]): boolean {
  n.app.peers.ownedEnds(owned);
  let holds = owned.length === n.conns.length;
  for (let i = 0; holds && i < owned.length; i++) holds = n.conns.includes(owned[i]) && owned.indexOf(owned[i]) === i;
  owned.length = 0; // no ends kept past this node
  return holds;
}

/** Quick test of `viewsAgree`: each active neighbour is in exactly one of eager and lazy, and nothing else is. */
function viewsAgreeHold(n: NodeView): boolean {
  for (const rt of n.app.topics.values()) {
    const active = rt.state.hyparview.active;
    const { eagerPushPeers: eager, lazyPushPeers: lazy } = rt.state.plumtree;
    if (eager.size + lazy.size !== active.length) return false;
    for (let i = 0; i < active.length; i++) {
      const p = active[i];
      if (eager.has(p) === lazy.has(p)) return false;
      for (let j = 0; j < i; j++) if (active[j] === p) return false;
    }
  }
  return true;
}

/** Quick test of `neighboursConnected`: every active neighbour has an open end. */
function neighboursConnectedHold(n: NodeView): boolean {
  for (const rt of n.app.topics.values()) {
    for (const peer of rt.state.hyparview.active) if (!n.conns.some((c) => c.remote === peer)) return false;
  }
  return true;
}

/**
 * Quick test of `onePerPair`, fed node by node: it holds when every running node keeps at most
 * one end alive per peer, and every kept-alive end whose other end (the network's pairing of the
 * two) is not open and kept alive has no rival at a running peer: no kept-alive end there back
 * to this node under another id. Then no pair of running nodes keeps two ids alive: an end
 * whose other end is kept alive names the one id that end's node keeps for the pair.
 * It reads each node's own ends, which the other checks read anyway, and the other end of each
 * kept-alive one (the same object the network delivers to); only a rival search reads the
 * peer's table. A map of every pair's id, filed under node positions looked up by id for every
 * end, took about a seventh of the sample at 5,000 nodes (docs/performance.md, round 17).
 */
class PairTable {
  hold = true;

  constructor(private readonly cluster: Cluster) {}

  add(n: NodeView): void {
    if (!this.hold) return;
    const conns = n.conns;
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i];
      if (!c.keepAlive) continue;
      for (let j = 0; j < i; j++) {
        if (conns[j].keepAlive && conns[j].remote === c.remote) {
          this.hold = false; // two ends alive to one peer
          return;
        }
      }
      const other = c.peer;
      if (other !== null && other.isOpen && other.keepAlive) continue;
      if (this.hasRival(c, n.nodeId)) {
        this.hold = false;
        return;
      }
    }
  }

  /** Whether the running node at the other end of `c` keeps alive another end back to `self`. */
  private hasRival(c: Connection, self: string): boolean {
    const peer = this.cluster.indexOf(c.remote);
    if (peer === undefined) return true; // not a node of this cluster: leave it to the full pass
    if (this.cluster.appAt(peer) === undefined) return false;
    const endpoint = runningEndpoint(this.cluster, peer);
    if (endpoint === null) return false;
    for (const e of endpoint.eachConnection()) if (e.isOpen && e.keepAlive && e.remote === self && e.id !== c.id) return true;
    return false;
  }
}

function ownership(cluster: Cluster, n: NodeView, out: Finding[]): void {
  const owned = new Set(n.app.peers.ownedConnections().map((c) => `${c.peer}#${c.id}`));
  const open = new Set(n.conns.map((c) => `${c.remote}#${c.id}`));
  for (const c of n.conns) {
    if (!owned.has(`${c.remote}#${c.id}`)) {
      out.push(at(null, `own|${n.nodeId}|${c.id}`, 'cross-layer-ownership', `${n.name}: the network holds connection ${c.id} to ${cluster.nameOf(c.remote)} open, its peer registry does not own it`));
    }
  }
  for (const c of n.app.peers.ownedConnections()) {
    if (!open.has(`${c.peer}#${c.id}`)) {
      out.push(at(null, `own|${n.nodeId}|${c.id}`, 'cross-layer-ownership', `${n.name}: its peer registry owns connection ${c.id} to ${cluster.nameOf(c.peer)}, which the network does not hold open`));
    }
  }
}

function viewsAgree(cluster: Cluster, n: NodeView, out: Finding[]): void {
  for (const rt of n.app.topics.values()) {
    const active = [...rt.state.hyparview.active].sort();
    const eager = eagerPeers(rt.state.plumtree);
    const lazy = lazyPeers(rt.state.plumtree);
    const both = eager.filter((p) => lazy.includes(p));
    const union = [...new Set([...eager, ...lazy])].sort();
    if (both.length > 0 || union.join() !== active.join()) {
      const names = (ids: readonly string[]) => ids.map((id) => cluster.nameOf(id)).join(',');
      out.push(at(null, `views|${n.nodeId}|${rt.meshId}`, 'cross-layer-views-agree', `${n.name} ${rt.meshId}: HyParView active [${names(active)}] but Plumtree eager [${names(eager)}] lazy [${names(lazy)}]`));
    }
  }
}

/** The streak key of "`nodeId`'s active neighbour `peer` on `topic` has no open connection". */
function neighbourKey(nodeId: string, topic: string, peer: string): string {
  return `nbr|${nodeId}|${topic}|${peer}`;
}

function neighboursConnected(cluster: Cluster, n: NodeView, out: Finding[]): void {
  const connected = new Set(n.conns.map((c) => c.remote));
  for (const rt of n.app.topics.values()) {
    for (const peer of rt.state.hyparview.active) {
      if (connected.has(peer)) continue;
      out.push(at('neighbourConnectedMs', neighbourKey(n.nodeId, rt.meshId, peer), 'cross-layer-neighbour-connected', `${n.name} ${rt.meshId}: active neighbour ${cluster.nameOf(peer)} has no open connection`));
    }
  }
}

function connectionsWanted(cluster: Cluster, n: NodeView, out: Finding[]): void {
  const name = n.name; // the message closures keep this, not the node's view
  for (const c of n.conns) {
    if (!c.keepAlive || isWanted(n.app, c)) continue;
    out.push(lazyAt('connectionWantedMs', c, 'cross-layer-connection-wanted', () => `${name}: connection ${c.id} to ${cluster.nameOf(c.remote)} is kept alive but no topic wants the peer`));
  }
}

function isWanted(app: MeshNode, conn: Connection): boolean {
  for (const rt of app.topics.values()) {
    const hv = rt.state.hyparview;
    if (hv.active.includes(conn.remote) || hv.pendingNeighbor.has(conn.remote)) return true;
  }
  return conn.hasOpenStream('bi'); // the echo service's workload
}

function onePerPair(cluster: Cluster, nodes: readonly NodeView[], out: Finding[]): void {
  const alive = new Map<string, Set<number>>();
  for (const n of nodes) {
    for (const c of n.conns) {
      if (!c.keepAlive) continue;
      const pair = n.nodeId < c.remote ? `${n.nodeId}|${c.remote}` : `${c.remote}|${n.nodeId}`;
      let ids = alive.get(pair);
      if (ids === undefined) alive.set(pair, (ids = new Set()));
      ids.add(c.id);
    }
  }
  for (const [pair, ids] of alive) {
    if (ids.size <= 1) continue;
    const [a, b] = pair.split('|');
    // The race settles only over the link: while the network blocks it (a partition either way,
    // or an inbound firewall on either end, which drops the handshake's last packets and the
    // keep-alives that would tell an end its twin is dead) each end keeps the connection it last
    // completed. mesh-grow-shrink under --chaos 20, seed 7926: two nodes a burst kill's revert
    // restarted dialled each other at once, and a partition_pair cut them 6 ms later; the
    // gateway completed its own dial, the broker only the gateway's, and each kept its one alive
    // until the partition healed 20 s on.
    if (raceFrozen(cluster, a, b)) continue;
    out.push(at('onePerPairMs', `pair|${pair}`, 'cross-layer-one-connection', `${cluster.nameOf(a)} and ${cluster.nameOf(b)} keep ${ids.size} connections alive (${[...ids].sort((x, y) => x - y).join(', ')})`));
  }
}

/** Whether the network now keeps the two ends of a pair from settling a handshake race (see `onePerPair`). */
function raceFrozen(cluster: Cluster, a: string, b: string): boolean {
  const net = cluster.network;
  return net.link(a, b).blocked || net.link(b, a).blocked || net.inboundFirewall(a) || net.inboundFirewall(b);
}

function at(grace: keyof CrossLayerGraces | null, key: string, check: string, message: string): Finding {
  return { key, grace, violation: () => ({ check, message }) };
}

/** A finding whose message is built only if it is reported. */
function lazyAt(grace: keyof CrossLayerGraces, key: string | Connection, check: string, message: () => string): Finding {
  return { key, grace, violation: () => ({ check, message: message() }) };
}
