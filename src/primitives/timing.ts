/**
 * Protocol timers that detection deadlines are built from (SPEC §2.2, §2.3, §3). Deadlines are
 * formulas of these, written next to each detector, never magic numbers. A run's detectors read
 * the run's own timers (`ChaosWorld.timers`, from its scenario's `network` and `node` settings):
 * a scenario that sets a 60 s idle timeout gets deadlines with "idle 60 s" in them. `T` holds the
 * defaults, which the docs and the schema's formulas print.
 */
import { MESH_NODE_DEFAULTS, type MeshNodeConfig } from '../mesh/config.js';
import { HYPARVIEW_DEFAULTS } from '../protocol/hyparview-types.js';
import { PLUMTREE_DEFAULTS } from '../protocol/plumtree-types.js';
import { DEFAULT_NETWORK_CONFIG, type NetworkConfig } from '../sim/network/index.js';

/** The timers a detector's deadline and its evidence windows are made of, ms. */
export interface Timers {
  readonly idleTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly dialTimeoutMs: number;
  readonly prunerIntervalMs: number;
  readonly stalenessTtlMs: number;
  readonly digestIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly seedCheckIntervalMs: number;
  readonly seedRetryMaxMs: number;
  readonly persistIntervalMs: number;
  readonly neighborRequestTimeoutMs: number;
  readonly graftTimeout1Ms: number;
  readonly graftTimeout2Ms: number;
  readonly plumtreeDispatchMs: number;
  /** One hop on the network's default link: its latency + jitter. */
  readonly linkDelayMs: number;
  /** Allowance for propagation, probe delivery and poll granularity (not a protocol timer: fixed). */
  readonly slackMs: number;
}

/** What a run's nodes were configured with: the cluster's node options, as a scenario gives them. */
export type NodeTimerSettings = Partial<Pick<MeshNodeConfig, 'prunerIntervalMs' | 'stalenessTtlMs' | 'digestIntervalMs' | 'heartbeatIntervalMs' | 'seedCheckIntervalMs' | 'seedRetryMaxMs' | 'persistIntervalMs' | 'topic'>>;

/** The timers of a run whose network has `network` and whose nodes were given `node` (defaults for the rest). */
export function timersOf(network: Pick<NetworkConfig, 'idleTimeoutMs' | 'keepAliveMs' | 'dialTimeoutMs' | 'link'>, node: NodeTimerSettings = {}): Timers {
  const hyparview = { ...HYPARVIEW_DEFAULTS, ...node.topic?.hyparview };
  const plumtree = { ...PLUMTREE_DEFAULTS, ...node.topic?.plumtree };
  return {
    idleTimeoutMs: network.idleTimeoutMs,
    keepAliveMs: network.keepAliveMs,
    dialTimeoutMs: network.dialTimeoutMs,
    prunerIntervalMs: node.prunerIntervalMs ?? MESH_NODE_DEFAULTS.prunerIntervalMs,
    stalenessTtlMs: node.stalenessTtlMs ?? MESH_NODE_DEFAULTS.stalenessTtlMs,
    digestIntervalMs: node.digestIntervalMs ?? MESH_NODE_DEFAULTS.digestIntervalMs,
    heartbeatIntervalMs: node.heartbeatIntervalMs ?? MESH_NODE_DEFAULTS.heartbeatIntervalMs,
    seedCheckIntervalMs: node.seedCheckIntervalMs ?? MESH_NODE_DEFAULTS.seedCheckIntervalMs,
    seedRetryMaxMs: node.seedRetryMaxMs ?? MESH_NODE_DEFAULTS.seedRetryMaxMs,
    persistIntervalMs: node.persistIntervalMs ?? MESH_NODE_DEFAULTS.persistIntervalMs,
    neighborRequestTimeoutMs: hyparview.neighborRequestTimeoutMs,
    graftTimeout1Ms: plumtree.graftTimeout1Ms,
    graftTimeout2Ms: plumtree.graftTimeout2Ms,
    plumtreeDispatchMs: plumtree.dispatchTimeoutMs,
    linkDelayMs: network.link.latencyMs + network.link.jitterMs,
    slackMs: 5_000,
  };
}

