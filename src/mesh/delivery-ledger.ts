/**
 * Which node delivered which message, for all the mesh nodes of one simulation: the evidence of
 * the no-duplicate-delivery check. A node notes every payload Plumtree hands it here, and learns
 * whether it had delivered it before; the check reads the nodes' counts of such repeats, never
 * Plumtree's own received-id table (the structure it checks).
 *
 * One record per message, with a bit per reader (a topic of one node incarnation), instead of a
 * map per node: in an all-nodes burst every node delivers every message, and a map entry per
 * (node, message) was 47 bytes of each pair (docs/performance.md, round 22) — 4.7 GB at 10,000
 * nodes. Here a pair is one bit. A restarted node gets new readers, so it starts with no record,
 * as a node's memory would.
 *
 * A message is forgotten once no reader has delivered it for `retentionMs` (120 s): a reader's
 * record lasts at least that long after its own delivery, as the per-node maps did; it can last
 * longer, while other readers still deliver the message. Forgetting runs at most once per
 * `FORGET_EVERY_MS`, however many nodes ask. It must not read clocks: callers pass `nowMs`.
 */
import type { MessageId } from '../protocol/messages.js';

/** How long a delivery is remembered to catch a repeat, ms. */
export const DELIVERED_RETENTION_MS = 120_000;
/** Shortest time between two passes that forget old messages (the node's pruner period). */
const FORGET_EVERY_MS = 5_000;

interface MessageRecord {
  /** Bit r set: reader r delivered the message. Grows when readers are added later. */
  bits: Uint8Array;
  /** The last delivery of the message by any reader, virtual ms. */
  lastMs: number;
}

export class DeliveryLedger {
  private readonly messages = new Map<MessageId, MessageRecord>();
  private readers = 0;
  private nextForgetMs = -Infinity;

  constructor(readonly retentionMs: number = DELIVERED_RETENTION_MS) {}

  /** A new reader: one per topic of a node incarnation. */
  addReader(): number {
    return this.readers++;
  }

  /** Notes that `reader` delivered `id` at `nowMs`; true when it had delivered it already. */
  record(reader: number, id: MessageId, nowMs: number): boolean {
    const byte = reader >>> 3;
    const bit = 1 << (reader & 7);
    let m = this.messages.get(id);
    if (m === undefined) {
      m = { bits: new Uint8Array((this.readers + 7) >>> 3), lastMs: nowMs };
      this.messages.set(id, m);
    } else if (byte >= m.bits.length) {
      const grown = new Uint8Array((this.readers + 7) >>> 3);
      grown.set(m.bits);
      m.bits = grown;
    }
    m.lastMs = nowMs;
    const had = (m.bits[byte] & bit) !== 0;
    m.bits[byte] |= bit;
    return had;
  }

  /** Whether `reader` delivered `id` and the message is still remembered. */
  delivered(reader: number, id: MessageId): boolean {
    const m = this.messages.get(id);
    const byte = reader >>> 3;
    return m !== undefined && byte < m.bits.length && (m.bits[byte] & (1 << (reader & 7))) !== 0;
  }

  /** When any reader last delivered `id`, or undefined once it is forgotten. */
  lastDeliveryMs(id: MessageId): number | undefined {
    return this.messages.get(id)?.lastMs;
  }

  /** Messages remembered. */
  get size(): number {
    return this.messages.size;
  }

  /** Forgets messages no reader delivered for more than `retentionMs`; a pass at most every 5 s. */
  forget(nowMs: number): void {
    if (nowMs < this.nextForgetMs) return;
    this.nextForgetMs = nowMs + FORGET_EVERY_MS;
    for (const [id, m] of this.messages) {
      if (nowMs - m.lastMs > this.retentionMs) this.messages.delete(id);
    }
  }
}
