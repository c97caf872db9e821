/**
 * Vocabulary of the simulated network: node keys, addresses, per-direction link state, the
 * network configuration with its defaults (the failure-detection model `deadPeer` among them),
 * and the contract the node host implements (EndpointOwner). Plain data and types only; this
 * module must not hold any behaviour.
 */
import type { Connection } from './connection.js';

/** A node's id (64 hex chars). Links, the firewall and NAT are keyed by node. */
export type NodeKey = string;
/** A node's current network address, e.g. "10.0.0.7:7000". Remapping (NAT) gives a new one. */
export type Address = string;

/** State of one link direction (from → to). Every field may change at run time. */
export interface LinkState {
  /** Base one-way latency, ms (integer ≥ 0). */
  latencyMs: number;
  /** Extra one-way delay drawn uniformly from 0..jitterMs per packet, ms (integer ≥ 0). */
  jitterMs: number;
  /** Each transmission attempt is lost with probability lossNum/lossDen. */
  lossNum: number;
  lossDen: number;
  /** Serialization rate of the link's FIFO queue, bytes/s; 0 = unlimited (no queue). */
  bandwidthBytesPerSec: number;
  /** Partition: every packet on this direction is dropped. */
  blocked: boolean;
}

/** Default link: 10 ms + uniform 0..5 ms jitter, no loss, unlimited bandwidth (guess). */
export const DEFAULT_LINK: Readonly<LinkState> = Object.freeze({
  latencyMs: 10,
  jitterMs: 5,
  lossNum: 0,
  lossDen: 1,
  bandwidthBytesPerSec: 0,
  blocked: false,
});

/**
 * What the peers of a node whose process died learn from the network (SPEC §10.2; the full
 * story with examples is docs/failure-model.md). It matters only for a crash; a vanished host
 * is always silent. Whatever the mode, a running process answers a packet for a connection it
 * closed itself (or lost to an idle timeout) with a reset, as a QUIC endpoint does with a
 * stateless reset (RFC 9000 §10.3).
 *  - 'silent': the dead process's host answers nothing. Peers notice at idle timeout. The
 *    analogue is QUIC, which has no kernel state: a crashed process's connections just stop.
 *  - 'reset': the live host answers the next packet for a connection it has no open end for
 *    (data, keep-alive, handshake, retransmission) with a reset; the sender's end closes with
 *    'reset' one link latency after its packet reached the host, and a dial fails with 'reset'
 *    after one RTT. The analogue is a QUIC stateless reset, or an ICMP port unreachable that
 *    the sender acts on.
 *  - 'close': as 'reset', and in addition, at the crash the host's kernel closes each of the
 *    dead process's connections, so every peer hears a reset one link latency later without
 *    sending anything. The analogue is TCP, whose kernel sends FIN/RST for a dead process's
 *    sockets; it is the failure detector HyParView's evaluation assumes.
 * A reset is one packet, never retransmitted: a lost or blocked one is not heard (the peer's
 * next packet draws another).
 */
export type DeadPeer = 'silent' | 'reset' | 'close';

/** How a node dies (NodeHost.kill): its process crashes on a live host, or the host vanishes. */
export type KillMode = 'crash' | 'vanish';

export interface NetworkConfig {
  /** An open end sends a keep-alive after sending nothing for this long, ms. Default 15 000 (SPEC §2.3). */
  keepAliveMs: number;
  /** An end closes with 'idle-timeout' after receiving nothing for this long, ms. Default 30 000 (SPEC §2.3). */
  idleTimeoutMs: number;
  /** A dial that has not completed its handshake by then fails with 'timeout', ms. Default 5 000 (guess). */
  dialTimeoutMs: number;
  /** Unacknowledged payload bytes a connection may hold before writes report backpressure. Default 256 KiB (guess). */
  sendBufferBytes: number;
  /** Lower bound of the retransmission timeout, ms. Default 200 (QUIC-like guess). */
  rtoMinMs: number;
  /** Upper bound of the retransmission timeout after doubling, ms. Default 10 000 (guess). */
  rtoMaxMs: number;
  /** State every link direction starts with and is reset to. Default DEFAULT_LINK. */
  link: Readonly<LinkState>;
  /** What a crashed process's peers hear (see DeadPeer). Default 'silent' (QUIC-faithful, SPEC §10.2). */
  deadPeer: DeadPeer;
  /**
   * Whether the acknowledgement of a delivered packet restarts its sender's idle timer, as in
   * QUIC (RFC 9000 §10.1; Wire.ackRestartsIdle). Default true. False is a test double: the model
   * before acknowledgements restarted anything, on which chaos cases found by search before
   * then still show the situation they pin (an end that only sends heard only its peer's
   * keep-alives, and idled out when enough of them were lost). Optional, so that a config
   * written out in full before it existed still type-checks.
   */
  acksRestartIdle?: boolean;
}

