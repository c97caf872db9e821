/**
 * The topology over virtual time, rebuilt from the trace: each node's active view per topic
 * (from its own `mesh.gossip.neighbor_up|neighbor_down` spans) and which nodes are down. Every
 * change is one immer `produce`, so consecutive snapshots share every unchanged topic and view,
 * and auto-freeze makes a snapshot immutable: nothing can rewrite the past after the fact.
 *
 * Liveness marks also come from the trace: `mesh.node.ready` brings a node up with empty views
 * (a new incarnation starts from nothing); `sim.node.killed`, which the node host records for
 * every kill (chaos, workload failure, test), takes the node down and clears its views, because
 * a killed node emits nothing; such a node is also `killed` until it is ready again, so the
 * report can draw it as killed rather than merely absent. Must not read the cluster's live state.
 */
import { freeze, produce } from 'immer';
import { assert } from '../sim/assert.js';
import type { SpanRecord } from '../sim/telemetry/index.js';

/** What the report knows of a node; `topics` are the mesh ids it subscribes to. */
export interface TopologyNode {
  readonly name: string;
  readonly nodeId: string;
  readonly role: string;
  readonly meshId: string;
  readonly topics: readonly string[];
}

export interface TopologySnapshot {
  /** Virtual time of the last change in this snapshot, ms. */
  readonly atMs: number;
  /** Names of nodes that are down (or not yet booted), sorted. */
  readonly down: readonly string[];
  /** The down nodes a killing chaos primitive took down (not yet ready again), sorted. */
  readonly killed: readonly string[];
  /** Topic (mesh id) → node name → its active view as sorted peer names. */
  readonly views: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}


/** Snapshots in strictly increasing time order, from atMs 0 (before boot: every node down, every view empty). */
export function topologySnapshots(records: readonly SpanRecord[], nodes: readonly TopologyNode[]): TopologySnapshot[] {
  const nameOfId = new Map(nodes.map((n) => [n.nodeId, n.name]));
  const topics = [...new Set(nodes.flatMap((n) => n.topics))].sort();
  const initialViews: Record<string, Record<string, readonly string[]>> = {};
  for (const t of topics) initialViews[t] = {};
  let current: TopologySnapshot = freeze({ atMs: 0, down: nodes.map((n) => n.name).sort(), killed: [], views: initialViews }, true);
  const out: TopologySnapshot[] = [current];
  for (const r of records) {
    const next = apply(current, r, nameOfId);
    if (next === current) continue;
    assert(next.atMs >= current.atMs, 'topology snapshots must move forward in time');
    // Changes at the same virtual ms collapse into one snapshot (the slider's resolution).
    if (out[out.length - 1].atMs === next.atMs) out[out.length - 1] = next;
    else out.push(next);
    current = next;
  }
  return out;
}

function apply(base: TopologySnapshot, r: SpanRecord, nameOfId: ReadonlyMap<string, string>): TopologySnapshot {
  switch (r.name) {
    case 'mesh.gossip.neighbor_up':
    case 'mesh.gossip.neighbor_down': {
      const topic = String(r.attrs.topic);
      const peer = nameOfId.get(String(r.attrs.peerId));
      if (peer === undefined || base.views[topic] === undefined) return base;
      const up = r.name === 'mesh.gossip.neighbor_up';
      const view = base.views[topic][r.node] ?? [];
      if (up === view.includes(peer)) return base;
      return produce(base, (d) => {
        d.atMs = r.endMs;
        d.views[topic][r.node] = up ? [...view, peer].sort() : view.filter((p) => p !== peer);
      });
    }
    case 'mesh.node.ready':
      return produce(base, (d) => {
        d.atMs = r.endMs;
        d.down = base.down.filter((n) => n !== r.node);
        if (base.killed.includes(r.node)) d.killed = base.killed.filter((n) => n !== r.node);
        clearViews(d.views, base, r.node);
      });
    case 'sim.node.killed': {
      const targets = String(r.attrs.targets ?? '').split(',').filter((t) => t !== '');
      return produce(base, (d) => {
        d.atMs = r.endMs;
        d.down = [...new Set([...base.down, ...targets])].sort();
        d.killed = [...new Set([...base.killed, ...targets])].sort();
        for (const t of targets) clearViews(d.views, base, t);
      });
    }
    default:
      return base;
  }
}

