/**
 * A packet on the simulated wire. One object per logical packet: a retransmission reuses it
 * (with its bound callbacks; the retry one is made on the first loss only), so the hot path
 * allocates once per chunk, not per attempt.
 * A packet carries a reference to its sending connection end; the receiver end is found through
 * that end's peer (a simulation shortcut), and the wire checks addresses before accepting it.
 * This module holds data only; the decisions live in wire.ts.
 */
import type { Connection } from './connection.js';
import type { Stream } from './stream.js';
import { PACKET_OVERHEAD_BYTES, type Address } from './types.js';

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

/** What a packet needs from the wire to be scheduled. */
export interface PacketSink {
  arrive(p: Packet): void;
  retry(p: Packet): void;
}

export class Packet {
  /** Sender's address at the latest attempt (a NAT remap changes it for retransmissions). */
  srcAddr: Address = '';
  /** Virtual time of the latest attempt, ms. */
  sentAtMs = 0;
  /** Attempts lost so far; the retransmission timeout doubles with each. */
  losses = 0;
  readonly arriveFn: () => void;
  private retryFnValue: (() => void) | null = null;

  constructor(
    private readonly sink: PacketSink,
    readonly kind: PacketKind,
    readonly from: Connection,
    readonly stream: Stream | null,
    readonly seq: number,
    readonly bytes: Uint8Array | null,
    readonly fin: boolean,
  ) {
    this.arriveFn = () => sink.arrive(this);
  }

  get retryFn(): () => void {
    if (this.retryFnValue === null) this.retryFnValue = () => this.sink.retry(this);
    return this.retryFnValue;
  }

  get reliable(): boolean {
    return this.kind !== PacketKind.Close;
  }

  get sizeBytes(): number {
    return PACKET_OVERHEAD_BYTES + (this.bytes === null ? 0 : this.bytes.length);
  }
}
