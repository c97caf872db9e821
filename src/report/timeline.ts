/**
 * The Timeline tab's data, extracted from the trace: one row per node with its connection,
 * disconnection, prune, heartbeat (and a few other state) events, then one row per chaos event
 * spanning apply → revert. A node killed by chaos gets a down interval on its row (kill →
 * next ready), so its silence reads as "killed", not as a gap. Compact arrays, because the
 * report embeds them. Past TIMELINE_EVENTS_MAX events (hundreds of nodes emit millions of
 * Plumtree prunes) the most numerous kinds are sampled — every k-th event of the kind, so
 * rare kinds stay complete — and `sampled` says which and how much. Pure data; the drawing is
 * the browser script's job.
 */
import type { SpanName, SpanRecord } from '../sim/telemetry/index.js';
import type { ChaosRow } from './chaos-events.js';
import { attrText, type NodeNames } from './span-text.js';
import type { TopologyNode } from './topology-snapshots.js';

/** Most events the Timeline embeds and draws. */
export const TIMELINE_EVENTS_MAX = 50_000;

/** Event kinds in legend order, each with the span names it shows. */
export const TIMELINE_KINDS: readonly (readonly [string, readonly SpanName[]])[] = [
  ['ready', ['mesh.node.ready', 'mesh.node.stopping']],
  ['connected', ['mesh.peer.connected', 'mesh.cross.peer_connected']],
  ['disconnected', ['mesh.peer.disconnected', 'mesh.peer.dial_failed']],
  ['neighbor', ['mesh.gossip.join', 'mesh.peercache.rejoin', 'mesh.gossip.neighbor_up', 'mesh.gossip.neighbor_down']],
  ['pruned', ['mesh.staleness.pruned', 'mesh.plumtree.prune']],
  ['heartbeat', ['mesh.heartbeat']],
  ['evidence', ['chaos.primitive.evidence']],
  ['problem', ['mesh.seed.giveup', 'mesh.seed.retry', 'mesh.disk.write_failed', 'mesh.frame.decode_failed', 'mesh.bi.unknown_tag']],
];

export interface TimelineRow {
  readonly label: string;
  /** 'node' rows carry role and mesh; 'chaos' rows carry the chaos event id. */
  readonly kind: 'node' | 'chaos';
  readonly role?: string;
  readonly meshId?: string;
  readonly chaosId?: number;
}

export interface TimelineData {
  readonly rows: readonly TimelineRow[];
  readonly kinds: readonly string[];
  /** Span names referred to by events. */
  readonly names: readonly string[];
  /** [tMs, row, kind index, name index, attribute text] */
  readonly events: readonly (readonly [number, number, number, number, string])[];
  /** [row, chaos id, startMs, endMs, detectedAtMs or -1, verdict] */
  readonly bars: readonly (readonly [number, number, number, number, number, string])[];
  /** [row, killedAtMs, upAgainAtMs or endMs]: a node down after a killing chaos primitive. */
  readonly downs: readonly (readonly [number, number, number])[];
  /** Kinds thinned to fit TIMELINE_EVENTS_MAX: [kind index, events kept, events in the trace]. */
  readonly sampled: readonly (readonly [number, number, number])[];
  readonly endMs: number;
}

export function timelineOf(
  records: readonly SpanRecord[],
  nodes: readonly TopologyNode[],
  chaos: readonly ChaosRow[],
  names: NodeNames,
  endMs: number,
): TimelineData {
  const kindOf = new Map<string, number>();
  TIMELINE_KINDS.forEach(([, spanNames], k) => spanNames.forEach((n) => kindOf.set(n, k)));
  const rows: TimelineRow[] = nodes.map((n) => ({ label: n.name, kind: 'node', role: n.role, meshId: n.meshId }));
  const rowOf = new Map(nodes.map((n, i) => [n.name, i]));
  const nameIds = new Map<string, number>();
  const events: [number, number, number, number, string][] = [];
  const strides = kindStrides(records, kindOf, rowOf);
  const seenOfKind = TIMELINE_KINDS.map(() => 0);
  const downs: [number, number, number][] = [];
  const downSince = new Map<number, number>();
  for (const r of records) {
    if (r.name === 'sim.node.killed') {
      for (const target of String(r.attrs.targets ?? '').split(',')) {
        const row = rowOf.get(target);
        if (row !== undefined && !downSince.has(row)) downSince.set(row, r.endMs);
      }
    }
    const kind = kindOf.get(r.name);
    const row = rowOf.get(r.node);
    if (kind === undefined || row === undefined) continue;
    if (r.name === 'mesh.node.ready' && downSince.has(row)) {
      downs.push([row, downSince.get(row)!, r.endMs]);
      downSince.delete(row);
    }
    if (seenOfKind[kind]++ % strides[kind] !== 0) continue;
    let nameId = nameIds.get(r.name);
    if (nameId === undefined) {
      nameId = nameIds.size;
      nameIds.set(r.name, nameId);
    }
    events.push([r.endMs, row, kind, nameId, attrText(r.attrs, names)]);
  }
  const bars = chaos.map((c) => {
    const row = rows.length;
    rows.push({ label: `#${c.id} ${c.primitive}`, kind: 'chaos', chaosId: c.id });
    const stopMs = Math.max(c.revertedAtMs ?? endMs, c.detectedAtMs ?? c.atMs, c.atMs);
    return [row, c.id, c.atMs, stopMs, c.detectedAtMs ?? -1, c.verdict] as const;
  });
  for (const [row, sinceMs] of downSince) downs.push([row, sinceMs, endMs]);
  downs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const sampled = strides.flatMap((stride, kind) => (stride === 1 ? [] : [[kind, Math.ceil(seenOfKind[kind] / stride), seenOfKind[kind]] as const]));
  return {
    rows,
    kinds: TIMELINE_KINDS.map(([k]) => k),
    names: [...nameIds.keys()],
    events,
    bars,
    downs,
    sampled,
    endMs: Math.max(endMs, ...bars.map((b) => b[3])),
  };
}

/**
 * Per kind, keep every k-th event so the total fits TIMELINE_EVENTS_MAX: the budget is shared
 * out smallest kind first (a kind that fits keeps everything and leaves its share to the rest).
 */
function kindStrides(records: readonly SpanRecord[], kindOf: ReadonlyMap<string, number>, rowOf: ReadonlyMap<string, number>): number[] {
  const counts = TIMELINE_KINDS.map(() => 0);
  for (const r of records) {
    const kind = kindOf.get(r.name);
    if (kind !== undefined && rowOf.has(r.node)) counts[kind]++;
  }
  const strides = counts.map(() => 1);
  let budget = TIMELINE_EVENTS_MAX;
  const order = counts.map((_, k) => k).sort((a, b) => counts[a] - counts[b] || a - b);
  order.forEach((kind, i) => {
    const share = Math.floor(budget / (order.length - i));
    if (counts[kind] > share) strides[kind] = Math.ceil(counts[kind] / Math.max(1, share));
    budget -= Math.ceil(counts[kind] / strides[kind]);
  });
  return strides;
}
