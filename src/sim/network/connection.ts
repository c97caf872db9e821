/**
 * One end of a QUIC-like connection: its streams, its share of the send buffer, and one lazily
 * re-armed timer chain that serves two deadlines (keep-alive after `keepAliveMs` without
 * sending, idle timeout after `idleTimeoutMs` without receiving a packet or the acknowledgement
 * of one of its own, Wire.ackRestartsIdle), like the single connection
 * timer of a QUIC stack. Every callback into the app goes through the owner's deliver(). This
 * module must not decide loss, latency or addressing (that is the wire's job).
 *
 * The timer is never cancelled: it checks the end's state when it fires (one chain per end; a
 * closed end's timer runs once more and stops, and no longer reaches the end). It is armed for
 * the earlier of the idle deadline and the keep-alive's next look (`keepAliveNextMs`), and each
 * fire re-reads both, so an end that keeps receiving costs one event per keep-alive period, not
 * one per deadline.
 * A dialer's chain starts with the dial timeout: that fire fails a dial still in its handshake,
 * and otherwise serves as the open end's first look. A connection that lives shorter than the
 * dial timeout (most of a large boot's) then costs its dialer one timer event, not two.
 *
 * Close semantics: close() sends one CONNECTION_CLOSE packet (which may be lost) and closes
 * this end at once; the closer's onClose IS called, with 'closed-locally'. Every end that
 * opened gets exactly one onClose, except after Endpoint.closeSilently (a killed owner).
 * A reset from the peer's host (deadPeer 'reset' or 'close') closes an open end with 'reset'
 * and fails a dial with 'reset'; nothing is sent back.
 */
import { assert } from '../assert.js';
import type { Task } from '../scheduler.js';
import type { Endpoint } from './endpoint.js';
import type { Link } from './link.js';
import type { LostPackets } from './loss-detection.js';
import { Packet, PacketKind } from './packet.js';
import { Stream, type StreamKind } from './stream.js';
import { UNRESPONSIVE_POLL_MS, retransmitTimeoutMs, type Address, type CloseReason, type DialResult, type NodeKey, type WriteResult } from './types.js';
import type { Wire } from './wire.js';

const OK: WriteResult = Object.freeze({ ok: true }) as WriteResult;
/** Streams an end finds by a scan; with more it keeps an index by id too. */
const STREAM_SCAN_MAX = 8;
const BACKPRESSURE: WriteResult = Object.freeze({ ok: false, reason: 'backpressure' }) as WriteResult;

export class Connection {
  readonly id: number;
  readonly local: NodeKey;
  /**
   * Virtual time this end last heard from its peer, ms: a packet received, or the arrival of the
   * acknowledgement of one it sent (which may lie a return latency ahead of now).
   */
  lastReceivedAtMs: number;
  /** @internal Virtual time this end last put a packet on the wire, ms. */
  lastSentAtMs: number;
  /** Called (via deliver) when the peer opens a stream, on its first data. */
  onStream: (s: Stream) => void = () => {};
  /** Called once (via deliver) when this end closes. */
  onClose: (reason: CloseReason) => void = () => {};
  /**
   * Whether this end sends keep-alives when idle (default true). An app turns it off on a
   * connection it has superseded, so that the connection idles out instead of being closed.
   */
  keepAlive = true;

  /** @internal */
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** @internal The other end (a simulation shortcut; the wire still checks addresses). */
  peer: Connection | null = null;
  /** @internal */
  readonly linkOut: Link;
  /** @internal */
  readonly linkIn: Link;
  /** @internal Unacknowledged payload bytes over all streams. */
  bufferedBytes = 0;
  /** @internal The packet number of this end's next transmission attempt (see `Packet.packetNumber`). */
  nextPacketNumber = 0;
  /**
   * @internal Lost packets waiting for their retransmission, for loss detection by the wire
   * (loss-detection.ts); null when there are none (nearly always) and once the end is closed.
   */
  lost: LostPackets | null = null;

