/**
 * The Timeline tab's data, extracted from the trace: one row per node with its connection,
 * disconnection, prune, heartbeat (and a few other state) events, then one row per chaos event
 * spanning apply → revert. Compact arrays, because the report embeds them. Pure data; the
 * drawing is the browser script's job.
 */
import type { SpanRecord } from '../sim/telemetry/index.js';
import type { ChaosRow } from './chaos-events.js';
import { attrText, type NodeNames } from './span-text.js';
import type { TopologyNode } from './topology-snapshots.js';

/** Event kinds in legend order, each with the span names it shows. */
export const TIMELINE_KINDS: readonly (readonly [string, readonly string[]])[] = [
  ['ready', ['mesh.node.ready', 'mesh.node.stopping']],
  ['connected', ['mesh.peer.connected', 'mesh.cross.peer_connected']],
  ['disconnected', ['mesh.peer.disconnected', 'mesh.peer.dial_failed']],
  ['neighbor', ['mesh.gossip.neighbor_up', 'mesh.gossip.neighbor_down']],
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
  for (const r of records) {
    const kind = kindOf.get(r.name);
    const row = rowOf.get(r.node);
    if (kind === undefined || row === undefined) continue;
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
  return {
    rows,
    kinds: TIMELINE_KINDS.map(([k]) => k),
    names: [...nameIds.keys()],
    events,
    bars,
    endMs: Math.max(endMs, ...bars.map((b) => b[3])),
  };
}
