/**
 * Acknowledgement-based loss detection (RFC 9002 §6.1) for one connection end: the lost packets
 * of the application space waiting for their retransmission, and the rule that brings that
 * retransmission forward when a packet sent after them is acknowledged. Without it a lost
 * packet waited out its own RTO backoff even while later packets got through, and an ordered
 * stream held everything behind it that long (up to `rtoMaxMs`).
 *
 * RFC 9002 §6.1: "A packet is declared lost if it meets all of the following conditions: The
 * packet is unacknowledged, in flight, and was sent prior to an acknowledged packet. The packet
 * was sent kPacketThreshold packets before an acknowledged packet (Section 6.1.1), or it was sent
 * long enough in the past (Section 6.1.2)." Where it is not yet lost by either threshold, a
 * timer fires at `sent + loss delay` (§6.1.2: "a timer SHOULD be set for the remaining time").
 *
 * Where the model departs from RFC 9002:
 *  - Acknowledgements are not packets. The sender learns of a delivery at once (its send buffer
 *    frees then, as before); loss detection alone waits for the ACK's return: the return
 *    direction's base latency, no jitter drawn (a draw would shift that link's random stream), no
 *    ACK delay (RFC 9000 §13.2.1: an out-of-order packet is acknowledged at once, and a packet
 *    after a lost one is out of order). An ACK over a blocked return direction does not arrive
 *    and detects nothing; a lossy one is not modelled (later ACKs repeat its ranges). The same
 *    arrival restarts the sender's idle timer (Wire.ackRestartsIdle, RFC 9000 §10.1).
 *  - Only packets the wire really lost are declared lost: a packet still on its way is never
 *    retransmitted spuriously, however far reordering puts it behind.
 *  - One packet number space per end (handshake packets are numbered too, but only Data and
 *    keep-alive packets are tracked here, and only their delivery detects losses).
 *  - No RTT estimator: the smoothed RTT is the link state's mean RTT (latency both ways plus half
 *    the jitter both ways); the latest RTT is the acknowledged packet's, up to the ACK's return.
 *  - The PTO stays the wire's per-packet RTO, doubling per loss of that packet (RFC 9002 §6.2
 *    has one probe timer per space). As `pto_count` is reset by an acknowledgement (Appendix
 *    A.7), a packet declared lost here starts its backoff again.
 * This module decides when; the wire retransmits. It must not touch streams or app callbacks.
 */
import { assert } from '../assert.js';
import type { EventId, Scheduler } from '../scheduler.js';
import type { Connection } from './connection.js';
import { PacketKind, type Packet } from './packet.js';

/** RFC 9002 §6.1.1, kPacketThreshold. */
export const PACKET_THRESHOLD = 3;
/** RFC 9002 §6.1.2, kTimeThreshold = 9/8 (kept as a ratio: virtual time is whole ms). */
const TIME_THRESHOLD_NUM = 9;
const TIME_THRESHOLD_DEN = 8;
/** RFC 9002 §6.1.2, kGranularity (1 ms, the recommended value; also the clock's resolution). */
const GRANULARITY_MS = 1;

/** Whether a lost `p` is tracked for acknowledgement-based detection (the application space). */
export function tracksLoss(p: Packet): boolean {
  return p.kind === PacketKind.Data || p.kind === PacketKind.KeepAlive;
}

/**
 * One end's lost packets, each with its pending retransmission, in packet-number order (the
 * order of their latest attempts). Parallel arrays, no object per entry. A connection holds
 * one only while it has a lost packet waiting (null otherwise, nearly always); its length is
 * bounded by the end's packets not yet delivered.
 */
export class LostPackets {
  readonly packets: Packet[] = [];
  /** The scheduler's id of each packet's pending retransmission (for `cancel`). */
  readonly eventIds: EventId[] = [];
  /** When that retransmission is due, ms. */
  readonly dueMs: number[] = [];

  get size(): number {
    return this.packets.length;
  }

  /** Adds `p`, whose retransmission `eventId` is due at `dueMs`, in packet-number order. */
  add(p: Packet, eventId: EventId, dueMs: number): void {
    if (p.inFlight) assert(false, 'a packet on its way is tracked as lost');
    const packets = this.packets;
    // Losses are found nearly always in send order (at the send): scan from the end.
    let i = packets.length;
    while (i > 0 && packets[i - 1].packetNumber > p.packetNumber) i--;
    if (i > 0 && packets[i - 1] === p) assert(false, `packet ${p.packetNumber} tracked as lost twice`);
    packets.splice(i, 0, p);
    this.eventIds.splice(i, 0, eventId);
    this.dueMs.splice(i, 0, dueMs);
  }

  /** Drops `p` (its retransmission is running); false if it was not held. */
  remove(p: Packet): boolean {
    const i = this.packets.indexOf(p);
    if (i < 0) return false;
    this.packets.splice(i, 1);
    this.eventIds.splice(i, 1);
    this.dueMs.splice(i, 1);
    return true;
  }
}

/**
 * `acked`, a tracked packet of `conn`, was just delivered: every lost packet of `conn` sent
 * before it and lost by the packet or time threshold is retransmitted when the ACK arrives, and
 * one not yet lost by either when its loss delay has passed, unless its RTO comes first. The
 * retransmissions are rescheduled in packet-number order (a packet is its own pending event:
 * the old one is cancelled).
 */
export function detectLosses(scheduler: Scheduler, conn: Connection, acked: Packet): void {
  const lost = conn.lost;
  if (lost === null) assert(false, 'loss detection without lost packets');
  if (acked.from !== conn) assert(false, 'loss detection from another end\'s packet');
  const back = conn.linkIn.state;
  if (back.blocked) return; // the ACK does not get back
  const ackAtMs = scheduler.nowMs + back.latencyMs;
  const out = conn.linkOut.state;
  const smoothedRttMs = out.latencyMs + back.latencyMs + (out.jitterMs + back.jitterMs) / 2;
  const rttMs = Math.max(smoothedRttMs, ackAtMs - acked.sentAtMs);
  const lossDelayMs = Math.max(GRANULARITY_MS, Math.ceil((TIME_THRESHOLD_NUM * rttMs) / TIME_THRESHOLD_DEN));
  const { packets, eventIds, dueMs } = lost;
  for (let i = 0; i < packets.length && packets[i].packetNumber < acked.packetNumber; i++) {
    const p = packets[i];
    const byCount = acked.packetNumber - p.packetNumber >= PACKET_THRESHOLD;
    const atMs = byCount || ackAtMs - p.sentAtMs >= lossDelayMs ? ackAtMs : p.sentAtMs + lossDelayMs;
    if (atMs >= dueMs[i]) continue;
    // Paired with `LostPackets.add`: a tracked packet's pending event is its retransmission.
    if (p.inFlight) assert(false, `lost packet ${p.packetNumber} is on its way`);
    scheduler.cancel(eventIds[i]);
    eventIds[i] = scheduler.at(atMs, p);
    dueMs[i] = atMs;
    p.losses = 0;
  }
}