/** The default timers: what the docs print, and what a run with no timer settings reads. */
export const T: Timers = Object.freeze(timersOf(DEFAULT_NETWORK_CONFIG));

/**
 * How long a broadcast a node holds may take to reach a neighbour at the latest: Plumtree's
 * lazy dispatch of the IHave, then the grafts it draws after the first and the second graft
 * timeout; twice that, for the receipt of the message itself.
 */
export function plumtreePassOnMs(t: Timers): number {
  return 2 * (t.plumtreeDispatchMs + t.graftTimeout1Ms + t.graftTimeout2Ms);
}

/** `plumtreePassOnMs` of the default timers. */
export const PLUMTREE_PASS_ON_MS = plumtreePassOnMs(T);

/**
 * How far back a prune at some instant reads: the digest interval, the staleness TTL and a pruner
 * interval. A prune is blamed on a detector's fault only if nothing else explains the silence in it.
 */
export function stalenessWindowMs(t: Timers): number {
  return t.digestIntervalMs + t.stalenessTtlMs + t.prunerIntervalMs;
}

/**
 * How long after a cut a copy sent before it may still be on its way within a side: 1 s, or,
 * when longer, ten hops of the default link and a Plumtree pass-on (one hop repaired by a Graft),
 * as a probe round is given. A copy a side held at the cut is passed on hop by hop, each a link
 * delay; at 400 ms a hop a digest sent just before a cut reached a node five hops down its side
 * 1.0 s after it (a random layout, seed 41545), which read as a leak. With graft timeouts above
 * that round trip (1.5 s and 1.1 s) a digest a bridge had 75 ms before a cut took three hops
 * more, one of them a lazy repair of 3.7 s, and a gateway learned it 5.46 s after the cut (seed
 * 27977), past ten link delays (5 s) alone.
 */
export function inFlightMs(t: Timers): number {
  return Math.max(1_000, 10 * t.linkDelayMs + plumtreePassOnMs(t));
}

/**
 * How long a probe round is given to reach every receiver, and the interval of its re-sends: 5 s,
 * or, when longer, ten link delays (the probe's way down the overlay) and a Plumtree pass-on (a
 * hop repaired by a Graft). At 400 ms a hop, with graft timeouts above the round trip, a probe
 * needed longer than 5 s to reach a whole mesh, and a round re-sent every 5 s never completed
 * (random layouts at 400 ms a hop under chaos: 7 flap_link rounds of 140 runs).
 */
export function probeRoundMs(t: Timers): number {
  return Math.max(5_000, 10 * t.linkDelayMs + plumtreePassOnMs(t));
}

/**
 * When the victims of a kill or a NAT shift are back at the latest, counted from its apply: such
 * an event is reverted when its detection settles, by its spec's deadline unless an extension
 * moved it (kill_node and burst_kill: max(idle, digest + TTL + pruner) + probe round + slack;
 * nat_shift: idle + seed check + dial timeout + probe round + slack; the specs' formulas in
 * kill-node.ts and nat-shift.ts, checked equal in test/primitives/dials-held.test.ts). Undefined
 * for other primitives.
 */
export function revertedAfterDetectionByMs(name: string, t: Timers): number | undefined {
  if (name === 'kill_node' || name === 'burst_kill') return Math.max(t.idleTimeoutMs, stalenessWindowMs(t)) + probeRoundMs(t) + t.slackMs;
  if (name === 'nat_shift') return t.idleTimeoutMs + t.seedCheckIntervalMs + t.dialTimeoutMs + probeRoundMs(t) + t.slackMs;
  return undefined;
}

/** How often the engine polls pending detectors, ms. */
export const DETECTOR_POLL_MS = 500;