  private openedAtMsValue = -1;
  /**
   * Streams this end tracks, in order of creation. An end has one or two (a uni stream each way,
   * or an echo's bi stream), so a scan finds one as fast as a map would, in a third of the
   * memory: a map per end was 3 % of a large run's heap. An end with more (an app's many
   * concurrent streams) gets an index by id as well, past STREAM_SCAN_MAX.
   */
  private readonly streams: Stream[] = [];
  private streamIndex: Map<number, Stream> | null = null;
  /** `receiveData`'s memo: the stream the last chunk was for, while `streams` holds it. */
  private recvMemo: Stream | null = null;
  /** Streams refused by backpressure, waiting for room; null when none (most of the time). */
  private drainWaiters: Stream[] | null = null;
  private nextStreamIndex = 0;
  private keepAliveInFlight = false;
  /** When the keep-alive next looks at this end, ms. */
  private keepAliveNextMs = 0;
  private dialDone: ((r: DialResult) => void) | null = null;
  /** When the chain's live fire is due, ms (-1: none armed); a fire at another time is stale. */
  private timerDueMs = -1;
  /**
   * What the pending fire reaches: this end until it closes, then nothing. A closed end's last
   * fire may be a keep-alive period away, and through it the scheduler would hold the end, its
   * streams, decoders and the app's closures that long: a large boot closes tens of thousands of
   * short connections per virtual second. The fire itself still runs (a no-op, as before).
   * The target is the scheduler's event itself (a task), with no closure in front of it.
   */
  private readonly timerTarget = new ConnectionFire(this);

