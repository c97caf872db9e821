/**
 * Substrate timing and behaviour of one mesh node (SPEC §2.3), with the defaults of the system
 * being simulated. The `variant` switches exist for test doubles only: they turn off a repair
 * path or reintroduce a known bug so that tests can prove that detectors and properties go red.
 */
import type { TopicConfig } from '../protocol/topic.js';

/**
 * What a node runs (SPEC §10.1). `full`: every substrate behaviour of §2.3 on top of the
 * protocols. `protocol`: HyParView + Plumtree + framer over the simulated network, joining
 * through seeds and closing connections no topic uses — no Hello, digest gossip, pruner,
 * heartbeats, peer-cache writes or seed re-checks. The protocol code is the same in both.
 */
export type NodeProfile = 'full' | 'protocol';

export const NODE_PROFILES: readonly NodeProfile[] = ['full', 'protocol'];

export interface MeshNodeConfig {
  /** Default 'full'. */
  readonly profile: NodeProfile;
  /** Digest gossip tick per topic, ms. Default 2 000. */
  readonly digestIntervalMs: number;
  /** A digest is broadcast at least this often even if unchanged, ms. Default 30 000. */
  readonly digestForcedIntervalMs: number;
  /** Staleness pruner period, ms. Default 5 000. */
  readonly prunerIntervalMs: number;
  /** Entries not heard from for this long are dropped, ms. Default 30 000. */
  readonly stalenessTtlMs: number;
  /** Heartbeat span period, ms. Default 5 000. */
  readonly heartbeatIntervalMs: number;
  /** Seed dial retries: delay = min(base·2^min(attempt, expMax), max). */
  readonly seedRetryBaseMs: number;
  readonly seedRetryExponentMax: number;
  readonly seedRetryMaxMs: number;
  /** Dial attempts per seed before giving up. Default 10. */
  readonly seedAttemptsMax: number;
  /** How often a node checks that it still reaches the overlay of each seed, ms. Default 10 000. */
  readonly seedCheckIntervalMs: number;
  /**
   * A topic joins through one seed at a time (HyParView paper §4.2: one contact node): the
   * first seed that answers gets the Join, and another seed answering within this many ms of
   * it is joined through only if the topic's active view is still not full by then. 0 joins
   * through every seed at once, as iroh-gossip does. Default 1 000.
   */
  readonly joinFallbackMs: number;
  /** Grace before closing a connection no topic uses any more, ms. Default 2 000. */
  readonly unusedConnectionGraceMs: number;
  /**
   * Period of the sweep that closes unused connections, ms: a connection is looked at by the
   * first sweep at least the grace after the reason (sweeps fall on multiples of the period of
   * the node's clock). 1 looks at it exactly at the grace. Default 1 000.
   */
  readonly unusedConnectionSweepMs: number;
  /** Peer-cache file write period (exercises the disk), ms. Default 5 000. */
  readonly persistIntervalMs: number;
  /** Frames queued per peer while a dial is in flight. Default 256. */
  readonly pendingFramesMax: number;
  /** Digest table entries at most (bounded table). Default 4 096. */
  readonly digestTableMax: number;
  /**
   * `full` profile: keep every peer whose digest was heard in the peer cache (bounded by
   * `digestTableMax`), write it to the data dir and read it back at a restart, and when every
   * seed of a topic fails while the topic is cut off, join through a cached peer instead (one a
   * seed check). SPEC §2.3's substrate writes the cache and never reads it, so this is off by
   * default; on, it models a deployment that rejoins the members its last snapshot listed.
   */
  readonly rejoinFromPeerCache: boolean;
  readonly topic: TopicConfig;
  readonly variant: NodeVariant;
}

