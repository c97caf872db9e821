/**
 * The wire: the node directory (address, endpoint, inbound firewall), the links, and the fate
 * of every packet. A transmission attempt is dropped when the sender is down, the link blocked
 * or the loss draw says so; on arrival it is dropped again unless the receiving end is open and
 * up, the packet's addresses match the current directory (NAT) and the receiver's stateful
 * firewall lets it in. A dropped reliable packet is retransmitted after the sender's RTO, or
 * sooner once a packet its end sent after it is acknowledged (loss-detection.ts, RFC 9002 §6.1).
 * Acknowledgements are not packets: the sender learns of a delivery at once (a simplification;
 * loss detection alone waits for the ACK's return trip).
 * This module must not call app callbacks directly (connections do, through deliver()).
 */
import { assert } from '../assert.js';
import type { RngStreams } from '../rng.js';
import type { Scheduler } from '../scheduler.js';
import { Connection } from './connection.js';
import type { Endpoint } from './endpoint.js';
import { LOST, Link, linkKey } from './link.js';
import { LostPackets, detectLosses, tracksLoss } from './loss-detection.js';
import { PacketKind, type Packet } from './packet.js';
import { PACKET_OVERHEAD_BYTES, type Address, type DialResult, type NetworkConfig, type NetworkStats, type NodeKey } from './types.js';

export interface NodeEntry {
  address: Address;
  endpoint: Endpoint | null;
  firewallInbound: boolean;
  /**
   * The node's machine is up: its process runs, or crashed on a live host (whose stack may
   * answer with resets). False before the first bind and after a vanish.
   */
  hostUp: boolean;
}

export class Wire {
  readonly nodes = new Map<NodeKey, NodeEntry>();
  readonly stats: NetworkStats = {
    packetsSent: 0,
    packetsDelivered: 0,
    packetsLost: 0,
    dials: 0,
    dialFailures: 0,
    resetsSent: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
  };
  /**
   * Links by sender, then receiver: keyed by the node keys themselves, so that a run with
   * hundreds of thousands of link directions holds no key string per direction.
   */
  private readonly links = new Map<NodeKey, Map<NodeKey, Link>>();
  private nextConnId = 1;
  /**
   * Packets sent in the millisecond `joiningAtMs` that took joined chunks (or carry some from
   * an earlier attempt). A `joined` list grows by `push`, and V8 leaves room to grow: 19 slots
   * once it holds 2 chunks, 46 past 19. Once the millisecond is over nothing joins the packet
   * any more, and the first send of a later millisecond copies each list to its exact length
   * (`settleJoins`). At the peak of an all-nodes burst, packets in flight hold 13 joined
   * chunks on average. Holds one millisecond's packets at most, a while past their arrival.
   */
  private readonly joining: Packet[] = [];
  private joiningAtMs = -1;

  constructor(
    readonly scheduler: Scheduler,
    private readonly rng: RngStreams,
    readonly config: Readonly<NetworkConfig>,
  ) {}

  nextConnectionId(): number {
    return this.nextConnId++;
  }

  /** The link from → to, created with DEFAULT_LINK on first use. */
  link(from: NodeKey, to: NodeKey): Link {
    let out = this.links.get(from);
    if (out === undefined) this.links.set(from, (out = new Map()));
    let l = out.get(to);
    if (l === undefined) {
      l = new Link(from, to, this.rng.seedOf(`link:${linkKey(from, to)}`), this.config.link);
      out.set(to, l);
    }
    return l;
  }

  entry(node: NodeKey): NodeEntry {
    const e = this.nodes.get(node);
    // Tested first, message built only on failure: this runs twice per packet.
    if (e === undefined) assert(false, `unknown node ${node}`);
    return e;
  }

  dial(ep: Endpoint, peer: NodeKey, done: (r: DialResult) => void): void {
    assert(peer !== ep.node, `node ${peer} dials itself`);
    if (ep.closed) return;
    this.stats.dials++;
    const target = this.nodes.get(peer);
    if (target === undefined) {
      this.stats.dialFailures++;
      this.scheduler.after(0, () => ep.notify(() => done({ ok: false, reason: 'no-endpoint' })));
      return;
    }
    new Connection(this, ep, peer, 'outbound', target.address).startDial(done);
  }

  /** One transmission attempt of `p` now. */
  transmit(p: Packet): void {
    const from = p.from;
    const nowMs = this.scheduler.nowMs;
    this.stats.packetsSent++;
    // Through `Math.trunc` on purpose: the scheduler's clock comes out of a Float64Array as a
    // boxed number, and a boxed number stored as it is makes the field a double field, with a
    // box of its own in every packet (16 bytes each). `Math.trunc` returns the same whole number
    // as a small integer, which the field holds in place. Virtual time is whole milliseconds.
    const sentAtMs = Math.trunc(nowMs);
    if (sentAtMs !== nowMs) assert(false, `virtual time ${nowMs} is not whole milliseconds`);
    if (sentAtMs !== this.joiningAtMs) this.settleJoins(sentAtMs);
    p.sentAtMs = sentAtMs;
    p.packetNumber = from.nextPacketNumber++;
    const ep = from.endpoint;
    p.srcAddr = ep.entry.address;
    from.lastSentAtMs = nowMs;
    const arrivalMs = ep.closed || !ep.owner.isUp() ? LOST : from.linkOut.send(nowMs, p.sizeBytes);
    p.inFlight = arrivalMs !== LOST;
    if (arrivalMs === LOST) {
      this.lose(p);
      return;
    }
    this.scheduler.at(arrivalMs, p);
    if (p.joined !== null) this.joining.push(p); // a retransmission: it may take more chunks now
  }

