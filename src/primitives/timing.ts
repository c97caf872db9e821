/**
 * Protocol timers that detection deadlines are built from (SPEC §2.2, §2.3, §3). Deadlines are
 * formulas of these, written next to each detector, never magic numbers.
 */
import { MESH_NODE_DEFAULTS } from '../mesh/config.js';
import { HYPARVIEW_DEFAULTS } from '../protocol/hyparview-types.js';
import { PLUMTREE_DEFAULTS } from '../protocol/plumtree-types.js';
import { DEFAULT_NETWORK_CONFIG } from '../sim/network/index.js';

export const T = {
  idleTimeoutMs: DEFAULT_NETWORK_CONFIG.idleTimeoutMs,
  keepAliveMs: DEFAULT_NETWORK_CONFIG.keepAliveMs,
  dialTimeoutMs: DEFAULT_NETWORK_CONFIG.dialTimeoutMs,
  prunerIntervalMs: MESH_NODE_DEFAULTS.prunerIntervalMs,
  stalenessTtlMs: MESH_NODE_DEFAULTS.stalenessTtlMs,
  digestIntervalMs: MESH_NODE_DEFAULTS.digestIntervalMs,
  heartbeatIntervalMs: MESH_NODE_DEFAULTS.heartbeatIntervalMs,
  seedCheckIntervalMs: MESH_NODE_DEFAULTS.seedCheckIntervalMs,
  persistIntervalMs: MESH_NODE_DEFAULTS.persistIntervalMs,
  neighborRequestTimeoutMs: HYPARVIEW_DEFAULTS.neighborRequestTimeoutMs,
  graftTimeout1Ms: PLUMTREE_DEFAULTS.graftTimeout1Ms,
  graftTimeout2Ms: PLUMTREE_DEFAULTS.graftTimeout2Ms,
  plumtreeDispatchMs: PLUMTREE_DEFAULTS.dispatchTimeoutMs,
  /** Allowance for propagation, probe delivery and poll granularity. */
  slackMs: 5_000,
} as const;

/**
 * How long a broadcast a node holds may take to reach a neighbour at the latest: Plumtree's
 * lazy dispatch of the IHave, then the grafts it draws after the first and the second graft
 * timeout; twice that, for the receipt of the message itself.
 */
export const PLUMTREE_PASS_ON_MS = 2 * (T.plumtreeDispatchMs + T.graftTimeout1Ms + T.graftTimeout2Ms);

/**
 * How far back a prune at some instant reads: the digest interval, the staleness TTL and a pruner
 * interval. A prune is blamed on a detector's fault only if nothing else explains the silence in it.
 */
export const STALENESS_WINDOW_MS = T.digestIntervalMs + T.stalenessTtlMs + T.prunerIntervalMs;

/** How often the engine polls pending detectors, ms. */
export const DETECTOR_POLL_MS = 500;
