/**
 * A packet on the simulated wire. One object per logical packet: a retransmission reuses it
 * (it is its own event, both for its arrival and for its retransmission), so the hot path
 * allocates once per chunk, not per attempt. At the peak of an all-nodes burst a hundred
 * thousand packets are in flight, so every field counts: what can be derived is not stored.
 * A packet carries a reference to its sending connection end; the receiver end is found through
 * that end's peer (a simulation shortcut), and the wire checks addresses before accepting it.
 * A Data packet on its way may still take more bytes of its stream written in the millisecond it
 * left (`joinable`, `append`): a QUIC stack packs what is written before it next sends into one
 * datagram, and the simulated clock does not see time pass within a millisecond.
 * This module holds data only; the decisions live in wire.ts.
 */
import type { Task } from '../scheduler.js';
import type { Connection } from './connection.js';
import type { Stream } from './stream.js';
import { DATAGRAM_PAYLOAD_BYTES_MAX, PACKET_OVERHEAD_BYTES, type Address } from './types.js';

export const PacketKind = {
  /** Handshake from the dialer; creates the acceptor's end. */
  Initial: 0,
  /** Handshake answer from the acceptor; opens the dialer's end. */
  Response: 1,
  /** One chunk of stream bytes (or an empty FIN). */
  Data: 2,
  KeepAlive: 3,
  /** CONNECTION_CLOSE: sent once, never retransmitted. */
  Close: 4,
} as const;
export type PacketKind = (typeof PacketKind)[keyof typeof PacketKind];

/** Scheduled as itself (`run` is its arrival or its retransmission): no closure per packet. */
export class Packet implements Task {
  /** Sender's address at the latest attempt (a NAT remap changes it for retransmissions). */
  srcAddr: Address = '';
  /** Virtual time of the latest attempt, ms. */
  sentAtMs = 0;
  /**
   * Packet number of the latest attempt (RFC 9000 §12.3): its end's count of attempts, so a
   * retransmission takes a new one. Orders the end's packets for loss detection.
   */
  packetNumber = 0;
  /**
   * Attempts lost since the packet was last declared lost by an acknowledgement (or since it
   * was first sent); the retransmission timeout doubles with each.
   */
  losses = 0;
  /**
   * The latest attempt is on its way: its arrival is scheduled and has not run yet. Otherwise
   * the packet's pending event, if any, is its retransmission (see `run`).
   */
  inFlight = false;
  /** Bytes later writes of the stream added to this chunk, in order (see `append`). */
  joined: Uint8Array[] | null = null;
  /** Stream bytes this packet carries: `bytes` and everything `joined`. */
  payloadBytes: number;

  constructor(
    readonly kind: PacketKind,
    /** The sending end; its wire schedules the packet (and is reached through it). */
    readonly from: Connection,
    readonly stream: Stream | null,
    readonly seq: number,
    /** The chunk's first bytes (`joined` holds what later writes added); null for a FIN. */
    readonly bytes: Uint8Array | null,
  ) {
    this.payloadBytes = bytes === null ? 0 : bytes.length;
  }

  /**
   * The packet's one pending event: its arrival while an attempt is on its way, else its
   * retransmission. A packet never has both pending: a retransmission is scheduled only
   * when an attempt is lost, as it is sent or as it arrives.
   */
  run(): void {
    if (this.inFlight) this.from.wire.arrive(this);
    else this.from.wire.retry(this);
  }

  /** The end of its stream: the Data packet without bytes (every write carries an array, even an empty one). */
  get fin(): boolean {
    return this.bytes === null && this.kind === PacketKind.Data;
  }

  /**
   * Whether `sizeBytes` more of this packet's stream, written at `nowMs`, may travel in it: a
   * Data chunk with bytes (not a FIN), sent at `nowMs` and not yet arrived, that stays within a
   * datagram. The caller makes sure the packet is its stream's latest chunk.
   */
  joinable(nowMs: number, sizeBytes: number): boolean {
    // `bytes !== null`: not a FIN (the caller's packet is a Data packet).
    return this.inFlight && this.sentAtMs === nowMs && this.bytes !== null && this.payloadBytes + sizeBytes <= DATAGRAM_PAYLOAD_BYTES_MAX;
  }

  /**
   * Adds `more` after this chunk's bytes (see `joinable`). Kept as its own array, handed over
   * after the others on arrival: a copy into one buffer per join cost more than the event saved.
   */
  append(more: Uint8Array): void {
    if (this.joined === null) this.joined = [more];
    else this.joined.push(more);
    this.payloadBytes += more.length;
  }

  /**
   * No more chunks join this packet (its millisecond is over): `joined` is copied to an array
   * of its exact length, without the room `push` left to grow (the wire calls this).
   */
  settleJoined(): void {
    const joined = this.joined;
    if (joined !== null && joined.length > 1) this.joined = joined.slice();
  }

  get reliable(): boolean {
    return this.kind !== PacketKind.Close;
  }

  get sizeBytes(): number {
    return PACKET_OVERHEAD_BYTES + this.payloadBytes;
  }
}
