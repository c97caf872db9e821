/**
 * Bounds on every per-node table the checker watches, derived from the scenario's
 * configuration and workload instead of round constants (so a growth bug cannot hide under a
 * bound far above real use, and a large cluster does not trip a bound made for 18 nodes).
 * Each bound says where it comes from; slack factors are guesses, named as such.
 */
import { MESH_NODE_DEFAULTS } from '../mesh/config.js';
import { HYPARVIEW_DEFAULTS } from '../protocol/hyparview-types.js';
import { PLUMTREE_DEFAULTS } from '../protocol/plumtree-types.js';
import type { Cluster } from './cluster.js';
import type { Scenario } from './scenario.js';
import type { NodePlan } from './topology.js';
import { sendersAtOnce } from './workload.js';

export interface TableBounds {
  /** Open connections of a node once boot has settled (see `connectionsFromMs`). */
  connectionsOf(plan: NodePlan): number;
  /** Before this time joins through seeds arrive in bursts, so the connection bound is not applied. */
  readonly connectionsFromMs: number;
  /** Digest table entries (full profile): every node of the cluster at most. */
  readonly digests: number;
  /** Plumtree message cache entries per topic. */
  readonly plumtreeCache: number;
  /** Plumtree received ids per topic. */
  readonly plumtreeIds: number;
  /** Messages known only through IHave, per topic. */
  readonly pendingGrafts: number;
  /** Work queued while a node is wedged. */
  readonly wedgeBacklog: number;
}

/** Guess: transient connections a node may hold at once beside a refill round (ShuffleReply, dials in flight). */
const CONNECTION_SLACK = 8;
/** Guess: factor over the steady broadcast rate (bursts, probes from chaos detectors). */
const RATE_SLACK = 2;
/** Guess: broadcasts per second chaos detectors and final probes may add. */
const CHAOS_PROBES_PER_SECOND = 10;
const ID_SLACK = 64;

export function tableBounds(scenario: Scenario, cluster: Cluster): TableBounds {
  const hv = { ...HYPARVIEW_DEFAULTS, ...scenario.node?.topic?.hyparview };
  const pt = { ...PLUMTREE_DEFAULTS, ...scenario.node?.topic?.plumtree };
  const sub = { ...MESH_NODE_DEFAULTS, ...scenario.node };
  const nodes = cluster.plans.length;
  const lastBootMs = cluster.plans.reduce((m, p) => Math.max(m, p.bootAtMs), 0);
  // Broadcasts per ms on one topic, at most: probes, workload entries, digests, chaos probes.
  let perMs = CHAOS_PROBES_PER_SECOND / 1000;
  const probeIntervalMs = scenario.probeIntervalMs ?? 5_000;
  if (probeIntervalMs > 0) perMs += 1 / probeIntervalMs;
  // A one-shot entry is a burst, not a rate: all its messages may be in every table at once
  // (2,000 nodes broadcasting together each cache 2,000 messages within a second).
  let burst = 0;
  for (const entry of scenario.workload ?? []) {
    if (entry.kind !== 'broadcast') continue;
    const senders = sendersAtOnce(entry, nodes);
    if (entry.count === 1) burst += senders;
    else perMs += senders / entry.everyMs;
  }
  if (scenario.profile !== 'protocol') perMs += nodes / sub.digestIntervalMs;
  const ids = Math.ceil(perMs * pt.messageIdRetentionMs * RATE_SLACK) + burst + ID_SLACK;
  return {
    // A node that loses an active neighbour starts a refill round (refillActive), which asks up
    // to a passive view's worth of candidates, and each refused request's connection stays open
    // for the unused-connection grace and sweep. Each neighbour lost starts a round, so a node
    // whose whole active view goes within that time holds as many rounds at once as it has
    // active slots, on top of its views. Measured (test/scale/connection-bound.test.ts): a
    // NAT-shifted node of a 100-node protocol mesh whose five neighbours idled out within 5 s
    // held 53 connections for a second (its views allow 45, one round more 75); in two meshes
    // of 500, a node whose five old paths idled out one after another, the last four within
    // 1.4 s, held 76, beyond one round (75). Earlier trajectories of these runs held 46 and 76-81.
    connectionsOf: (plan) =>
      plan.meshIds.length * (hv.activeViewCapacity + hv.passiveViewCapacity + hv.activeViewCapacity * hv.passiveViewCapacity) + plan.seeds.length + CONNECTION_SLACK,
    connectionsFromMs: lastBootMs + sub.unusedConnectionGraceMs + sub.unusedConnectionSweepMs + (scenario.network?.dialTimeoutMs ?? 5_000),
    digests: nodes,
    plumtreeCache: Math.ceil(perMs * pt.messageCacheRetentionMs * RATE_SLACK) + burst + ID_SLACK,
    plumtreeIds: ids,
    pendingGrafts: ids,
    wedgeBacklog: 10_000,
  };
}
