/**
 * Frames and bytes a node sent and received, by frame tag (SPEC §10.4: bandwidth per node by
 * frame type, so users see what their design costs — e.g. the full profile's Θ(n²) digest
 * gossip). Plain counters in typed arrays: one increment per frame, no allocation.
 * Must not read clocks; the harness divides by virtual time.
 */
import { MESSAGE_TAG } from '../protocol/messages.js';
import { TAG_ECHO, TAG_TRACED } from '../protocol/framer.js';

const TAGS = 256;

export class TrafficCounter {
  readonly framesSent = new Float64Array(TAGS);
  readonly bytesSent = new Float64Array(TAGS);
  readonly framesReceived = new Float64Array(TAGS);
  readonly bytesReceived = new Float64Array(TAGS);

  /** An encoded frame (tag byte first) went out. */
  sent(frame: Uint8Array): void {
    this.framesSent[frame[0]]++;
    this.bytesSent[frame[0]] += frame.length;
  }

  received(tag: number, frameBytes: number): void {
    this.framesReceived[tag]++;
    this.bytesReceived[tag] += frameBytes;
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
  for (let tag = 0; tag < TAGS; tag++) {
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