  constructor(
    /** @internal */ readonly wire: Wire,
    /** @internal */ readonly endpoint: Endpoint,
    readonly remote: NodeKey,
    readonly direction: 'outbound' | 'inbound',
    /** The peer's address this connection was made with; a NAT remap makes it stale. */
    readonly remoteAddr: Address,
    /** The accepting end shares the dialer's id (like a QUIC connection id). */
    sharedId?: number,
  ) {
    assert(remote !== endpoint.node, 'a connection to oneself');
    this.id = sharedId ?? wire.nextConnectionId();
    this.local = endpoint.node;
    this.linkOut = wire.link(this.local, remote);
    this.linkIn = wire.link(remote, this.local);
    this.lastReceivedAtMs = wire.scheduler.nowMs;
    this.lastSentAtMs = wire.scheduler.nowMs;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Whether this open end, kept alive, has heard nothing from its peer for longer than a
   * keep-alive period and a half. A live peer end that keeps the connection alive sends at least
   * once per keep-alive period (a lost keep-alive is resent within a fraction of another), so
   * the path of such an end is almost surely dead; its idle timeout would say so only at
   * `idleTimeoutMs` of silence.
   */
  get silentPastKeepAlive(): boolean {
    return this.state === 'open' && this.keepAlive && this.wire.scheduler.nowMs - this.lastReceivedAtMs > 1.5 * this.wire.config.keepAliveMs;
  }

  /**
   * Whether this open end opened more than a dial timeout ago: before any dial still under way
   * now, by either end, could have begun.
   */
  get openedBeforeDialsUnderWay(): boolean {
    return this.state === 'open' && this.openedAtMsValue >= 0 && this.wire.scheduler.nowMs - this.openedAtMsValue > this.wire.config.dialTimeoutMs;
  }

  /** When this end opened, ms (-1 while connecting or if it never opened). */
  get openedAtMs(): number {
    return this.openedAtMsValue;
  }

  /** Streams this end still tracks (open in at least one direction), in id order of creation. */
  openStreams(): readonly Stream[] {
    return this.streams.slice();
  }

  /** Whether a stream of this kind is open (`openStreams` without the copy: checks ask it per end and second). */
  hasOpenStream(kind: StreamKind): boolean {
    const streams = this.streams;
    for (let i = 0; i < streams.length; i++) if (streams[i].kind === kind) return true;
    return false;
  }

  openUni(): Stream {
    return this.openStream('uni');
  }

  openBi(): Stream {
    return this.openStream('bi');
  }

  close(): void {
    this.closeSending('closed-locally');
  }

  /** @internal Send CONNECTION_CLOSE once, then close this end and report `reason`. */
  closeSending(reason: CloseReason): void {
    if (this.state !== 'open') return;
    this.wire.transmit(new Packet(PacketKind.Close, this, null, 0, null));
    this.closeWith(reason, true);
  }

  /** @internal Start the handshake (dialer side). */
  startDial(done: (r: DialResult) => void): void {
    assert(this.direction === 'outbound' && this.state === 'connecting', 'startDial on a non-dialing end');
    this.dialDone = done;
    this.endpoint.pendingDials.add(this);
    this.schedule(this.wire.scheduler.nowMs + this.wire.config.dialTimeoutMs);
    this.wire.transmit(new Packet(PacketKind.Initial, this, null, 0, null));
  }

  /** @internal Open this end: registers it with its endpoint and arms its timers. */
  open(): void {
    if (this.state !== 'connecting') assert(false, `open from state ${this.state}`);
    const nowMs = this.wire.scheduler.nowMs;
    this.state = 'open';
    this.openedAtMsValue = nowMs;
    this.endpoint.pendingDials.delete(this);
    this.endpoint.conns.set(this.id, this);
    this.wire.stats.connectionsOpened++;
    // A slow handshake can already be past either deadline: the timer then fires now and re-checks.
    this.keepAliveNextMs = Math.max(nowMs, this.lastSentAtMs + this.wire.config.keepAliveMs);
    // A dialer's dial-timeout fire is its first look, unless a deadline comes before it.
    const dueMs = this.nextDueMs(nowMs);
    if (this.timerDueMs < 0 || dueMs < this.timerDueMs) this.schedule(dueMs);
    if (this.direction === 'inbound') {
      this.wire.transmit(new Packet(PacketKind.Response, this, null, 0, null));
      return;
    }
    const done = this.dialDone!;
    this.dialDone = null;
    this.notify(() => done({ ok: true, conn: this }));
  }

  /** @internal The wire accepted a packet for this end. */
  receive(p: Packet): void {
    assert(this.state !== 'closed', 'receive on a closed end');
    const nowMs = this.wire.scheduler.nowMs;
    // An acknowledgement on its way may have set a later time (Wire.ackRestartsIdle).
    if (nowMs > this.lastReceivedAtMs) this.lastReceivedAtMs = nowMs;
    if (this.state === 'connecting') this.open(); // Any packet from the acceptor completes the handshake.
    if (p.kind === PacketKind.Data) this.receiveData(p);
    else if (p.kind === PacketKind.Close) this.closeWith('closed-by-peer', true);
  }

  /** @internal The peer received one of our reliable packets. */
  acked(p: Packet): void {
    if (this.state !== 'open') return;
    if (p.kind === PacketKind.KeepAlive) this.keepAliveInFlight = false;
    if (p.kind !== PacketKind.Data) return;
    const s = p.stream!;
    s.acked(p);
    if (s.latest === p) s.latest = null; // arrived: nothing joins it, and the stream lets it go
    this.bufferedBytes -= p.payloadBytes;
    // Tested first, message built only on failure: this runs per acknowledged packet.
    if (this.bufferedBytes < 0) assert(false, `connection ${this.id} buffered bytes went negative`);
    this.forgetIfDone(s);
    this.checkDrain();
  }

  /** @internal Queues `bytes` (copied unless `owned`: then the caller gave them up). */
  writeChunk(s: Stream, bytes: Uint8Array, owned: boolean): WriteResult {
    const limitBytes = this.wire.config.sendBufferBytes;
    // An empty buffer always takes one chunk, so a chunk larger than the buffer cannot stall.
    if (this.bufferedBytes > 0 && this.bufferedBytes + bytes.length > limitBytes) {
      if (!s.waitingDrain) (this.drainWaiters ??= []).push(s);
      s.waitingDrain = true;
      s.drainNeedBytes = Math.max(s.drainNeedBytes, bytes.length);
      return BACKPRESSURE;
    }
    this.bufferedBytes += bytes.length;
    // Written in the millisecond the stream's latest chunk left, and it is still on its way:
    // the bytes join that packet, as a QUIC stack packs stream data into one datagram. Not on a
    // bandwidth-limited link, whose queue already charged the packet's serialization.
    const latest = s.latest;
    if (latest !== null && latest.joinable(this.wire.scheduler.nowMs, bytes.length) && this.linkOut.state.bandwidthBytesPerSec === 0) {
      this.wire.join(latest, owned ? bytes : bytes.slice());
      s.addToLatest(bytes.length);
      return OK;
    }
    const seq = s.takeSeq(bytes.length);
    const p = new Packet(PacketKind.Data, this, s, seq, owned ? bytes : bytes.slice());
    s.latest = p;
    this.wire.transmit(p);
    return OK;
  }

  /** @internal */
  sendFin(s: Stream): void {
    s.latest = null;
    // A FIN is the Data packet without bytes (`Packet.fin`).
    this.wire.transmit(new Packet(PacketKind.Data, this, s, s.takeSeq(0), null));
  }

  /** @internal Run an app callback through the owner (dropped once the endpoint is closed). */
  notify(fn: () => void): void {
    this.endpoint.notify(fn);
  }

  /** @internal Retransmission timeout after `losses` lost attempts, ms: doubles per loss (`retransmitTimeoutMs`). */
  rtoMs(losses: number): number {
    const o = this.linkOut.state;
    const i = this.linkIn.state;
    return retransmitTimeoutMs(this.wire.config, o.latencyMs + o.jitterMs + i.latencyMs + i.jitterMs, losses);
  }

  /** @internal The peer's host answered with a reset: a dial fails, an open end closes, both with 'reset'. */
  resetByPeer(): void {
    if (this.state === 'connecting') this.failDial('reset');
    else this.closeWith('reset', true);
  }

  /** @internal Close without sending anything; `notify` = report `reason` to onClose. */
  closeWith(reason: CloseReason, notify: boolean): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.timerTarget.end = null; // a closed end's fire does nothing; let the end go
    this.endpoint.conns.delete(this.id);
    this.endpoint.pendingDials.delete(this);
    this.streams.length = 0;
    this.streamIndex = null;
    this.recvMemo = null;
    this.drainWaiters = null;
    this.dialDone = null;
    this.lost = null; // their retransmissions find the end closed
    if (!wasOpen) return;
    this.wire.stats.connectionsClosed++;
    if (notify) this.notify(() => this.onClose(reason));
  }

