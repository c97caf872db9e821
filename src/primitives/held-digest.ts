/**
 * A victim's last digests held up by another chaos event (KillNode, BurstKill; PartitionSubset,
 * for which the cut is a kill of everything across it: what one side sent before the cut is
 * the last the other side gets from it until the repair). The staleness
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
import { everyCut, isCut, LINKS_DIE, othersCutEveryPath, overlayAt, reachableFrom, type CutWindow } from './reach.js';
import { plumtreePassOnMs } from './timing.js';
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
 *    on the topics they share at the kill (`othersCutEveryPath`), but those through the other
 *    nodes the same fault killed (`ownVictims`: they died with the victim and carry nothing
 *    after it): no copy could arrive at once. Either way, and where paths were left that
 *    Plumtree may never have used, any link such an event cut counts as well, but only if a node
 *    is seen learning the digest just after the link's cut was reverted (`releasedAfter`); and
 *    the pruner's own cut links count whatever paths were left (a copy no newer than the one the
 *    pruner holds renews nothing, so only one no other path brought can delay its prune);
 *  - a node that held the victim's digest pushed, at the kill, over a link one of those events
 *    cut: to the pruner itself (the pruner in its active view), or out of the part of the
 *    overlay the victim still reached through every cut, where its last digest could be
 *    (lossy-link-25pct under --chaos 20, seed 127: the last digest a registry sent before a burst
 *    kill reached two computes, whose every link out was cut; the one a partition_pair cut
 *    carried it on when the pair healed, 17 s later, and the observer had it 0.2 s after that),
 *    or, with that evidence, over any link;
 *  - that event was active at the kill and reverted by `nowMs`, and cut the link not by killing,
 *    restarting or moving an end (`LINKS_DIE`: the queued data dies with the connection);
 *  - the connection between the two outlived the cut: connected at the kill by both ends' spans,
 *    and neither end disconnected the other nor restarted before the revert.
 * The answer is the latest such revert plus the network's maximal retransmission timeout; or,
 * with none of those, for a pruner cut off from every path at the kill, a later neighbour whose
 * own copy was held and which passed it on (`heldByRelay`; `relay` false asks for a held copy of
 * the pruner's own only). `ownVictims` (the detector's own targets; for a cut, the victim's
 * whole side) push nothing across after the kill and never count.
 */
export function heldDigest(
  world: ChaosWorld,
  others: readonly CutWindow[],
  victim: string,
  pruner: string,
  ownVictims: Iterable<string>,
  killedAtMs: number,
  nowMs: number,
  relay = true,
): HeldDigest | null {
  const topics = meshesOf(world, victim).filter((t) => meshesOf(world, pruner).includes(t));
  if (others.length === 0 || topics.length === 0) return null;
  const own = new Set(ownVictims);
  const diedWith = new Set([...own].filter((v) => v !== victim));
  const throughDead = (x: string, y: string): boolean => diedWith.has(x) || diedWith.has(y);
  const rtoMaxMs = world.links.config.rtoMaxMs;
  const cutEveryPath = othersCutEveryPath(world, others, topics, victim, pruner, killedAtMs, throughDead);
  // The links a held digest may wait on, as (holder, next), and whether a copy must be seen let
  // go at the cut's revert for the link to count.
  const links: [string, string, boolean][] = [];
  const overlays = new Map(topics.map((topic) => [topic, overlayAt(world, topic, killedAtMs)]));
  // The pruner's pushing neighbours, whatever other paths were left: a copy queued on the
  // pruner's own cut link arrives at the repair and is news to it when no other path brought that
  // digest (Plumtree passes a broadcast on only to the neighbours a node has as it passes:
  // lossy-link-25pct under --chaos 20, seed 8833, a bridge's last digest, sent 41 ms before the
  // pruner took the bridge as a neighbour, reached the pruner only from registry-600f2b5f, over the
  // link a partition_pair had cut since 66.7 s, at its repair 13.7 s later).
  for (const { nodeId: q, topic } of neighborsOf(world, pruner, killedAtMs)) if (topics.includes(topic) && !own.has(q)) links.push([q, pruner, false]);
  if (cutEveryPath) {
    // And the links out of the victim's side of every cut.
    for (const topic of topics) {
      const overlay = overlays.get(topic)!;
      const side = reachableFrom(overlay, victim, everyCut(world, others, topic, killedAtMs, throughDead));
      for (const q of side) {
        if (own.has(q)) continue;
        for (const r of overlay.get(q) ?? []) if (!side.has(r) && !throughDead(q, r)) links.push([q, r, false]);
      }
    }
  }
  // Where paths were left, a digest still goes only where Plumtree pushes it: eagerly down its
  // tree, lazily (an IHave after a short dispatch delay) to the rest, and a victim killed in
  // between announces nothing. A copy let go anywhere is new to every node that missed the
  // victim's last digest, and Plumtree carries it on to them all: so any link an event cut at
  // the kill counts, but only if a held copy is seen let go when its cut was reverted
  // (`releasedAfter`). mesh-five-types-present-chaos under --chaos 20, seed 2716: a gateway's
  // last digest, 58 ms before a burst killed it, went three hops to bridge-a803a48f, whose link
  // to broker-fb5ce325 a partition_pair had cut 1.4 s before; the pair healed at 28.6 s, and the
  // copy went on from the broker through two restarted nodes (which learned it 15 and 27 ms
  // later) to a compute a NAT shift had cut off from the first copy. The broker and the compute
  // pruned the victim 1.0 and 1.1 s past the deadline.
  const holding = others.filter((w) => !LINKS_DIE.has(w.name) && w.fromMs <= killedAtMs && w.revertedAtMs > killedAtMs && w.revertedAtMs <= nowMs);
  const released = new Set(holding.filter((w) => releasedAfter(world, victim, killedAtMs, w.revertedAtMs, rtoMaxMs)));
  const heldNames = new Set(holding.flatMap((w) => [...w.targets]));
  if (released.size > 0) {
    for (const overlay of overlays.values()) {
      for (const [q, view] of overlay) {
        if (own.has(q)) continue;
        const qHeld = heldNames.has(nameOf(world, q));
        for (const r of view) if (r !== victim && !throughDead(q, r) && (qHeld || heldNames.has(nameOf(world, r)))) links.push([q, r, true]);
      }
    }
  }
  let best: HeldDigest | null = null;
  for (const [q, r, needsRelease] of links) {
    if (!holdsDigest(world, nameOf(world, q), victim, killedAtMs)) continue;
    for (const w of holding) {
      if (!isCut([w], nameOf(world, r), nameOf(world, q), killedAtMs)) continue;
      if (!connectionOutlived(world, r, q, killedAtMs, w.revertedAtMs)) continue;
      if (needsRelease && !released.has(w)) continue;
      if (best === null || w.revertedAtMs + rtoMaxMs > best.untilMs) best = { untilMs: w.revertedAtMs + rtoMaxMs, by: w.name, revertedAtMs: w.revertedAtMs };
    }
  }
  // A copy of the pruner's own, held, already bounds when the digest can last arrive.
  if (best === null && cutEveryPath && relay) best = heldByRelay(world, others, victim, pruner, own, topics, killedAtMs, nowMs);
  return best;
}

