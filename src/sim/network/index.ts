/**
 * Public exports of the simulated network (SPEC §3): addresses, per-direction links with
 * loss/latency/bandwidth/partition, stateful inbound firewall, NAT, and QUIC-like connections
 * with reliable ordered streams, backpressure, keep-alive and idle timeout; and what a dead
 * process's peers hear (deadPeer: silent, reset, close).
 */
export { Network } from './network.js';
export { Endpoint } from './endpoint.js';
export { Connection } from './connection.js';
export { Stream, type StreamKind } from './stream.js';
export { Link, LOST, linkKey } from './link.js';
export { LENT_CHUNK_BYTES_MAX, lendChunk, returnChunk, setChunkPoisoning, chunkPoolStats } from './chunk-pool.js';
export {
  DEFAULT_LINK,
  DEFAULT_NETWORK_CONFIG,
  DATAGRAM_PAYLOAD_BYTES_MAX,
  PACKET_OVERHEAD_BYTES,
  UNRESPONSIVE_POLL_MS,
  retransmitTimeoutMs,
  type Address,
  type CloseReason,
  type DeadPeer,
  type DialResult,
  type EndpointOwner,
  type KillMode,
  type LinkState,
  type NetworkConfig,
  type NetworkStats,
  type NodeKey,
  type WriteResult,
} from './types.js';
