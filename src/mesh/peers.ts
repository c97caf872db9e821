/**
 * The node's connections to its peers: one or more QUIC-like connections per peer, the Hello
 * handshake, framing on streams, and the bi-stream echo service.
 *
 * Control-plane frames go out on one uni stream of the peer's newest open connection. When both
 * sides dial each other there are two connections: the newest (highest connection id, the same
 * at both ends) carries traffic and the older one is left alone to idle out; a live one is never
 * force-closed, since closing it looked like a lost neighbour to the other side. A dead one is:
 * when the peer dials again, every connection to it that opened before that dial could have
 * begun, and when the connection kept alive to it has heard nothing for a keep-alive period and
 * a half (see `closeIfDead`).
 * A peer is lost only when its last connection closes. Every close this node makes names its
 * cause (`PeerCloseCause`), and `mesh.peer.disconnected` carries it: the churn invariant reads it.
 */
import type { Frame } from '../protocol/framer.js';
import { FRAME_LIMIT_BI, FrameDecoder, TAG_ECHO, TAG_TRACED, frameKindOf } from '../protocol/framer.js';
import { FRAME_LIMIT_CONTROL } from '../protocol/codec.js';
import { describeDecodeError } from '../protocol/result.js';
import { decodeTraced, encodeEcho, encodeTraced, type TracedMessage } from '../protocol/traced.js';
import type { NodeContext } from '../sim/node-host.js';
import { DATAGRAM_PAYLOAD_BYTES_MAX, lendChunk, returnChunk, type CloseReason, type Connection, type Stream } from '../sim/network/index.js';
import type { SpanContextRef } from '../sim/telemetry/index.js';
import { leb128U32Bytes } from '../protocol/leb128.js';
import type { MeshNodeConfig } from './config.js';
import { TrafficCounter } from './traffic.js';

/**
 * Frames sent one peer together are packed into chunks (packets) of at most a datagram's bytes
 * (QUIC's smallest); a larger frame goes alone, as every frame did before packing.
 */
const PACKED_CHUNK_BYTES_MAX = DATAGRAM_PAYLOAD_BYTES_MAX;

/** Echo replies one bi stream may hold back while its connection's send buffer is full. */
const ECHO_QUEUE_BYTES_MAX = 1024 * 1024;

export interface PeerInfo {
  readonly meshId: string;
  readonly nodeType: string;
}

export interface PeerListener {
  /** A control-plane frame (tags 0x01–0x0F) arrived from `peer`. */
  onControlFrame(peer: string, frame: Frame): void;
  /** A Hello arrived: the peer's mesh and type are now known. */
  onHello(peer: string, info: PeerInfo, parent: SpanContextRef): void;
  /** The last connection to `peer` closed, or a dial to it failed. */
  onPeerLost(peer: string, reason: string): void;
  /** This node's dial to `peer` opened a connection (an accepted one arrives by `accept`). */
  onDialed(peer: string): void;
}

/**
 * Why this node closes a peer's connections: no topic uses the peer, framing was lost, or the
 * peer dialed again over a path it no longer held (`dead-path`: a fault's doing).
 */
export type PeerCloseCause = 'unused' | 'decode-failed' | 'dead-path';

interface PeerLink {
  readonly conns: Connection[];
  /**
   * The uni stream `write` last wrote on, and its connection's id (-1: none): a node writes to a
   * peer on its newest connection, so this is nearly always the stream wanted.
   */
  memoConnId: number;
  memoStream: Stream | null;
  /**
   * Send streams of this peer's other connections, by connection id; null until a write moves
   * to another connection while the memo's is still open (most peers never have two). Made on
   * demand: an empty map for each of a large run's peer links was 4 % of its heap.
   */
  olderStreams: Map<number, Stream> | null;
  readonly pending: Uint8Array[];
  dialing: boolean;
  info: PeerInfo | null;
  /**
   * Why this node closed each connection it closed, by connection id, until the close is
   * reported; null while none is waiting (made on demand, as `olderStreams`). Kept per
   * connection: a cause must not outlive its connection and name the close of another one (a
   * decode failure on the newest, then the older one closing for another reason).
   */
  closeCauses: Map<number, PeerCloseCause> | null;
}