  /** Adds `more` to `p`'s chunk: `p` is its stream's latest packet and joinable now (`Packet.joinable`). */
  join(p: Packet, more: Uint8Array): void {
    // Paired with `settleJoins`: a packet joins only in the millisecond the list is for.
    if (p.sentAtMs !== this.joiningAtMs) assert(false, `a join to a packet sent at ${p.sentAtMs}, not ${this.joiningAtMs}`);
    if (p.joined === null) this.joining.push(p);
    p.append(more);
  }

  /** The millisecond `nowMs` begins for sends: the packets of the one before take no more chunks. */
  private settleJoins(nowMs: number): void {
    const joining = this.joining;
    for (let i = 0; i < joining.length; i++) joining[i].settleJoined();
    if (joining.length > 0) joining.length = 0;
    this.joiningAtMs = nowMs;
  }

  arrive(p: Packet): void {
    p.inFlight = false;
    if (p.kind === PacketKind.Initial) {
      this.arriveInitial(p);
      return;
    }
    const to = p.from.peer;
    if (to === null || !this.accepts(to, p)) {
      this.lose(p);
      // Only the end being gone draws a reset; a close needs no answer (its sender is closed).
      if (to !== null && to.state === 'closed' && p.kind !== PacketKind.Close && this.answersFor(to)) this.answerGoneEnd(p, to);
      return;
    }
    this.stats.packetsDelivered++;
    to.receive(p);
    const from = p.from;
    // Read per delivered packet: a null test of the sending end's own field.
    if (tracksLoss(p)) {
      if (from.lost !== null) detectLosses(this.scheduler, from, p);
      if (this.config.acksRestartIdle !== false) this.ackRestartsIdle(p, to);
    }
    from.acked(p);
  }

  /**
   * `to` received `p`, an ack-eliciting packet: its acknowledgement restarts the sender's idle
   * timer when it arrives, one return latency later (RFC 9000 §10.1: an endpoint restarts its
   * idle timer "when a packet from its peer is received and processed successfully", and an
   * ACK-only packet is one). Without it an end that only sends (a Plumtree eager push one way)
   * heard nothing but its peer's keep-alives, and four of them lost in a row idled out a live
   * connection. Acknowledgements are not packets here (loss-detection.ts): no event, the sender
   * end's receive time is moved to the ACK's arrival. The ACK does not arrive when the return
   * direction is blocked or drops everything, when the receiver's process is wedged (its stack
   * acknowledges nothing, as it sends no keep-alive), when the sender's address has moved (NAT)
   * or when the sender's stateful firewall drops it. Its loss on a lossy return direction is not
   * drawn: that would shift the link's random stream, and an end that sends keeps drawing ACKs,
   * any one of which restarts the timer.
   * Departure: RFC 9000 §10.1 also restarts the timer at the first ack-eliciting packet an end
   * sends after it last received one, which puts a silent peer's idle timeout up to a
   * keep-alive period later. Not modelled: an end idles out `idleTimeoutMs` after it last heard
   * from its peer, as SPEC §2.3 states, and the chaos deadlines count on that.
   */
  private ackRestartsIdle(p: Packet, to: Connection): void {
    const from = p.from;
    const back = from.linkIn.state;
    if (back.blocked || (back.lossNum > 0 && back.lossNum === back.lossDen)) return;
    if (!to.endpoint.owner.isResponsive()) return;
    const e = from.endpoint.entry;
    if (e.address !== p.srcAddr || (e.firewallInbound && from.direction === 'inbound')) return;
    const ackAtMs = this.scheduler.nowMs + back.latencyMs;
    if (ackAtMs > from.lastReceivedAtMs) from.lastReceivedAtMs = ackAtMs;
  }

  /**
   * One reset from `host`'s network stack (not from a connection end) to the end `target`, at
   * `dstAddr` (where the packet it answers came from, or the peer address a dead end knew). A
   * single packet on the link host → target, never retransmitted: lost or blocked, it is not
   * heard, and the target's next packet to the host draws another.
   */
  sendReset(host: NodeKey, target: Connection, dstAddr: Address): void {
    assert(target.remote === host, 'a reset travels back along its own connection');
    this.stats.packetsSent++;
    this.stats.resetsSent++;
    const srcAddr = this.entry(host).address;
    const arrivalMs = target.linkIn.send(this.scheduler.nowMs, PACKET_OVERHEAD_BYTES);
    if (arrivalMs === LOST) this.stats.packetsLost++;
    else this.scheduler.at(arrivalMs, () => this.arriveReset(target, srcAddr, dstAddr));
  }