function clearViews(draft: Record<string, Record<string, readonly string[]>>, base: TopologySnapshot, node: string): void {
  for (const topic of Object.keys(base.views).sort()) {
    if (base.views[topic][node] !== undefined) delete draft[topic][node];
  }
}

/** The snapshot in force at `atMs` (the last one at or before it). */
export function snapshotAt(snapshots: readonly TopologySnapshot[], atMs: number): TopologySnapshot {
  assert(snapshots.length > 0, 'no snapshots');
  let lo = 0;
  let hi = snapshots.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (snapshots[mid].atMs <= atMs) lo = mid;
    else hi = mid - 1;
  }
  return snapshots[lo];
}

/**
 * The snapshots as the HTML report embeds them, keeping the structural sharing: every distinct
 * view, topic state and down set is stored once and snapshots refer to them by index.
 */
export interface EncodedTopology {
  readonly topics: readonly string[];
  /** Node names; the index is the node's number in every table below. */
  readonly nodes: readonly string[];
  /** Distinct active views as node indices; `views[0]` is the empty view. */
  readonly views: readonly (readonly number[])[];
  /** Distinct per-topic states: a view index per node. */
  readonly topicStates: readonly (readonly number[])[];
  /** Distinct down (and killed) sets as ascending node indices. */
  readonly downSets: readonly (readonly number[])[];
  /** Per snapshot: [atMs, downSet index, one topicState index per topic, killed set index]. */
  readonly snapshots: readonly (readonly number[])[];
}

export function encodeSnapshots(snapshots: readonly TopologySnapshot[], nodes: readonly TopologyNode[]): EncodedTopology {
  const names = nodes.map((n) => n.name);
  const indexOf = new Map(names.map((n, i) => [n, i]));
  const topics = snapshots.length === 0 ? [] : Object.keys(snapshots[0].views).sort();
  const toIndices = (list: readonly string[]): number[] => list.map((n) => indexOf.get(n) ?? -1).filter((i) => i >= 0);
  const views = new Interner<readonly string[]>((v) => toIndices(v));
  views.add([]);
  const topicStates = new Interner<Readonly<Record<string, readonly string[]>>>((s) => names.map((n) => views.add(s[n] ?? [])));
  const downSets = new Interner<readonly string[]>((d) => toIndices(d).sort((a, b) => a - b));
  // Killed sets share the down sets' table (a killed set is a down set's subset, often equal).
  const encoded = snapshots.map((s) => [s.atMs, downSets.add(s.down), ...topics.map((t) => topicStates.add(s.views[t])), downSets.add(s.killed)]);
  return { topics, nodes: names, views: views.rows, topicStates: topicStates.rows, downSets: downSets.rows, snapshots: encoded };
}

/** Numbers distinct values: by identity first (immer shares unchanged parts), then by content. */
class Interner<T extends object> {
  readonly rows: (readonly number[])[] = [];
  private readonly byRef = new Map<T, number>();
  private readonly byContent = new Map<string, number>();

  constructor(private readonly encode: (value: T) => readonly number[]) {}

  add(value: T): number {
    const known = this.byRef.get(value);
    if (known !== undefined) return known;
    const row = this.encode(value);
    const key = row.join(',');
    let id = this.byContent.get(key);
    if (id === undefined) {
      id = this.rows.length;
      this.rows.push(row);
      this.byContent.set(key, id);
    }
    this.byRef.set(value, id);
    return id;
  }
}