export class PeerTable {
  private readonly peers = new Map<string, PeerLink>();
  /** Open `hold`s: while above zero, `send` collects frames in `held` instead of writing them. */
  private holds = 0;
  /**
   * Frames sent while held: peers in the order each was first sent to, and each one's frames.
   * An event sends to a handful of peers, so a scan finds a peer faster than a map would.
   */
  private readonly heldPeers: string[] = [];
  private readonly heldFrames: Uint8Array[][] = [];
  framesSent = 0;
  framesReceived = 0;
  framesDropped = 0;
  /** Frames and bytes by frame type, both directions (SPEC §10.4). */
  readonly traffic = new TrafficCounter();

  constructor(
    private readonly ctx: NodeContext,
    private readonly config: MeshNodeConfig,
    /** Sent first on every new connection; null in the `protocol` profile (no Hello). */
    private readonly hello: TracedMessage | null,
    private readonly listener: PeerListener,
  ) {}

  /** Peers with at least one open connection, sorted. */
  connectedPeers(): string[] {
    const out: string[] = [];
    for (const [id, link] of this.peers) if (link.conns.length > 0) out.push(id);
    return out.sort();
  }

  isConnected(peer: string): boolean {
    return (this.peers.get(peer)?.conns.length ?? 0) > 0;
  }

  infoOf(peer: string): PeerInfo | null {
    return this.peers.get(peer)?.info ?? null;
  }