  retry(p: Packet): void {
    const from = p.from;
    if (from.state === 'open' && tracksLoss(p)) {
      // Paired with `lose`: a tracked packet of an open end is held until its retransmission runs.
      const lost = from.lost;
      if (lost === null || !lost.remove(p)) assert(false, `lost packet ${p.packetNumber} of connection ${from.id} was not tracked`);
      if (lost.size === 0) from.lost = null;
    }
    const live = p.kind === PacketKind.Initial ? from.state === 'connecting' : from.state === 'open';
    if (live) this.transmit(p);
  }

  private lose(p: Packet): void {
    // Paired with `Packet.run`: a packet's pending event is its retransmission only when it is not in flight.
    if (p.inFlight) assert(false, 'a packet in flight is lost');
    this.stats.packetsLost++;
    if (!p.reliable) return;
    const from = p.from;
    const rtoMs = from.rtoMs(p.losses);
    p.losses++;
    const dueMs = Math.max(this.scheduler.nowMs, p.sentAtMs + rtoMs);
    const eventId = this.scheduler.at(dueMs, p); // not in flight: its retransmission
    // A later packet's acknowledgement may bring it forward (loss-detection.ts). Only an open
    // end sends tracked packets, and a closed one retransmits nothing.
    if (from.state === 'open' && tracksLoss(p)) (from.lost ??= new LostPackets()).add(p, eventId, dueMs);
  }

  private accepts(to: Connection, p: Packet): boolean {
    if (to.state === 'closed') return false;
    const ep = to.endpoint;
    if (ep.closed || !ep.owner.isUp()) return false;
    const e = ep.entry;
    if (e.address !== p.from.remoteAddr) return false; // Addressed to a stale address (NAT).
    if (p.srcAddr !== to.remoteAddr) return false; // Sent from an address this end never knew.
    return !(e.firewallInbound && to.direction === 'inbound');
  }

  /**
   * Whether `to`'s node answers packets for its closed end at all. Under deadPeer 'reset' and
   * 'close' its host does, whoever closed the end. Under 'silent' only the endpoint that closed
   * it, still running: QUIC's stateless reset (RFC 9000 §10.3), which a live endpoint sends for
   * a connection it no longer holds, keyed by a secret the endpoint keeps. A crashed or
   * restarted process has lost that secret (its peers would discard the reset), so under
   * 'silent' their packets go unanswered and the peers idle out.
   */
  private answersFor(to: Connection): boolean {
    if (this.config.deadPeer !== 'silent') return true;
    const ep = to.endpoint;
    return !ep.closed && ep.owner.isUp();
  }

  /**
   * `p` reached `to`'s node, whose end for the connection is closed (the process crashed,
   * restarted or closed it). The host answers with a reset unless nothing lives at that address
   * (vanished host, stale NAT address) or its stateful firewall dropped the packet first.
   */
  private answerGoneEnd(p: Packet, to: Connection): void {
    const e = this.entry(to.local);
    if (!e.hostUp || e.address !== p.from.remoteAddr) return;
    if (e.firewallInbound && to.direction === 'inbound') return;
    this.sendReset(to.local, p.from, p.srcAddr);
  }

  private arriveReset(target: Connection, srcAddr: Address, dstAddr: Address): void {
    const ep = target.endpoint;
    const e = this.entry(target.local);
    const accepted =
      target.state !== 'closed' &&
      !ep.closed &&
      ep.owner.isUp() &&
      e.address === dstAddr && // not to a NAT-stale address
      srcAddr === target.remoteAddr && // only the host this end talks to can reset it
      !(e.firewallInbound && target.direction === 'inbound');
    if (!accepted) {
      this.stats.packetsLost++;
      return;
    }
    this.stats.packetsDelivered++;
    target.resetByPeer();
  }

  private arriveInitial(p: Packet): void {
    const dialer = p.from;
    const e = this.entry(dialer.remote);
    const ep = e.endpoint;
    const atAddress = e.address === dialer.remoteAddr;
    const reachable = ep !== null && !ep.closed && ep.owner.isUp() && atAddress;
    if (!reachable || e.firewallInbound) {
      this.lose(p);
      // A live host without a running process refuses the handshake (the dial fails at once).
      if (!reachable && atAddress && e.hostUp && !e.firewallInbound && this.config.deadPeer !== 'silent') {
        this.sendReset(dialer.remote, dialer, p.srcAddr);
      }
      return;
    }
    this.stats.packetsDelivered++;
    const conn = new Connection(this, ep, dialer.local, 'inbound', p.srcAddr, dialer.id);
    conn.peer = dialer;
    dialer.peer = conn;
    conn.open();
    ep.notify(() => ep.onIncoming(conn));
  }
}