/**
 * The retransmission timeout after `losses` lost attempts of a packet, ms: the larger of the RTO
 * floor and two worst-case round trips (`rttMaxMs`: both directions' latency + jitter), doubled
 * per loss, at most the RTO ceiling. Connections resend by it; checks bound a resent frame's
 * wait with it.
 */
export function retransmitTimeoutMs(config: Pick<NetworkConfig, 'rtoMinMs' | 'rtoMaxMs'>, rttMaxMs: number, losses: number): number {
  const baseMs = Math.max(config.rtoMinMs, 2 * rttMaxMs);
  return Math.min(config.rtoMaxMs, baseMs * 2 ** Math.min(losses, 30));
}

export const DEFAULT_NETWORK_CONFIG: Readonly<NetworkConfig> = Object.freeze({
  keepAliveMs: 15_000,
  idleTimeoutMs: 30_000,
  dialTimeoutMs: 5_000,
  sendBufferBytes: 256 * 1024,
  rtoMinMs: 200,
  rtoMaxMs: 10_000,
  link: DEFAULT_LINK,
  deadPeer: 'silent',
  acksRestartIdle: true,
});

/** Bytes of header counted on the wire per packet on top of its payload (for bandwidth). */
export const PACKET_OVERHEAD_BYTES = 32;

/**
 * Payload bytes one Data packet may carry when stream writes join it (QUIC's smallest datagram,
 * 1,200 bytes). A single larger write still goes as one packet: the network does not fragment.
 */
export const DATAGRAM_PAYLOAD_BYTES_MAX = 1200;

/** While an owner is not responsive (wedged), its keep-alive timer re-checks this often, ms. */
export const UNRESPONSIVE_POLL_MS = 250;

/** Implemented by the node host (kill and wedge live there). */
export interface EndpointOwner {
  /** False after kill: the endpoint neither sends nor receives nor answers. */
  isUp(): boolean;
  /** False while wedged: no keep-alives are sent; inbound work is still handed to deliver(). */
  isResponsive(): boolean;
  /**
   * Run an inbound callback now, or queue it (wedged). It must run `fn` at once exactly when
   * `isUp()` and `isResponsive()` both hold: the network then calls per-chunk callbacks directly
   * instead of making a closure per chunk.
   */
  deliver(fn: () => void): void;
}

/** 'reset': the peer's host said it has no open end for this connection (see DeadPeer). */
export type CloseReason = 'idle-timeout' | 'closed-by-peer' | 'closed-locally' | 'endpoint-closed' | 'reset';

/**
 * 'no-endpoint': the peer was never bound (unknown to the directory). 'reset': the peer's
 * process is dead on a live host and deadPeer is not 'silent'. Other unreachable peers give 'timeout'.
 */
export type DialResult = { ok: true; conn: Connection } | { ok: false; reason: 'timeout' | 'no-endpoint' | 'reset' };

/** 'backpressure': the connection's send buffer is full (onDrain fires later); 'closed': stream or connection is done. */
export type WriteResult = { ok: true } | { ok: false; reason: 'backpressure' | 'closed' };

export interface NetworkStats {
  /** Transmission attempts of any packet (retransmissions, keep-alives, handshakes, closes included). */
  packetsSent: number;
  /** Packets accepted by their receiving end. */
  packetsDelivered: number;
  /** Packets dropped for any reason: loss, partition, stale address, firewall, receiver down or closed. */
  packetsLost: number;
  dials: number;
  dialFailures: number;
  /** Resets a host sent for connections it had no open end for (under deadPeer 'silent', only a running process's, for ends it closed). */
  resetsSent: number;
  /** Connection ends that opened (a connection counts twice: dialer and acceptor). */
  connectionsOpened: number;
  /** Connection ends that closed after having opened. */
  connectionsClosed: number;
}
