/**
 * A victim's last digests held up by another chaos event (KillNode, BurstKill). The staleness
 * pruner counts a digest's age from its LOCAL receipt (SPEC §2.3), and Plumtree hands a node
 * each digest once, on the first copy that arrives. When other events had cut every path from a
 * victim to a node at the kill, a digest the victim sent shortly before it died is still on its
 * way, queued on the cut links. Over a connection that outlives the cut (a flapping link, a
 * partition shorter than the idle timeout) it arrives once the cut heals, up to one maximal
 * retransmission timeout later (a packet lost while the link was down waits out its own
 * backoff unless a later packet of its connection gets through first, and the stream holds
 * what follows it), and the node prunes the victim a TTL and a pruner period after that: past
 * the kill's deadline, through another event's doing.
 *
 * Read from spans only (reach.ts): the chaos spans (what other events cut, and when they were
 * reverted), the nodes' neighbour spans (who pushed to the node at the kill), their digest spans
 * (who held the victim's digest) and their connection spans (which connections outlived the
 * cut). It must not look at the network or the nodes, nor at the pruner's digest table: that
 * table's receive times are what the prune being judged is made of.
 */
import { connectedPeersOf, holdsDigest, meshesOf, nameOf, neighborsOf } from './evidence.js';
import { isCut, LINKS_DIE, NO_BLOCK, othersCutEveryPath, type CutWindow } from './reach.js';
import type { ChaosWorld } from './types.js';

/** What held a victim's digest from a pruner: the other event's cut, and the pushing neighbour behind it. */
export interface HeldDigest {
  /** The latest time the held digest can still arrive, ms: the cut's revert + one maximal RTO. */
  readonly untilMs: number;
  /** The other event whose cut held it (its primitive name). */
  readonly by: string;
  /** When that cut was reverted, ms. */
  readonly revertedAtMs: number;
}

/**
 * Until when `pruner` may still receive a digest `victim` sent before it died at `killedAtMs`,
 * because another event held it (null when nothing did). All of these, by the spans:
 *  - other events (`others`, from otherCutWindows) cut every path from the victim to the pruner
 *    on the topics they share at the kill (`othersCutEveryPath`): no copy could arrive at once;
 *  - a neighbour that pushed to the pruner then (the pruner in its active view) held the
 *    victim's digest, and one of those events, active at the kill and reverted by `nowMs`,
 *    cut that link — not by killing, restarting or moving an end (`LINKS_DIE`: the queued
 *    data dies with the connection);
 *  - the connection between the two outlived the cut: connected at the kill by both ends' spans,
 *    and neither end disconnected the other nor restarted before the revert.
 * The answer is the latest such revert plus the network's maximal retransmission timeout.
 * `ownVictims` (the detector's own targets) push nothing after the kill and never count.
 */
export function heldDigest(
  world: ChaosWorld,
  others: readonly CutWindow[],
  victim: string,
  pruner: string,
  ownVictims: readonly string[],
  killedAtMs: number,
  nowMs: number,
): HeldDigest | null {
  const topics = meshesOf(world, victim).filter((t) => meshesOf(world, pruner).includes(t));
  if (others.length === 0 || topics.length === 0) return null;
  if (!othersCutEveryPath(world, others, topics, victim, pruner, killedAtMs, NO_BLOCK)) return null;
  const prunerName = nameOf(world, pruner);
  const rtoMaxMs = world.links.config.rtoMaxMs;
  let best: HeldDigest | null = null;
  for (const { nodeId: q, topic } of neighborsOf(world, pruner, killedAtMs)) {
    if (ownVictims.includes(q) || !topics.includes(topic) || !holdsDigest(world, nameOf(world, q), victim, killedAtMs)) continue;
    for (const w of others) {
      if (LINKS_DIE.has(w.name) || w.fromMs > killedAtMs || w.revertedAtMs <= killedAtMs || w.revertedAtMs > nowMs) continue;
      if (!isCut([w], prunerName, nameOf(world, q), killedAtMs)) continue;
      if (!connectionOutlived(world, pruner, q, killedAtMs, w.revertedAtMs)) continue;
      if (best === null || w.revertedAtMs + rtoMaxMs > best.untilMs) best = { untilMs: w.revertedAtMs + rtoMaxMs, by: w.name, revertedAtMs: w.revertedAtMs };
    }
  }
  return best;
}

/** Whether `a` and `b` were connected at `fromMs` by both ends' spans, and stayed so (no disconnect, no restart) until `toMs`. */
function connectionOutlived(world: ChaosWorld, a: string, b: string, fromMs: number, toMs: number): boolean {
  for (const [x, y] of [[a, b], [b, a]] as const) {
    if (!connectedPeersOf(world, x, fromMs).includes(y)) return false;
    if (world.spans.first({ name: 'mesh.node.ready', node: nameOf(world, x), sinceMs: fromMs, untilMs: toMs }) !== undefined) return false;
    if (world.spans.first({ name: 'mesh.peer.disconnected', node: nameOf(world, x), sinceMs: fromMs, untilMs: toMs, attrs: { peerId: y } }) !== undefined) return false;
  }
  return true;
}