  private failDial(reason: 'timeout' | 'reset'): void {
    if (this.state !== 'connecting') return;
    const done = this.dialDone!;
    this.closeWith('closed-locally', false);
    this.wire.stats.dialFailures++;
    this.notify(() => done({ ok: false, reason }));
  }

  private openStream(kind: StreamKind): Stream {
    const index = this.nextStreamIndex++;
    // QUIC-like ids: bit 0 = initiated by the acceptor's side, bit 1 = unidirectional.
    const id = index * 4 + (this.direction === 'outbound' ? 0 : 1) + (kind === 'uni' ? 2 : 0);
    const s = new Stream(this, id, kind, true);
    // A stream of a closed connection is returned untracked; its writes report 'closed'.
    if (this.state === 'open') this.track(s);
    return s;
  }

  private isLocalStreamId(id: number): boolean {
    return (id & 1) === (this.direction === 'outbound' ? 0 : 1);
  }

  private receiveData(p: Packet): void {
    const from = p.stream!;
    // The stream of the last chunk first: an end receives on one stream nearly always.
    let s = this.recvMemo !== null && this.recvMemo.id === from.id ? this.recvMemo : this.streamById(from.id);
    if (s === undefined) {
      if (this.isLocalStreamId(from.id)) return; // Ours and already finished: a stale chunk.
      const opened = new Stream(this, from.id, from.kind, false);
      this.track(opened);
      this.notify(() => this.onStream(opened));
      s = opened;
    }
    this.recvMemo = s;
    s.receive(p);
    this.forgetIfDone(s);
  }

