/**
 * Frames and bytes a node sent and received, by frame tag (SPEC §10.4: bandwidth per node by
 * frame type, so users see what their design costs — e.g. the full profile's Θ(n²) digest
 * gossip). Plain counters in typed arrays: one increment per frame, no allocation.
 * Must not read clocks; the harness divides by virtual time.
 */
import { MESSAGE_TAG } from '../protocol/messages.js';
import { TAG_ECHO, TAG_TRACED } from '../protocol/framer.js';

/**
 * Counters for tags 0x00–0x11, indexed by tag: a counted frame carries 0x01–0x11, because nodes
 * encode only known tags and the framer's decoder refuses any other (`isKnownTag`). Counting
 * all 256 took 8 KB per node, an eighth of a booted node's live heap.
 */
export const TRAFFIC_TAGS = TAG_ECHO + 1;

export class TrafficCounter {
  /** The four counters in one backing store (each typed array over 64 bytes gets its own). */
  private readonly counts = new Float64Array(4 * TRAFFIC_TAGS);
  readonly framesSent = this.counts.subarray(0, TRAFFIC_TAGS);
  readonly bytesSent = this.counts.subarray(TRAFFIC_TAGS, 2 * TRAFFIC_TAGS);
  readonly framesReceived = this.counts.subarray(2 * TRAFFIC_TAGS, 3 * TRAFFIC_TAGS);
  readonly bytesReceived = this.counts.subarray(3 * TRAFFIC_TAGS, 4 * TRAFFIC_TAGS);

  // The counting methods write through `counts` itself, not the four views: each view is an
  // object of its own, and per frame, at 10,000 nodes, each was one more read from memory. A tag
  // past the table (none is counted, see TRAFFIC_TAGS) is dropped, as a write past a view was,
  // instead of landing in the next counter.

  /** An encoded frame (tag byte first) went out. */
  sent(frame: Uint8Array): void {
    const tag = frame[0];
    if (tag >= TRAFFIC_TAGS) return;
    this.counts[tag]++;
    this.counts[TRAFFIC_TAGS + tag] += frame.length;
  }

  received(tag: number, frameBytes: number): void {
    if (!(tag >= 0 && tag < TRAFFIC_TAGS)) return;
    this.counts[2 * TRAFFIC_TAGS + tag]++;
    this.counts[3 * TRAFFIC_TAGS + tag] += frameBytes;
  }
}

/** The name a report shows for a frame tag. */
export function frameTypeName(tag: number): string {
  return TAG_NAMES.get(tag) ?? `tag-0x${tag.toString(16).padStart(2, '0')}`;
}

const TAG_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  ...Object.entries(MESSAGE_TAG).map(([name, tag]) => [tag, name] as [number, string]),
  [TAG_TRACED, 'Traced'],
  [TAG_ECHO, 'Echo'],
]);

export interface TrafficRow {
  readonly frameType: string;
  readonly framesSentPerSecond: number;
  readonly bytesSentPerSecond: number;
  readonly framesReceivedPerSecond: number;
  readonly bytesReceivedPerSecond: number;
}

/** Mean per node and virtual second over `counters`, one row per frame type seen, by tag. */
export function trafficPerNodeSecond(counters: readonly TrafficCounter[], seconds: number): TrafficRow[] {
  const rows: TrafficRow[] = [];
  const div = Math.max(1, counters.length) * Math.max(seconds, 1e-9);
  const round = (x: number): number => Math.round((x / div) * 100) / 100;
  for (let tag = 0; tag < TRAFFIC_TAGS; tag++) {
    let fs = 0, bs = 0, fr = 0, br = 0;
    for (const c of counters) {
      fs += c.framesSent[tag];
      bs += c.bytesSent[tag];
      fr += c.framesReceived[tag];
      br += c.bytesReceived[tag];
    }
    if (fs + fr === 0) continue;
    rows.push({
      frameType: frameTypeName(tag),
      framesSentPerSecond: round(fs),
      bytesSentPerSecond: round(bs),
      framesReceivedPerSecond: round(fr),
      bytesReceivedPerSecond: round(br),
    });
  }
  return rows;
}