/** Deliberate deviations, for test doubles. All off in production scenarios. */
export interface NodeVariant {
  /** Known bug: judge staleness by the sender's wall clock instead of local receive time. */
  readonly stalenessBySenderWallClock?: boolean;
  /** Repair path off: the staleness pruner never runs. */
  readonly disablePruner?: boolean;
  /** Repair path off: lost neighbours are not reported to the overlay (no refill). */
  readonly disablePeerDown?: boolean;
  /** Repair path off: Plumtree traffic from a non-neighbour is not answered with Disconnect. */
  readonly disableOneSidedRepair?: boolean;
  /** Repair path off: no seed re-dialing or re-joining after start. */
  readonly disableSeedRejoin?: boolean;
  /** Repair path off: the periodic seed check (in the protocol profile, the check a peer loss arms) does not rejoin a topic the node is stranded on (one other neighbour, nobody to refill from). */
  readonly disableStrandedRejoin?: boolean;
  /**
   * Repair path off: a topic the node was planned one seed on gets no fallback seed (SPEC §2.1's
   * seeds alone: a bridge without the observer knows one node per mesh); a topic planned without
   * a seed still gets its two (scenario/topology.ts, `fallbackSeeds`).
   */
  readonly disableSeedTopUp?: boolean;
  /** Repair path off: disk writes are never retried after a failure. */
  readonly disableDiskRetry?: boolean;
  /** Repair path off: inbound connections are refused (the node only dials out). */
  readonly refuseInbound?: boolean;
  /** Known bug: a peer lost to a timeout is re-dialled at once, and again after every failed dial (no backoff). */
  readonly redialLostPeers?: boolean;
  /** Repair path off: connections no topic uses are never closed. */
  readonly keepUnusedConnections?: boolean;
  /** Known bug: the unused-connection timer closes a peer's connections even while a topic uses it. */
  readonly closeUsedConnections?: boolean;
  /**
   * Known bug: the unused-connection sweep does not wait for the answer to a Join (a sweep due
   * for an older reason closes the connection a Join was just sent on). Chaos cases found by
   * search before the sweep waited still show their situation with it.
   */
  readonly sweepUnansweredJoins?: boolean;
  /** Known bug: new connections start without the Hello frame (cross-mesh peers go unnoticed). */
  readonly omitHello?: boolean;
  /** Known bug: every connection to a peer is kept alive, not only the newest (duplicates never idle out). */
  readonly keepEveryConnectionAlive?: boolean;
  /**
   * Repair path off: a dead connection the peer dialed past is kept as a superseded one (it idles
   * out unheard, and the views keep a peer that has dropped this node: a hidden one-sided link).
   */
  readonly keepDeadPaths?: boolean;
  /**
   * Known bug: a digest whose `seq` is not above the highest yet heard from its node is dropped as
   * old, and that mark outlives the node's entry. A restarted node's `seq` starts again at 0, so
   * its peers drop its digests, prune its entry, and learn it again only once its `seq` has passed
   * its first life's.
   */
  readonly dropDigestsBelowSeenSeq?: boolean;
}

export const MESH_NODE_DEFAULTS: MeshNodeConfig = {
  profile: 'full',
  digestIntervalMs: 2_000,
  digestForcedIntervalMs: 30_000,
  prunerIntervalMs: 5_000,
  stalenessTtlMs: 30_000,
  heartbeatIntervalMs: 5_000,
  seedRetryBaseMs: 1_000,
  seedRetryExponentMax: 5,
  seedRetryMaxMs: 30_000,
  seedAttemptsMax: 10,
  seedCheckIntervalMs: 10_000,
  joinFallbackMs: 1_000,
  unusedConnectionGraceMs: 2_000,
  unusedConnectionSweepMs: 1_000,
  persistIntervalMs: 5_000,
  pendingFramesMax: 256,
  digestTableMax: 4_096,
  rejoinFromPeerCache: false,
  topic: {},
  variant: {},
};

/** Seed dial backoff (SPEC §2.3): min(1000·2^min(attempt, 5), 30 000) ms. */
export function seedRetryDelayMs(config: MeshNodeConfig, attempt: number): number {
  return Math.min(config.seedRetryBaseMs * 2 ** Math.min(attempt, config.seedRetryExponentMax), config.seedRetryMaxMs);
}
