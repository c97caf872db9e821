/**
 * One end of a QUIC-like stream: reliable, ordered bytes in chunks. The send side numbers each
 * chunk and counts it against the connection's send buffer until it is acknowledged; the receive
 * side puts chunks back in sequence order (a reorder buffer) before handing them to `onData`.
 * A stream forgets nothing by itself: its connection drops it from its table once both
 * directions are finished. It must not touch links or timers (the connection and wire do).
 */
import { assert } from '../assert.js';
import type { Connection } from './connection.js';
import { returnChunk } from './chunk-pool.js';
import type { Packet } from './packet.js';
import type { WriteResult } from './types.js';

export type StreamKind = 'uni' | 'bi';

const CLOSED: WriteResult = Object.freeze({ ok: false, reason: 'closed' }) as WriteResult;
const noop = (): void => {};

export class Stream {
  /**
   * Ordered, reliable chunks from the peer, called via the owner's deliver(). The bytes are the
   * ones the sender wrote (its copy, or what it handed over with `writeOwned`): read-only, and
   * never written again by anyone, so a reader may keep views of them — unless it set
   * `readsDataInCall`.
   */
  onData: (bytes: Uint8Array) => void = noop;
  /**
   * Set by a reader whose `onData` reads its bytes only during the call and keeps no view of
   * them (copies what it keeps): the transport may then reuse the memory of a chunk lent by
   * chunk-pool.ts once the call returns.
   */
  readsDataInCall = false;
  /** After a write returned 'backpressure', called (via deliver) once that write would fit. */
  onDrain: () => void = noop;
  /** The peer finished its side (all its data has been handed to onData before). */
  onFinish: () => void = noop;

  /** @internal Send side done: FIN acknowledged (or never had a send side). */
  sendDone: boolean;
  /** @internal Receive side done: FIN received in order (or never had a receive side). */
  recvDone: boolean;
  /** @internal Size of the largest rejected write while waiting for drain; 0 = not waiting. */
  drainNeedBytes = 0;
  /** @internal */
  waitingDrain = false;

  /** @internal The latest Data packet sent on this stream (see `Packet.joinable`). */
  latest: Packet | null = null;

  private sendSeq = 0;
  private recvSeq = 0;
  private reorder: Map<number, Packet> | null = null;
  private bufferedBytesValue = 0;
  private finishing = false;

  constructor(
    private readonly conn: Connection,
    readonly id: number,
    readonly kind: StreamKind,
    /** True when this end opened the stream. */
    readonly locallyInitiated: boolean,
  ) {
    this.sendDone = kind === 'uni' && !locallyInitiated;
    this.recvDone = kind === 'uni' && locallyInitiated;
  }

  /** Payload bytes written on this stream and not yet acknowledged by the peer. */
  get bufferedBytes(): number {
    return this.bufferedBytesValue;
  }

  /** False for the receiving end of a uni stream. */
  get writable(): boolean {
    return !(this.kind === 'uni' && !this.locallyInitiated);
  }

  /**
   * Queue one chunk (usually one whole frame). The bytes are copied. Returns 'backpressure' when
   * the connection's send buffer cannot take it (nothing is queued; onDrain fires later) and
   * 'closed' after finish() or once the connection is closed.
   */
  write(bytes: Uint8Array): WriteResult {
    return this.writeChunk(bytes, false);
  }

  /**
   * Like `write`, but takes the bytes over instead of copying them: the caller must not modify
   * them afterwards. For freshly encoded frames, which saves one copy per chunk sent.
   */
  writeOwned(bytes: Uint8Array): WriteResult {
    return this.writeChunk(bytes, true);
  }

  private writeChunk(bytes: Uint8Array, owned: boolean): WriteResult {
    // Hot-path assertions test first and build their message only on failure.
    if (!this.writable) assert(false, `write on the receiving end of uni stream ${this.id}`);
    if (this.finishing || !this.conn.isOpen) return CLOSED;
    return this.conn.writeChunk(this, bytes, owned);
  }

  /** Finish the send side: the peer's onFinish fires after every byte written before. */
  finish(): void {
    assert(this.writable, `finish on the receiving end of uni stream ${this.id}`);
    if (this.finishing || !this.conn.isOpen) return;
    this.finishing = true;
    this.conn.sendFin(this);
  }

  /** @internal Next send sequence number, counting a chunk of `sizeBytes` as buffered. */
  takeSeq(sizeBytes: number): number {
    this.bufferedBytesValue += sizeBytes;
    return this.sendSeq++;
  }

  /** @internal Counts `sizeBytes` more as buffered, written into the latest chunk. */
  addToLatest(sizeBytes: number): void {
    this.bufferedBytesValue += sizeBytes;
  }

  /** @internal The peer acknowledged one of our chunks. */
  acked(p: Packet): void {
    const sizeBytes = p.payloadBytes;
    this.bufferedBytesValue -= sizeBytes;
    if (this.bufferedBytesValue < 0) assert(false, `stream ${this.id} buffered bytes went negative`);
    if (p.fin) this.sendDone = true;
  }

  /** @internal A chunk from the peer, in any order; hands chunks to the app in sequence order. */
  receive(p: Packet): void {
    if (p.seq < this.recvSeq) return; // Duplicate; the wire does not make them, but be safe.
    if (p.seq > this.recvSeq) {
      if (this.reorder === null) this.reorder = new Map();
      this.reorder.set(p.seq, p);
      return;
    }
    this.take(p);
    while (this.reorder !== null && this.reorder.size > 0) {
      const next = this.reorder.get(this.recvSeq);
      if (next === undefined) break;
      this.reorder.delete(this.recvSeq);
      this.take(next);
    }
  }

  /**
   * Hands `bytes` to the reader; a lent chunk goes back to the pool once a reader that keeps no
   * views has read it (not when the owner defers the call: then it is read later).
   */
  private hand(bytes: Uint8Array): void {
    const readNow = this.conn.endpoint.notifyData(this, bytes);
    if (readNow && this.readsDataInCall) returnChunk(bytes);
  }

  private take(p: Packet): void {
    if (p.seq !== this.recvSeq) assert(false, `stream ${this.id} out of order: ${p.seq} != ${this.recvSeq}`);
    if (this.recvDone) assert(false, `stream ${this.id} data after FIN`);
    this.recvSeq++;
    const bytes = p.bytes;
    if (bytes !== null && bytes.length > 0) this.hand(bytes);
    const joined = p.joined;
    if (joined !== null) for (let i = 0; i < joined.length; i++) if (joined[i].length > 0) this.hand(joined[i]);
    if (p.fin) {
      this.recvDone = true;
      this.reorder = null;
      this.conn.notify(() => this.onFinish());
    }
  }
}