/**
 * A pruner other events cut off from every path at the kill got none of the victim's last
 * digests then; Plumtree hands a node a broadcast only as it passes, never one sent before the
 * node was a neighbour, so the copy it still prunes from came later, from a node whose own copy
 * was held (`heldDigest`, one hop: `relay` off) and which took the pruner into its view (its
 * neighbor_up, on a topic the victim and pruner share) no later than that copy could arrive,
 * still holding it at the cut's revert. The copy's last arrival is then that node's, plus one
 * pass-on. partition-pair under --chaos 20, seed 6817: a NAT shift had cut registry-5c82c6fb off
 * since 61.1 s; compute-26afd51f was killed at 79.3 s; the registry rejoined at 88.4 s and took
 * broker-5cd20a1c as a neighbour at 90.5 s, whose link to a bridge a partition_pair had cut
 * since 77.1 s; the pair healed at 90.7 s, and the broker and the registry pruned the compute at
 * 125.2 and 125.35 s, the closing round then no longer fitting before the deadline.
 */
function heldByRelay(world: ChaosWorld, others: readonly CutWindow[], victim: string, pruner: string, own: ReadonlySet<string>, topics: readonly string[], killedAtMs: number, nowMs: number): HeldDigest | null {
  let best: HeldDigest | null = null;
  const relays = new Map<string, HeldDigest | null>();
  for (const up of world.spans.find({ name: 'mesh.gossip.neighbor_up', sinceMs: killedAtMs, untilMs: nowMs, attrs: { peerId: pruner } })) {
    if (!topics.includes(String(up.attrs.topic))) continue;
    const q = world.nodes.find((p) => p.name === up.node)?.nodeId;
    if (q === undefined || q === pruner || own.has(q)) continue;
    if (!relays.has(q)) relays.set(q, heldDigest(world, others, victim, q, own, killedAtMs, nowMs, false));
    const held = relays.get(q)!;
    if (held === null || up.endMs > held.untilMs) continue;
    const dropped = world.spans.first({ name: 'mesh.gossip.neighbor_down', node: up.node, sinceMs: up.endMs, untilMs: Math.max(up.endMs, held.revertedAtMs), attrs: { peerId: pruner, topic: up.attrs.topic } });
    if (dropped !== undefined && dropped.seq > up.seq) continue;
    const untilMs = held.untilMs + plumtreePassOnMs(world.timers);
    if (best === null || untilMs > best.untilMs) best = { untilMs, by: held.by, revertedAtMs: held.revertedAtMs };
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

/**
 * Whether a node learned `victim`'s digest (a `mesh.digest.learned`: one it did not hold) from
 * a copy let go when a cut was reverted at `revertedAtMs`: up to one maximal retransmission
 * timeout and a broadcast's pass-on time after the revert, and later than the last digest's own
 * spread after the kill. Such a learner had pruned the victim or had just started; the copy it
 * got is the one every node that did not yet have it then takes in as new. restart-node under
 * --chaos 20, seed 1501: a broker's last digest, 84 ms before a burst killed it, went eagerly to
 * a co-victim and a compute, whose one other link a partition_pair had cut since 71.7 s; the pair
 * healed at 91.66 s, and 0.13 s later a broker restarted at 89.3 s learned the digest from the
 * observer, which thus had it 15.5 s after the kill and pruned the victim 1.8 s past the deadline.
 */
function releasedAfter(world: ChaosWorld, victim: string, killedAtMs: number, revertedAtMs: number, rtoMaxMs: number): boolean {
  const fromMs = Math.max(revertedAtMs, killedAtMs + plumtreePassOnMs(world.timers));
  return world.spans.first({ name: 'mesh.digest.learned', sinceMs: fromMs, untilMs: revertedAtMs + rtoMaxMs + plumtreePassOnMs(world.timers), attrs: { nodeId: victim } }) !== undefined;
}