  private track(s: Stream): void {
    this.streams.push(s);
    if (this.streamIndex !== null) this.streamIndex.set(s.id, s);
    else if (this.streams.length > STREAM_SCAN_MAX) this.streamIndex = new Map(this.streams.map((t) => [t.id, t]));
  }

  private streamById(id: number): Stream | undefined {
    if (this.streamIndex !== null) return this.streamIndex.get(id);
    const streams = this.streams;
    for (let i = 0; i < streams.length; i++) if (streams[i].id === id) return streams[i];
    return undefined;
  }

  private forgetIfDone(s: Stream): void {
    if (!(s.sendDone && s.recvDone)) return;
    const i = this.streams.indexOf(s);
    if (i >= 0) this.streams.splice(i, 1);
    this.streamIndex?.delete(s.id);
    if (this.recvMemo === s) this.recvMemo = null;
  }

  private checkDrain(): void {
    // Read per acknowledged packet: a null test of this end's own field, not a list's length.
    if (this.drainWaiters === null) return;
    // Detach the list first: when the owner runs callbacks synchronously, an onDrain may write
    // until backpressure again and re-register its stream while we are still iterating (which
    // used to re-visit it forever). Free space is re-read per stream for the same reason.
    const candidates = this.drainWaiters;
    this.drainWaiters = null;
    for (const s of candidates) {
      const freeBytes = this.wire.config.sendBufferBytes - this.bufferedBytes;
      if (this.bufferedBytes === 0 || freeBytes >= s.drainNeedBytes) {
        s.waitingDrain = false;
        s.drainNeedBytes = 0;
        this.notify(() => s.onDrain());
      } else {
        (this.drainWaiters ??= []).push(s);
      }
    }
  }

  /** The earlier of the idle deadline and the keep-alive's next look, not before now. */
  private nextDueMs(nowMs: number): number {
    const idleDueMs = this.lastReceivedAtMs + this.wire.config.idleTimeoutMs;
    return Math.max(nowMs, Math.min(idleDueMs, this.keepAliveNextMs));
  }

  private schedule(atMs: number): void {
    this.timerDueMs = atMs;
    this.wire.scheduler.at(atMs, this.timerTarget);
  }

  /** @internal The timer chain's fire (`ConnectionFire`). */
  onTimer(): void {
    const nowMs = this.wire.scheduler.nowMs;
    if (nowMs !== this.timerDueMs) return; // stale: an earlier deadline re-armed the chain
    this.timerDueMs = -1;
    if (this.state === 'connecting') {
      this.failDial('timeout');
      return;
    }
    if (this.state !== 'open') return;
    if (nowMs >= this.lastReceivedAtMs + this.wire.config.idleTimeoutMs) {
      this.closeWith('idle-timeout', true);
      return;
    }
    if (nowMs >= this.keepAliveNextMs) this.keepAliveNextMs = this.keepAliveLook(nowMs);
    this.schedule(this.nextDueMs(nowMs));
  }

  /** The keep-alive's look at this end: sends one if due; returns when to look next, ms. */
  private keepAliveLook(nowMs: number): number {
    const dueMs = this.lastSentAtMs + this.wire.config.keepAliveMs;
    if (nowMs < dueMs) return dueMs;
    if (!this.keepAlive) return nowMs + this.wire.config.keepAliveMs;
    const owner = this.endpoint.owner;
    if (!owner.isUp() || !owner.isResponsive()) return nowMs + UNRESPONSIVE_POLL_MS;
    if (!this.keepAliveInFlight) {
      this.keepAliveInFlight = true;
      this.wire.transmit(new Packet(PacketKind.KeepAlive, this, null, 0, null));
    }
    return nowMs + this.wire.config.keepAliveMs;
  }
}

/** A connection end's timer in the scheduler's queue: reaches the end until it closes. */
class ConnectionFire implements Task {
  constructor(public end: Connection | null) {}

  run(): void {
    this.end?.onTimer();
  }
}
