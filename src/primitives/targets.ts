/**
 * Target choosers shared by primitives. They draw only from the primitive's own stream and
 * skip nodes under another fault, nodes the scenario protects, the observer (the universal
 * seed), for destructive primitives the last live node of a role (SPEC §6: every role stays
 * alive), and for primitives others must witness a node alone on its topics (`hasTopicPeer`).
 */
import { OBSERVER_ROLE } from '../scenario/topology.js';
import type { SimRng } from '../sim/rng.js';
import type { ChaosWorld } from './types.js';

/** Running, unfaulted, non-observer node ids in plan order. */
export function candidates(world: ChaosWorld): string[] {
  return world.nodes
    .filter((p) => p.role !== OBSERVER_ROLE && world.status(p.nodeId) === 'running' && !world.isFaulted(p.nodeId) && !world.isProtected(p.nodeId))
    .map((p) => p.nodeId);
}

/**
 * Whether another node shares one of `id`'s topics, by plan. A node without one (the only node
 * of its mesh, with no bridge and no observer) has no connection and nobody to make one with:
 * nothing in the mesh can notice its death, restart, shift or firewall, nor show it recover.
 * Primitives whose evidence is what others see skip it. Asked of the drawn nodes only: a
 * topic's subscriber list is as long as the mesh.
 */
export function hasTopicPeer(world: ChaosWorld, id: string): boolean {
  return world.node(id).meshIds.some((m) => world.subscribers(m).length > 1);
}

/**
 * Up to `count` distinct nodes whose loss leaves every role with a live node, each with a
 * topic peer (`hasTopicPeer`); null if fewer than `count`.
 */
export function pickKillable(world: ChaosWorld, rng: SimRng, count: number): string[] | null {
  const liveByRole = new Map<string, number>();
  for (const p of world.nodes) if (world.status(p.nodeId) !== 'stopped') liveByRole.set(p.role, (liveByRole.get(p.role) ?? 0) + 1);
  const chosen: string[] = [];
  for (const id of rng.shuffle(candidates(world))) {
    if (chosen.length === count) break;
    const role = world.node(id).role;
    if ((liveByRole.get(role) ?? 0) <= 1 || !hasTopicPeer(world, id)) continue;
    liveByRole.set(role, liveByRole.get(role)! - 1);
    chosen.push(id);
  }
  return chosen.length === count ? chosen.sort((a, b) => world.node(a).index - world.node(b).index) : null;
}

/**
 * `count` distinct candidate nodes (non-destructive primitives); null if too few. With
 * `topicPeer`, only nodes with a topic peer (`hasTopicPeer`): for primitives whose evidence
 * is what others see of the node.
 */
export function pickNodes(world: ChaosWorld, rng: SimRng, count: number, topicPeer = false): string[] | null {
  const pool = rng.shuffle(candidates(world));
  const chosen: string[] = [];
  for (const id of pool) {
    if (chosen.length === count) break;
    if (!topicPeer || hasTopicPeer(world, id)) chosen.push(id);
  }
  if (chosen.length < count) return null;
  return chosen.sort((a, b) => world.node(a).index - world.node(b).index);
}

/**
 * A pair of nodes that share a topic and, by their spans, are connected right now — a link
 * whose damage the mesh must notice. Falls back to any two candidates sharing a topic.
 */
export function pickLinkedPair(world: ChaosWorld, rng: SimRng): [string, string] | null {
  const nodes = rng.shuffle(candidates(world));
  for (const a of nodes) {
    const peers = world.connectedPeers(a).filter((b) => nodes.includes(b));
    if (peers.length > 0) return [a, rng.pick(peers)];
  }
  return null;
}

/** Integer parameter override or a draw from [lo, hi]. */
export function intParam(overrides: Readonly<Record<string, unknown>> | undefined, key: string, rng: SimRng, lo: number, hi: number): number {
  const v = overrides?.[key];
  return typeof v === 'number' ? v : rng.rangeInclusive(lo, hi);
}