  /** Every connection this registry holds, by peer then connection id (for the cross-layer checks). */
  ownedConnections(): { readonly peer: string; readonly id: number }[] {
    const out: { peer: string; id: number }[] = [];
    for (const [peer, link] of this.peers) for (const conn of link.conns) out.push({ peer, id: conn.id });
    return out.sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : a.id - b.id));
  }

  /**
   * The connection ends this registry holds, the objects themselves, written into `into` (its
   * old contents dropped) in peer order: for the cross-layer checks to hold against the ends
   * the network holds open, without a copy per node and second.
   */
  ownedEnds(into: Connection[]): Connection[] {
    into.length = 0;
    for (const link of this.peers.values()) for (let i = 0; i < link.conns.length; i++) into.push(link.conns[i]);
    return into;
  }

  connectionCount(): number {
    let n = 0;
    for (const link of this.peers.values()) n += link.conns.length;
    return n;
  }

  /**
   * Send one encoded frame to `peer`, dialing first if needed. The table takes the frame over
   * (it goes on the wire without a copy): the caller must not modify it afterwards.
   */
  send(peer: string, frame: Uint8Array): void {
    if (this.holds > 0) {
      const i = this.heldPeers.indexOf(peer);
      if (i >= 0) {
        this.heldFrames[i].push(frame);
      } else {
        this.heldPeers.push(peer);
        this.heldFrames.push([frame]);
      }
      return;
    }
    this.sendNow(peer, [frame]);
  }

  /**
   * Collect the frames `send` is given until the matching `release`, then send each peer's
   * frames, in order, as one chunk: the node handles one event (a message, a timer) at a time,
   * and what it sends one peer while handling it leaves as one packet, as a QUIC stack packs
   * the stream data queued before it next writes to the socket. A refused Neighbor request,
   * for one, answers with a ShuffleReply and a NeighborReply. Holds nest; the outermost release
   * sends.
   */
  hold(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds > 0 || this.heldPeers.length === 0) return;
    // Sending calls no app callback (the wire defers them), so nothing is held meanwhile.
    for (let i = 0; i < this.heldPeers.length; i++) this.sendNow(this.heldPeers[i], this.heldFrames[i]);
    this.heldPeers.length = 0;
    this.heldFrames.length = 0;
  }

  private sendNow(peer: string, frames: Uint8Array[]): void {
    const link = this.link(peer);
    const conn = newest(link);
    if (conn !== undefined) {
      this.write(link, conn, frames);
      return;
    }
    for (const frame of frames) {
      if (link.pending.length >= this.config.pendingFramesMax) this.framesDropped++;
      else link.pending.push(frame);
    }
    this.dial(peer);
  }

  /**
   * Make sure an open connection to `peer` exists; `done` reports whether one does. A connection
   * closed on the wire whose close has not reached this table yet (its node was wedged) does not
   * count: `send` would not use it either.
   */
  connect(peer: string, done: (ok: boolean) => void): void {
    if (this.hasOpenConnection(peer)) {
      done(true);
      return;
    }
    this.dial(peer, done);
  }

  /** Open a bi stream to `peer` on its newest connection, dialing first if needed (null: unreachable). */
  openBi(peer: string, done: (stream: Stream | null) => void): void {
    this.connect(peer, (ok) => {
      const conn = ok ? newest(this.link(peer)) : undefined;
      done(conn === undefined ? null : conn.openBi());
    });
  }

  accept(conn: Connection): void {
    this.register(conn);
  }

  /** Close every connection to `peer` with an explicit close (the peer hears it if it gets through). */
  close(peer: string, cause: PeerCloseCause): void {
    const link = this.peers.get(peer);
    if (link === undefined) return;
    link.pending.length = 0;
    for (const conn of [...link.conns]) {
      setCloseCause(link, conn.id, cause);
      conn.close();
    }
  }

  /** An open connection to `peer` exists: one `send` would write on (not one closed but unreported). */
  private hasOpenConnection(peer: string): boolean {
    const link = this.peers.get(peer);
    return link !== undefined && newest(link) !== undefined;
  }

  private link(peer: string): PeerLink {
    let link = this.peers.get(peer);
    if (link === undefined) {
      link = { conns: [], memoConnId: -1, memoStream: null, olderStreams: null, pending: [], dialing: false, info: null, closeCauses: null };
      this.peers.set(peer, link);
    }
    return link;
  }

  private dial(peer: string, done?: (ok: boolean) => void): void {
    const link = this.link(peer);
    if (link.dialing) {
      if (done) this.waitForDial(peer, done);
      return;
    }
    link.dialing = true;
    this.ctx.endpoint.dial(peer, (result) => {
      link.dialing = false;
      if (result.ok) {
        this.register(result.conn);
        this.listener.onDialed(peer);
        done?.(true);
        return;
      }
      this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.peer.dial_failed', { peerId: peer, reason: result.reason });
      // The peer dialled us meanwhile (e.g. it respawned while our dial to its old incarnation
      // was timing out): it is reachable, so this failure must not report it lost.
      if (link.conns.length > 0) {
        done?.(true);
        return;
      }
      link.pending.length = 0;
      this.forget(peer);
      done?.(false);
      this.listener.onPeerLost(peer, `dial-${result.reason}`);
    });
  }

  private waitForDial(peer: string, done: (ok: boolean) => void): void {
    // Poll cheaply on the node's own timer until the in-flight dial settles.
    const check = (): void => {
      if (this.hasOpenConnection(peer)) done(true);
      else if (this.peers.get(peer)?.dialing !== true) done(false); // the dial settled without a connection
      else this.ctx.setTimer(100, check);
    };
    this.ctx.setTimer(100, check);
  }

  private register(conn: Connection): void {
    const peer = conn.remote;
    this.closeIfDead(peer, conn.direction === 'inbound');
    const link = this.link(peer);
    link.conns.push(conn);
    link.conns.sort((a, b) => a.id - b.id);
    // Only the newest connection is kept alive; older ones idle out on their own.
    const keepEvery = this.config.variant.keepEveryConnectionAlive === true;
    for (const c of link.conns) c.keepAlive = keepEvery || c === link.conns[link.conns.length - 1];
    const span = this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.peer.connected', {
      peerId: peer,
      direction: conn.direction,
    });
    conn.onStream = (stream) => this.onStream(peer, conn, stream);
    conn.onClose = (reason) => this.onClose(peer, conn, reason);
    // Every new connection starts with a traced Hello carrying the connected span's context,
    // and the frames that waited for a connection follow it in the same chunk.
    const frames: Uint8Array[] = [];
    if (this.hello !== null && !this.config.variant.omitHello) {
      const traceId = span === null ? new Uint8Array(16) : Buffer.from(span.traceId, 'hex');
      const spanId = span === null ? new Uint8Array(8) : Buffer.from(span.spanId, 'hex');
      frames.push(encodeTraced({ traceId, spanId, flags: 1, message: this.hello }));
    }
    if (conn === newest(link)) frames.push(...link.pending.splice(0, link.pending.length));
    if (frames.length > 0) this.write(link, conn, frames);
  }

  /**
   * Before a new connection to `peer` is registered, close the ones the peer no longer holds.
   * A node dials a peer only while it holds no open connection to it (`sendNow`, `connect`), so
   * a peer that dialled this one (`peerDialled`) had lost its end of every connection this node
   * opened before that dial could have begun, a dial timeout ago: its end timed out first (then
   * its views dropped this node) or its process restarted. A connection that opened since may be
   * this node's own dial crossing the peer's, and is kept. And a connection kept alive that has
   * heard nothing for a keep-alive period and a half is dead whoever dialled. Kept as a
   * superseded connection, a dead one would idle out without a word, and this node's views would
   * keep the peer on topics where the peer no longer holds it: a one-sided link the new
   * connection hides. Closing it first reports the peer lost, as its idle timeout would have
   * later; the peer's requests over the new connection then re-form the links both ends hold.
   * A peer's idle timeout runs from the last packet it heard, which can be well before the last
   * this node heard from it: a random layout under chaos (a bridge NAT-shifted at 47.8 s, seed
   * 3921 in test/redial-dead-path.test.ts) had the other bridge idle the victim out and dial it
   * again at 65.7 s, when the victim's end had been silent only 20.6 s; without this close the
   * victim keeps that bridge in its mesh-b view, where the bridge no longer holds it.
   */
  private closeIfDead(peer: string, peerDialled: boolean): void {
    if (this.config.variant.keepDeadPaths === true) return;
    const link = this.peers.get(peer);
    if (link === undefined) return;
    const kept = newest(link);
    // Collected first: a close takes its connection out of `link.conns`. Most registrations
    // close nothing, and allocate nothing.
    let dead: Connection[] | null = null;
    for (const conn of link.conns) {
      if ((peerDialled && conn.openedBeforeDialsUnderWay) || (conn === kept && conn.silentPastKeepAlive)) (dead ??= []).push(conn);
    }
    if (dead === null) return;
    for (const conn of dead) {
      setCloseCause(link, conn.id, 'dead-path');
      conn.close();
    }
  }

  /**
   * Writes `frames`, in order, on the connection's control stream, packed into chunks of at most
   * PACKED_CHUNK_BYTES_MAX bytes (a larger frame alone). A chunk is written whole or, refused by
   * backpressure, not at all (its frames count as dropped).
   */
  private write(link: PeerLink, conn: Connection, frames: readonly Uint8Array[]): void {
    let stream: Stream;
    if (link.memoConnId === conn.id) {
      stream = link.memoStream!;
    } else {
      stream = link.olderStreams?.get(conn.id) ?? conn.openUni();
      // The memo moves to this connection; the one it held, if still open, is kept apart.
      if (link.olderStreams !== null) link.olderStreams.delete(conn.id);
      if (link.memoStream !== null) (link.olderStreams ??= new Map()).set(link.memoConnId, link.memoStream);
      link.memoConnId = conn.id;
      link.memoStream = stream;
    }
    let from = 0;
    while (from < frames.length) {
      let to = from + 1;
      let bytes = frames[from].length;
      while (to < frames.length && bytes + frames[to].length <= PACKED_CHUNK_BYTES_MAX) bytes += frames[to++].length;
      const chunk = to === from + 1 ? frames[from] : packed(frames, from, to, bytes);
      const result = stream.writeOwned(chunk);
      if (result.ok) {
        this.framesSent += to - from;
        for (let i = from; i < to; i++) this.traffic.sent(frames[i]);
      } else {
        this.framesDropped += to - from;
      }
      // Lent memory nothing reads any more goes back: a packed chunk's frames (copied into it)
      // and a refused chunk (a frame sent once is lent; a shared one is not, and returning it
      // does nothing).
      if (chunk !== frames[from]) for (let i = from; i < to; i++) returnChunk(frames[i]);
      if (!result.ok) returnChunk(chunk);
      from = to;
    }
  }

  private onStream(peer: string, conn: Connection, stream: Stream): void {
    if (stream.kind === 'bi') {
      this.serveEcho(stream);
      return;
    }
    const decoder = new FrameDecoder(FRAME_LIMIT_CONTROL);
    // Frames are decoded within the call (ids become strings, contents are copied or the
    // verified memo's), and the decoder copies an incomplete tail: no view of a chunk is kept.
    stream.readsDataInCall = true;
    stream.onData = (bytes) => {
      decoder.pushOwned(bytes);
      for (let r = decoder.next(); r !== null; r = decoder.next()) {
        if (!r.ok) {
          this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.frame.decode_failed', { error: describeDecodeError(r.error) });
          setCloseCause(this.link(peer), conn.id, 'decode-failed');
          conn.close(); // framing is lost on this stream
          return;
        }
        this.framesReceived++;
        this.traffic.received(r.value.tag, 1 + leb128U32Bytes(r.value.payload.length) + r.value.payload.length);
        this.onFrame(peer, r.value);
      }
    };
  }

  private onFrame(peer: string, frame: Frame): void {
    if (frame.tag === TAG_TRACED) {
      const traced = decodeTraced(frame);
      if (!traced.ok) {
        this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.frame.decode_failed', { error: describeDecodeError(traced.error) });
        return;
      }
      const message = traced.value.message;
      if (message.type !== 'Hello') return;
      const info = { meshId: message.meshId, nodeType: message.nodeType };
      this.link(peer).info = info;
      const parent = {
        traceId: Buffer.from(traced.value.traceId).toString('hex'),
        spanId: Buffer.from(traced.value.spanId).toString('hex'),
      };
      this.listener.onHello(peer, info, parent);
      return;
    }
    if (frameKindOf(frame.tag) === 'control') this.listener.onControlFrame(peer, frame);
  }

  /**
   * Bi streams echo 0x11 frames back byte for byte; anything else is dropped with a span.
   * Replies wait (bounded) for send-buffer room instead of being lost to backpressure; after a
   * framing error the rest of the stream is ignored (one span, not one per chunk).
   */
  private serveEcho(stream: Stream): void {
    const decoder = new FrameDecoder(FRAME_LIMIT_BI);
    const replies: Uint8Array[] = [];
    let queuedBytes = 0;
    const flush = (): void => {
      while (replies.length > 0) {
        const result = stream.write(replies[0]);
        if (!result.ok) {
          if (result.reason === 'closed') replies.length = queuedBytes = 0;
          return;
        }
        queuedBytes -= replies.shift()!.length;
      }
    };
    stream.onDrain = flush;
    stream.readsDataInCall = true; // echo replies are copies (`encodeEcho`)
    stream.onData = (bytes) => {
      decoder.pushOwned(bytes);
      for (let r = decoder.next(); r !== null; r = decoder.next()) {
        if (!r.ok) {
          this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.frame.decode_failed', { error: describeDecodeError(r.error) });
          stream.onData = () => {};
          break;
        }
        if (r.value.tag !== TAG_ECHO) {
          this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.bi.unknown_tag', {
            tag: r.value.tag,
            sizeBytes: r.value.payload.length,
          });
          continue;
        }
        const reply = encodeEcho(r.value.payload);
        if (queuedBytes + reply.length > ECHO_QUEUE_BYTES_MAX) {
          this.framesDropped++;
          continue;
        }
        replies.push(reply);
        queuedBytes += reply.length;
      }
      flush();
    };
  }

  private onClose(peer: string, conn: Connection, reason: CloseReason): void {
    const link = this.peers.get(peer);
    if (link === undefined) return;
    const localCause = takeCloseCause(link, conn.id);
    const i = link.conns.indexOf(conn);
    if (i < 0) return;
    link.conns.splice(i, 1);
    if (link.memoConnId === conn.id) {
      link.memoConnId = -1;
      link.memoStream = null;
    } else if (link.olderStreams !== null) {
      link.olderStreams.delete(conn.id);
    }
    if (link.conns.length > 0) {
      link.conns[link.conns.length - 1].keepAlive = true; // the next newest takes over
      return;
    }
    // A local close names the decision behind it; otherwise the connection's reason is the cause.
    const cause = reason === 'closed-locally' ? localCause : reason;
    this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.peer.disconnected', { peerId: peer, reason, ...(cause === null ? {} : { cause }) });
    this.forget(peer);
    this.listener.onPeerLost(peer, reason);
  }

  private forget(peer: string): void {
    const link = this.peers.get(peer);
    if (link !== undefined && link.conns.length === 0 && !link.dialing && link.pending.length === 0) this.peers.delete(peer);
  }
}

