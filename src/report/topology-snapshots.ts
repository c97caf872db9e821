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


/**
 * Snapshots in strictly increasing time order, from atMs 0 (before boot: every node down, every
 * view empty). Each change copies the changed topic's record and the down list, so a large run
 * costs nodes × changes here: the report encodes from the records directly (`encodeTopology`,
 * whose tests hold it to these snapshots).
 */
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
 * The topology as the HTML report embeds it: each snapshot as the changes it makes (the same
 * snapshots as `topologySnapshots`: a change of state, changes at the same virtual ms in one),
 * and now and then the whole state (a keyframe), so that the state at any snapshot is the
 * keyframe before it plus fewer changes than a keyframe holds numbers (`topologyStateAt`).
 * Its size grows with the changes, not with snapshots × nodes: a boot of n nodes makes n
 * snapshots, and with the whole down set (or every node's view) written per snapshot, a
 * 10,000-node run embedded 50 M numbers, 250 MB of its report.
 */
export interface EncodedTopology {
  readonly topics: readonly string[];
  /** Node names; the index is the node's number in every table below. */
  readonly nodes: readonly string[];
  /** Distinct active views as node indices, in name order; `views[0]` is the empty view. */
  readonly views: readonly (readonly number[])[];
  /**
   * Per snapshot: [atMs, then its changes as (node, what, value) triples]. `what` ≥ 0 is a topic
   * index (the node's view there becomes `views[value]`); -1 is down (value 1) or up (0); -2 is
   * killed (1) or not (0). Snapshot 0 (atMs 0) starts from every node down and every view empty.
   */
  readonly snapshots: readonly (readonly number[])[];
  /** Whole states, the first before snapshot 0's changes; each after the snapshot `at` names. */
  readonly keyframes: readonly TopologyKeyframe[];
}

export interface TopologyKeyframe {
  /** The snapshot whose changes this state includes (-1: none yet). */
  readonly at: number;
  /** Down and killed nodes, ascending. */
  readonly down: readonly number[];
  readonly killed: readonly number[];
  /** Per topic, each node's view (an index into `views`). */
  readonly states: readonly (readonly number[])[];
}

/** A decoded state: per node 1 (down, killed) or 0, and per topic each node's view index. */
export interface TopologyState {
  readonly atMs: number;
  readonly down: readonly number[];
  readonly killed: readonly number[];
  readonly states: readonly (readonly number[])[];
}

const DOWN = -1;
const KILLED = -2;

/** Encodes the topology the trace shows, in one pass over the records (see `EncodedTopology`). */
export function encodeTopology(records: readonly SpanRecord[], nodes: readonly TopologyNode[]): EncodedTopology {
  const recorder = new TopologyRecorder(nodes);
  for (const r of records) recorder.observe(r);
  return recorder.encoded();
}

/** The spans the topology is made of: a run that does not keep them all can stream them to a `TopologyRecorder`. */
export const TOPOLOGY_SPANS = ['mesh.gossip.neighbor_up', 'mesh.gossip.neighbor_down', 'mesh.node.ready', 'sim.node.killed'] as const;

/**
 * `encodeTopology`, fed one record at a time (records of other names are ignored), in the
 * trace's order. Above 1,000 nodes a run keeps no per-pair spans in memory, neighbour changes
 * among them, so the report's topology is recorded as the run goes (`RunOptions.onStart`).
 */
export class TopologyRecorder {
  private readonly indexOfName: ReadonlyMap<string, number>;
  private readonly indexOfId: ReadonlyMap<string, number>;
  private readonly topics: readonly string[];
  private readonly topicIndex: ReadonlyMap<string, number>;
  private readonly names: readonly string[];
  private readonly views: ViewTable;
  private readonly states: number[][];
  private readonly down: number[];
  private readonly killed: number[];
  /** A keyframe once the changes since the last one hold as many numbers as a keyframe would. */
  private readonly keyframeNumbers: number;
  private readonly keyframes: TopologyKeyframe[];
  private readonly snapshots: number[][] = [[0]];
  private numbersSinceKeyframe = 0;
  /** The record being read's changes, (node, what, value) triples; read from the state before it. */
  private readonly changes: number[] = [];

  constructor(nodes: readonly TopologyNode[]) {
    this.names = nodes.map((n) => n.name);
    this.indexOfName = new Map(this.names.map((name, i) => [name, i]));
    this.indexOfId = new Map(nodes.map((n, i) => [n.nodeId, i]));
    this.topics = [...new Set(nodes.flatMap((n) => n.topics))].sort();
    this.topicIndex = new Map(this.topics.map((t, i) => [t, i]));
    this.views = new ViewTable(this.names);
    this.states = this.topics.map(() => new Array<number>(this.names.length).fill(0));
    this.down = new Array<number>(this.names.length).fill(1);
    this.killed = new Array<number>(this.names.length).fill(0);
    this.keyframeNumbers = Math.max(1, this.names.length * this.topics.length);
    this.keyframes = [this.keyframeAt(-1)];
  }

  observe(r: SpanRecord): void {
    const changes = this.changes;
    changes.length = 0;
    this.changesOf(r);
    if (changes.length === 0) return;
    let row = this.snapshots[this.snapshots.length - 1];
    assert(r.endMs >= row[0], 'topology snapshots must move forward in time');
    if (r.endMs !== row[0]) {
      if (this.numbersSinceKeyframe >= this.keyframeNumbers) {
        this.keyframes.push(this.keyframeAt(this.snapshots.length - 1));
        this.numbersSinceKeyframe = 0;
      }
      this.snapshots.push((row = [r.endMs]));
    }
    for (let k = 0; k < changes.length; k += 3) {
      const i = changes[k];
      const what = changes[k + 1];
      const value = changes[k + 2];
      if (what >= 0) this.states[what][i] = value;
      else if (what === DOWN) this.down[i] = value;
      else this.killed[i] = value;
      row.push(i, what, value);
    }
    this.numbersSinceKeyframe += changes.length;
  }

  /** The topology recorded so far (its lists, not copies: read it once the run is over). */
  encoded(): EncodedTopology {
    return { topics: this.topics, nodes: this.names, views: this.views.rows, snapshots: this.snapshots, keyframes: this.keyframes };
  }

  private keyframeAt(at: number): TopologyKeyframe {
    return { at, down: onesOf(this.down), killed: onesOf(this.killed), states: this.states.map((s) => [...s]) };
  }

  private clearViews(i: number): void {
    for (let t = 0; t < this.topics.length; t++) if (this.states[t][i] !== 0) this.changes.push(i, t, 0);
  }

  private changesOf(r: SpanRecord): void {
    const changes = this.changes;
    switch (r.name) {
      case 'mesh.gossip.neighbor_up':
      case 'mesh.gossip.neighbor_down': {
        const t = this.topicIndex.get(String(r.attrs.topic));
        const i = this.indexOfName.get(r.node);
        const peer = this.indexOfId.get(String(r.attrs.peerId));
        if (t === undefined || i === undefined || peer === undefined) return;
        const view = this.views.rows[this.states[t][i]];
        const up = r.name === 'mesh.gossip.neighbor_up';
        if (up === view.includes(peer)) return;
        changes.push(i, t, this.views.idOf(up ? [...view, peer] : view.filter((p) => p !== peer)));
        return;
      }
      case 'mesh.node.ready': {
        const i = this.indexOfName.get(r.node);
        if (i === undefined) return;
        if (this.down[i] === 1) changes.push(i, DOWN, 0);
        if (this.killed[i] === 1) changes.push(i, KILLED, 0);
        this.clearViews(i);
        return;
      }
      case 'sim.node.killed': {
        const targets = new Set(String(r.attrs.targets ?? '').split(',').filter((t) => t !== ''));
        for (const target of [...targets].sort()) {
          const i = this.indexOfName.get(target);
          if (i === undefined) continue;
          if (this.down[i] === 0) changes.push(i, DOWN, 1);
          if (this.killed[i] === 0) changes.push(i, KILLED, 1);
          this.clearViews(i);
        }
        return;
      }
      default:
        return;
    }
  }
}

/**
 * The state at snapshot `index` of an encoded topology: the keyframe at or before it, then the
 * changes of the snapshots after the keyframe up to `index`. The report's page runs this same
 * function (its source is embedded in the page), so it is plain ES2017 without outside names.
 */
export function topologyStateAt(topo: EncodedTopology, index: number): TopologyState {
  const frames = topo.keyframes;
  let lo = 0;
  let hi = frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid].at <= index) lo = mid;
    else hi = mid - 1;
  }
  const frame = frames[lo];
  const down = new Array(topo.nodes.length).fill(0);
  const killed = new Array(topo.nodes.length).fill(0);
  frame.down.forEach((i) => (down[i] = 1));
  frame.killed.forEach((i) => (killed[i] = 1));
  const states = frame.states.map((s) => s.slice());
  for (let k = frame.at + 1; k <= index; k++) {
    const row = topo.snapshots[k];
    for (let j = 1; j < row.length; j += 3) {
      if (row[j + 1] >= 0) states[row[j + 1]][row[j]] = row[j + 2];
      else if (row[j + 1] === -1) down[row[j]] = row[j + 2];
      else killed[row[j]] = row[j + 2];
    }
  }
  return { atMs: topo.snapshots[index][0], down, killed, states };
}

function onesOf(flags: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === 1) out.push(i);
  return out;
}

/** Distinct views (node indices kept in the order of their names), numbered; 0 is the empty view. */
class ViewTable {
  readonly rows: (readonly number[])[] = [[]];
  private readonly ids = new Map<string, number>([['', 0]]);

  constructor(private readonly names: readonly string[]) {}

  /** The id of the view holding `members` (any order). */
  idOf(members: readonly number[]): number {
    const view = [...members].sort((a, b) => (this.names[a] < this.names[b] ? -1 : this.names[a] > this.names[b] ? 1 : 0));
    const key = view.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.rows.length;
      this.rows.push(view);
      this.ids.set(key, id);
    }
    return id;
  }
}