/**
 * `frames[from, to)` back to back in one chunk of `length` bytes (their total), lent by the
 * transport (chunk-pool.ts), which takes it back once the receiver has read it: a chunk is on
 * the wire for its link's latency, and a buffer per chunk was external memory that started the
 * collector's full markings in a burst (docs/performance.md, round 31).
 */
function packed(frames: readonly Uint8Array[], from: number, to: number, length: number): Uint8Array {
  const out = lendChunk(length);
  let offset = 0;
  for (let i = from; i < to; i++) {
    out.set(frames[i], offset);
    offset += frames[i].length;
  }
  return out;
}

function newest(link: PeerLink): Connection | undefined {
  for (let i = link.conns.length - 1; i >= 0; i--) if (link.conns[i].isOpen) return link.conns[i];
  return undefined;
}

function setCloseCause(link: PeerLink, connId: number, cause: PeerCloseCause): void {
  (link.closeCauses ??= new Map()).set(connId, cause);
}

/** The cause this node gave for closing the connection, if any, forgotten as it is read. */
function takeCloseCause(link: PeerLink, connId: number): PeerCloseCause | null {
  const causes = link.closeCauses;
  if (causes === null) return null;
  const cause = causes.get(connId) ?? null;
  causes.delete(connId);
  if (causes.size === 0) link.closeCauses = null;
  return cause;
}
