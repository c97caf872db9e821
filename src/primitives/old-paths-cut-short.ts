/**
 * Whether churn the shift did not cause — concurrent faults, or nodes joining — explains why no
 * old path of a shifted node idled out. An old path can only show an idle timeout if one of its
 * ends stays open until it idles out. Under churn it may not: a node rejoining after a kill or
 * restart, coming back across a healed partition, or starting in a long boot (or a node such an
 * arrival has just evicted, asking again), is admitted to a full active view, the view evicts
 * the old path's peer, and the node closes the now unused connection well before the idle
 * timeout; its other end never hears the Disconnect or the close over the dead path, and is
 * later superseded by a fresh connection, or drops the path from its own view and closes it as
 * unused too, or goes down with its process. A shifted node that had just started may never
 * have taken the peer up, or never have finished its dial (see the functions below). Read
 * from spans only; it must not look at the network or the nodes. A path that was alive fails
 * it: there the other end hears the Disconnect (neighbor_down cause disconnect) and sees the
 * connection close.
 */
import { assert } from '../sim/assert.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { nameOf } from './evidence.js';
import { LINKS_DIE, REJOIN_ALLOWANCE_MS, type CutWindow } from './reach.js';
import type { ChaosWorld } from './types.js';

/** One end of an old path: `node`'s connection to `peer` (node ids). */
export interface PathEnd {
  readonly node: string;
  readonly peer: string;
}

/**
 * Whether every old path among `ends` was cut short by churn the shift did not cause (`others`,
 * from otherCutWindows, and nodes joining): one end of it was closed locally as unused after
 * each of its evictions since `appliedAtMs` made room for a newcomer another fault had hit or
 * that had just started (`evictedForDisturbed`), or, its node just started, without having
 * taken the peer up (`startingUnrelated`); and the other end heard none of it: it was first
 * ended by a newer connection superseding it, or closed it as unused itself after that
 * eviction, or was taken by another event, with no Disconnect from the closing end before
 * (`endedUnheard`). A handshake the shift cut counts as cut short (`handshakeCut`). A path
 * that never carried a neighbour relation and that an end closed as unused (`transientClosed`:
 * a join's, a Shuffle's or a refused Neighbor request's connection) needs no liveness check to
 * end, so it neither counts for the excuse nor against it, unless every old path was one: then
 * none could have shown the shift by silence, as when there is no old path at all
 * (mesh-grow-shrink under `--chaos 20`, seed 147: a node shifted a second time, whose one old
 * path to a peer still there was a connection with no neighbour relation that both ends closed
 * as unused, 157 ms apart). False when no path was cut short and some was not transient: nothing then
 * shows that any old path was dead.
 */
export function oldPathsCutShort(world: ChaosWorld, others: readonly CutWindow[], ends: readonly PathEnd[], appliedAtMs: number): boolean {
  // One end per path: every rule below reads both ends' spans, whichever ends the caller judges.
  // An end whose node is down now (killed after it closed the path) still closed it when its
  // spans say (mesh-grow-shrink under `--chaos 20`, seed 471: a gateway evicted the shifted
  // broker for a newcomer and closed the path as unused, the broker's end drew the reset, and a
  // burst_kill took the gateway 3.7 s later, before the verdict).
  const paths = new Map<string, PathEnd>();
  for (const e of ends) {
    assert(e.node !== e.peer, 'an old path joins two different nodes');
    const key = [e.node, e.peer].sort().join('|');
    if (!paths.has(key)) paths.set(key, e);
  }
  let cutShort = 0;
  let transient = 0;
  for (const one of paths.values()) {
    if (handshakeCut(world, one, appliedAtMs) || supersededByEarlierDial(world, others, one, appliedAtMs)) {
      cutShort++;
      continue;
    }
    if (transientClosed(world, one, appliedAtMs)) {
      transient++;
      continue;
    }
    const cut = [one, { node: one.peer, peer: one.node }].some((e) => {
      const eviction = closedForDisturbed(world, others, e, appliedAtMs);
      return eviction !== undefined && endedUnheard(world, others, { node: e.peer, peer: e.node }, appliedAtMs, eviction);
    });
    if (!cut) return false;
    cutShort++;
  }
  return cutShort > 0 || (transient > 0 && transient === paths.size);
}

/**
 * Whether the old path of `end` carried no neighbour relation from the shift on, by both ends'
 * spans while each end's connection to the other lasted (neither held the other on any topic at
 * the shift, and neither took it up after), and one end closed it as unused: the peer table's
 * sweep ends such a connection a few seconds after its last use whether or not the path is
 * alive, so no idle timeout could be expected of it. 10,000 nodes, `--chaos 40`, seed 3: a node
 * shifted 0.4 s after it started, amid the boot, had six old paths; two were a join's
 * short-lived connections, closed as unused at both ends 1.6–2.7 s after the shift. flap-link
 * under `--chaos 20`, seed 503: the observer evicted a compute 24 ms before its shift, the
 * compute heard the Disconnect 10 ms before it, and both swept the idle connection 2.0 and
 * 2.4 s after. Or it carried a relation at one end only, the other end, holding none, closed it
 * as unused (its sweep, dead path or not), and the holding end's connection was first ended
 * after that close by a reset answering it (the running peer answers for a connection it
 * closed; the close itself, lost on the way, was not heard: a holding end that heard it was on a
 * live path): neither end could show an idle timeout either. One-sided relations come from churn
 * before the shift: lossy-link-25pct under `--chaos 20`, seed 7038: a broker wedged until
 * 60.62 s took a restarted gateway's Neighbor request from its backlog and dropped it again on
 * the gateway's close, but its reply still took the gateway's view; the gateway was shifted at
 * 61.26 s, the broker swept the connection at 66.21 s, and the gateway's end drew a reset 38 ms
 * later.
 */
function transientClosed(world: ChaosWorld, end: PathEnd, appliedAtMs: number): boolean {
  const sides: PathEnd[] = [end, { node: end.peer, peer: end.node }];
  const ends = sides.map((side) => unrelatedEnd(world, side, appliedAtMs));
  return ends.some((swept, i) => {
    if (!isUnusedClose(swept)) return false;
    const other = ends[1 - i];
    if (other !== null) return true; // no relation at either end
    // A relation at the other end only: its end must have drawn the reset that answered this
    // end's close.
    const heard = firstEnd(world, sides[1 - i], appliedAtMs);
    return heard !== undefined && isReset(heard) && heard.seq > swept.seq;
  });
}

/**
 * How `side`'s connection to its peer at the shift ended (a disconnect, a newer connection, or
 * undefined while it lasts), when that connection carried no neighbour relation at this side
 * from the shift on: none held at the shift (on each topic the latest change before it, if any,
 * let the peer go) and none taken up after it; null otherwise. The connection is the one open at
 * the shift, or, for a handshake in flight then, the one it opened within a dial timeout after it
 * (the answer left the old address before the shift).
 */
function unrelatedEnd(world: ChaosWorld, side: PathEnd, appliedAtMs: number): SpanRecord | undefined | null {
  const q = world.spans;
  const node = nameOf(world, side.node);
  const opened =
    q.last({ name: 'mesh.peer.connected', node, untilMs: appliedAtMs, attrs: { peerId: side.peer } }) ??
    q.first({ name: 'mesh.peer.connected', node, sinceMs: appliedAtMs, untilMs: appliedAtMs + world.timers.dialTimeoutMs, attrs: { peerId: side.peer } });
  if (opened === undefined) return null;
  // Relations while that connection lasted at this side, not those of a later one.
  const ended = endAfter(world, side, opened);
  const during = (s: SpanRecord) => s.seq > opened.seq && (ended === undefined || s.seq < ended.seq);
  const changes = (name: 'mesh.gossip.neighbor_up' | 'mesh.gossip.neighbor_down') => q.find({ name, node, sinceMs: opened.endMs, untilMs: ended?.endMs, attrs: { peerId: side.peer } }).filter(during);
  const heldAtShift = new Map<string, boolean>();
  for (const c of [...changes('mesh.gossip.neighbor_up'), ...changes('mesh.gossip.neighbor_down')].sort((x, y) => x.seq - y.seq)) {
    if (c.endMs >= appliedAtMs) {
      if (c.name === 'mesh.gossip.neighbor_up') return null;
      continue;
    }
    heldAtShift.set(String(c.attrs.topic), c.name === 'mesh.gossip.neighbor_up');
  }
  return [...heldAtShift.values()].some((held) => held) ? null : ended;
}

/**
 * Whether the path of `end` was a handshake the shift cut: one end had accepted the other's dial
 * by the shift (its inbound mesh.peer.connected), and the dialer's end never opened: its dial to
 * that node failed within a dial timeout after the shift (the answer went to the old address).
 * Over a live path the answer arrives in milliseconds. nat-shift under `--chaos 20`, seed 407: a
 * broker restarted 19 ms before its shift had its two dials accepted 6 and 4 ms before it; both
 * timed out, and the acceptors closed their unused ends 1.7 and 2.8 s later. restart-node under
 * `--chaos 20`, seed 2613: the same for a bridge revived 17 ms before its shift, whose dial to the
 * observer timed out 1.7 s after the observer, having closed its unused end, dialled the bridge
 * itself: that new connection is not the dial's end.
 */
function handshakeCut(world: ChaosWorld, end: PathEnd, appliedAtMs: number): boolean {
  const q = world.spans;
  for (const [acceptor, dialer] of [[end.node, end.peer], [end.peer, end.node]] as const) {
    const accepted = q.last({ name: 'mesh.peer.connected', node: nameOf(world, acceptor), untilMs: appliedAtMs, attrs: { peerId: dialer, direction: 'inbound' } });
    if (accepted === undefined) continue;
    const failed = q.first({ name: 'mesh.peer.dial_failed', node: nameOf(world, dialer), sinceMs: appliedAtMs, untilMs: appliedAtMs + world.timers.dialTimeoutMs, attrs: { peerId: acceptor } });
    if (failed === undefined) continue;
    // The dial's own end (outbound): a connection the acceptor dialled back meanwhile is another path.
    const opened = q.first({ name: 'mesh.peer.connected', node: nameOf(world, dialer), sinceMs: accepted.endMs - world.timers.dialTimeoutMs, untilMs: failed.endMs, attrs: { peerId: acceptor, direction: 'outbound' } });
    if (opened === undefined) return true;
  }
  return false;
}

/**
 * Whether both ends of the path of `end` were superseded, after the shift, by one connection
 * whose dial began before it: the dialer's end of the old path stayed open, by its spans, until
 * its newer outbound connection to the other node opened, and the other end's first change was
 * taking that connection in. A node dials a peer only while it holds no open connection to it
 * (src/mesh/peers.ts), so that dial began before the dialer's end of the old path opened; the
 * superseded connections then idle out without a span (the peer table reports a peer lost only
 * with its last connection). Not judged across another event's wedge of the dialer, which holds
 * back the report of a close. Found on code that still took in a NeighborReply from a peer it
 * had evicted (the hand-written case in test/old-paths-cut-short.test.ts keeps it): burst-kill-5
 * under `--chaos 20`, seed 3324: a registry dialled a bridge a `restart_node` held down at
 * 83.9 s; the revived bridge dialled the registry at 84.57 s, 0.14 s before the registry's
 * shift, and the registry's dial, its handshake retried past the shift, opened at 85.34 s at
 * both ends; the old connections idled out silently 30 s later.
 */
function supersededByEarlierDial(world: ChaosWorld, others: readonly CutWindow[], end: PathEnd, appliedAtMs: number): boolean {
  const q = world.spans;
  for (const [dialer, acceptor] of [[end.node, end.peer], [end.peer, end.node]] as const) {
    const dialerEnd = q.last({ name: 'mesh.peer.connected', node: nameOf(world, dialer), untilMs: appliedAtMs, attrs: { peerId: acceptor } });
    const acceptorEnd = q.last({ name: 'mesh.peer.connected', node: nameOf(world, acceptor), untilMs: appliedAtMs, attrs: { peerId: dialer } });
    if (dialerEnd === undefined || acceptorEnd === undefined) continue;
    const newer = endAfter(world, { node: dialer, peer: acceptor }, dialerEnd);
    if (newer?.name !== 'mesh.peer.connected' || newer.attrs.direction !== 'outbound' || newer.endMs <= appliedAtMs) continue;
    const taken = endAfter(world, { node: acceptor, peer: dialer }, acceptorEnd);
    if (taken?.name !== 'mesh.peer.connected' || taken.attrs.direction !== 'inbound' || taken.endMs <= appliedAtMs || taken.endMs > newer.endMs) continue;
    const dialerName = nameOf(world, dialer);
    const wedged = others.some((w) => w.name === 'wedge_node' && w.targets.has(dialerName) && w.fromMs <= newer.endMs && w.revertedAtMs >= dialerEnd.endMs);
    if (!wedged) return true;
  }
  return false;
}

/** The first span after `opened` (a mesh.peer.connected of `end`'s node) that ended that connection: a disconnect, or a newer connection. */
/**
 * Whether another event took a node of every old path among `ends` with its process or its
 * address (LINKS_DIE) after the shift and before the path could have idled out (the shift plus
 * an idle timeout), each path still open at both ends until then. The surviving end then ends
 * at the death's own news (a reset where crashed peers answer with one), as it would have
 * without the shift: nothing on those paths can tell the shift from the deaths, and the caller
 * reports the shift unobserved. Random layouts with drawn settings (fast-check seed 20508,
 * `network.deadPeer` reset): a registry was shifted at 51.0 s, a burst took all three of its old
 * paths' peers at 79.6 s, and its ends drew resets at 80.0 s, a second before they would have
 * idled out.
 */
export function oldPathsTakenBeforeIdle(world: ChaosWorld, others: readonly CutWindow[], ends: readonly PathEnd[], appliedAtMs: number): boolean {
  return ends.length > 0 && ends.every((e) => endDiedBeforeIdle(world, others, e, appliedAtMs));
}

/** `oldPathsTakenBeforeIdle` for one path. */
function endDiedBeforeIdle(world: ChaosWorld, others: readonly CutWindow[], end: PathEnd, appliedAtMs: number): boolean {
  const sides: PathEnd[] = [end, { node: end.peer, peer: end.node }];
  for (const side of sides) {
    const name = nameOf(world, side.node);
    const death = others.find((w) => LINKS_DIE.has(w.name) && w.targets.has(name) && w.fromMs >= appliedAtMs && w.fromMs < appliedAtMs + world.timers.idleTimeoutMs);
    if (death === undefined) continue;
    if (!sides.some((e) => (firstEnd(world, e, appliedAtMs)?.endMs ?? Infinity) < death.fromMs)) return true;
  }
  return false;
}

function endAfter(world: ChaosWorld, end: PathEnd, opened: SpanRecord): SpanRecord | undefined {
  const q = world.spans;
  const node = nameOf(world, end.node);
  const after = (s: SpanRecord) => s.seq > opened.seq;
  const down = q.find({ name: 'mesh.peer.disconnected', node, sinceMs: opened.endMs, attrs: { peerId: end.peer } }).find(after);
  const up = q.find({ name: 'mesh.peer.connected', node, sinceMs: opened.endMs, attrs: { peerId: end.peer } }).find(after);
  if (down === undefined || up === undefined) return down ?? up;
  return down.seq < up.seq ? down : up;
}

/** The first span since `sinceMs` that ended `node`'s connection to `peer`: a disconnect, or a newer connection superseding it. */
export function firstEnd(world: ChaosWorld, end: PathEnd, sinceMs: number): SpanRecord | undefined {
  const q = world.spans;
  const node = nameOf(world, end.node);
  const down = q.first({ name: 'mesh.peer.disconnected', node, sinceMs, attrs: { peerId: end.peer } });
  const up = q.first({ name: 'mesh.peer.connected', node, sinceMs, attrs: { peerId: end.peer } });
  if (down === undefined || up === undefined) return down ?? up;
  return down.seq < up.seq ? down : up;
}

/**
 * Whether `end` was first ended by its node closing it as unused, after evictions each made room
 * for a disturbed node: the first of those evictions (whose Disconnect the other end would have
 * heard over a live path), or undefined.
 */
function closedForDisturbed(world: ChaosWorld, others: readonly CutWindow[], end: PathEnd, appliedAtMs: number): SpanRecord | undefined {
  const close = firstEnd(world, end, appliedAtMs);
  if (!isUnusedClose(close)) return undefined;
  const node = nameOf(world, end.node);
  const evictions = world.spans.find({ name: 'mesh.gossip.neighbor_down', node, sinceMs: appliedAtMs, untilMs: close.endMs, attrs: { peerId: end.peer } }).filter((s) => s.seq < close.seq);
  if (evictions.length > 0) return evictions.every((down) => evictedForDisturbed(world, others, down)) ? evictions[0] : undefined;
  return startingUnrelated(world, end, appliedAtMs, close) ? close : undefined;
}

/**
 * Whether `end`'s node had started within the rejoin allowance before the shift and never held
 * its peer as a neighbour before `close` (its unused close of the path): its join through that
 * peer, or the peer's answer, was in flight at the shift and lost with the old address, its view
 * never took the peer, and its sweep closed the connection. The close is then what the other
 * end would have heard over a live path. A node shifted 32 ms after a kill_node's revert
 * restarted it (partition-subset under `--chaos 20`, seed 131): the observer took its Join,
 * which had left before the shift, and kept it as a neighbour; its own view stayed empty, it
 * closed the seed's connection as unused 2.3 s later, and the observer's end was superseded by
 * its new connection at its seed check 8.4 s after that, having heard nothing.
 */
function startingUnrelated(world: ChaosWorld, end: PathEnd, appliedAtMs: number, close: SpanRecord): boolean {
  const node = nameOf(world, end.node);
  const started = world.spans.last({ name: 'mesh.node.ready', node, untilMs: appliedAtMs });
  if (started === undefined || appliedAtMs - started.endMs > REJOIN_ALLOWANCE_MS) return false;
  const up = world.spans.first({ name: 'mesh.gossip.neighbor_up', node, sinceMs: started.endMs, untilMs: close.endMs, attrs: { peerId: end.peer } });
  return up === undefined || up.seq > close.seq;
}

function isReset(s: SpanRecord): boolean {
  return s.name === 'mesh.peer.disconnected' && s.attrs.reason === 'reset';
}

function isUnusedClose(s: SpanRecord | undefined | null): s is SpanRecord {
  return s?.name === 'mesh.peer.disconnected' && s.attrs.reason === 'closed-locally' && s.attrs.cause === 'unused';
}

/**
 * Whether `down` (a neighbor_down) evicted its peer to admit a node that another fault had hit
 * or that was joining: the node's neighbor_up that follows it at the same instant on the same
 * topic (HyParView adds the newcomer right after evicting, paper §4.3) names a node that a
 * fault's window (until its revert plus the rejoin allowance) holding that instant had cut off
 * from the evicting node — a target of a node-cutting fault, or a node on the other side of a
 * subset cut (`heldApart`) — or one that had started (`mesh.node.ready`) within the rejoin
 * allowance before: its Join, or a walk of it, reached the evicting node (a boot, a restart, a
 * grow workload's joiner). 10,000 nodes, `--chaos 40`, seed 3: amid the 50 s boot, the shifted
 * node and each of its four old neighbours evicted the other within 13.5 s to admit nodes that
 * had just started, and closed the paths as unused before either could idle out. Or the
 * evicting node was the disturbed one, rejoining through a seed another event had held away
 * from it (`evictorRejoining`), or the newcomer was, through the evicting node
 * (`newcomerRejoining`).
 */
export function evictedForDisturbed(world: ChaosWorld, others: readonly CutWindow[], down: SpanRecord, depth = 1): boolean {
  assert(down.name === 'mesh.gossip.neighbor_down', 'an eviction is a neighbor_down span');
  if (down.attrs.cause !== 'evicted') return false;
  const topic = String(down.attrs.topic);
  const admitted = world.spans.find({ name: 'mesh.gossip.neighbor_up', node: down.node, sinceMs: down.endMs, untilMs: down.endMs, attrs: { topic } }).find((up) => up.seq > down.seq);
  if (admitted === undefined) return false;
  const newcomerId = String(admitted.attrs.peerId);
  const newcomer = nameOf(world, newcomerId);
  const started = world.spans.last({ name: 'mesh.node.ready', node: newcomer, untilMs: down.endMs });
  if (started !== undefined && down.endMs - started.endMs <= REJOIN_ALLOWANCE_MS) return true;
  if (others.some((w) => heldApart(w, down.node, newcomer) && down.endMs >= w.fromMs && down.endMs < heldUntilMs(world, w, newcomer))) return true;
  if (evictorRejoining(world, others, down)) return true;
  if (newcomerRejoining(world, others, down, newcomer)) return true;
  return depth > 0 && bouncedBack(world, others, topic, newcomerId, down.endMs, depth - 1);
}

/**
 * Whether the newcomer `down` made room for was rejoining through the evicting node: it had sent
 * that node a Join on the topic within the rejoin allowance before, and, within a seed-check
 * interval before that Join, a dial of its own had failed to a peer that another event's window,
 * holding the failure's instant, held apart from it (its seed behind a cut: the Join went to
 * another contact). clock-skew-60s under `--chaos 20`, seed 3030: compute-bb99c464, its view
 * emptied by other events, failed at 75.3 s to dial its seed inside a partition_subset and joined
 * through the observer at 80.3 s; the observer evicted the shifted broker to take it up, and
 * closed that path as unused before it could idle out.
 */
function newcomerRejoining(world: ChaosWorld, others: readonly CutWindow[], down: SpanRecord, newcomer: string): boolean {
  const evictorId = world.nodes.find((p) => p.name === down.node)?.nodeId;
  if (evictorId === undefined) return false;
  const join = world.spans.last({ name: 'mesh.gossip.join', node: newcomer, sinceMs: down.endMs - REJOIN_ALLOWANCE_MS, untilMs: down.endMs, attrs: { topic: String(down.attrs.topic), peerId: evictorId } });
  if (join === undefined) return false;
  return world.spans.find({ name: 'mesh.peer.dial_failed', node: newcomer, sinceMs: join.endMs - world.timers.seedCheckIntervalMs, untilMs: join.endMs }).some((failed) => {
    const peer = nameOf(world, String(failed.attrs.peerId));
    return others.some((w) => (heldApart(w, peer, newcomer) || heldApart(w, newcomer, peer)) && failed.endMs >= w.fromMs && failed.endMs < w.untilMs);
  });
}

/**
 * Whether the evicting node was itself rejoining when `down` made room: it had sent a Join on
 * that topic within the rejoin allowance before (its seed check's, src/mesh/node.ts
 * `rejoinSeeds`) to a contact that another event's window, holding the Join's instant, had held
 * apart from it (`heldApart`, either way round: the node cut off, or its seed). A Join's contact
 * takes the joiner up, and each of its random walks ends at a node that does too (HyParView
 * §4.2), so the joiner's full view evicts to admit the contact and the walks' ends alike.
 * gossip-mesh-to-mesh-chaos under `--chaos 20`, seed 1104: a bridge's own NAT shift at 36.5 s
 * left its old paths to idle out at 66.4 s, which emptied its `bridge` topic's view; its seed
 * check rejoined every topic through the observer at 70.9 s, and taking the observer up on
 * `mesh-b` evicted a registry shifted at 46.8 s, whose path the bridge closed as unused 3 s
 * later, before either end could idle out. burst-kill-5, seed 1223: a compute whose seed a
 * `partition_subset` had held away until 76.4 s rejoined through it at its seed check, 79.5 s;
 * 41 ms later a walk's end took it up and it evicted a broker shifted at 76.5 s.
 */
function evictorRejoining(world: ChaosWorld, others: readonly CutWindow[], down: SpanRecord): boolean {
  const topic = String(down.attrs.topic);
  const joins = world.spans.find({ name: 'mesh.gossip.join', node: down.node, sinceMs: down.endMs - REJOIN_ALLOWANCE_MS, untilMs: down.endMs, attrs: { topic } }).filter((j) => j.seq < down.seq);
  return joins.some((join) => {
    const contact = nameOf(world, String(join.attrs.peerId));
    return others.some((w) => (heldApart(w, contact, down.node) || heldApart(w, down.node, contact)) && join.endMs >= w.fromMs && join.endMs < heldUntilMs(world, w, down.node));
  });
}

/**
 * Whether node `newcomerId` came in at `atMs` because a disturbed node's arrival had just evicted
 * it: within the rejoin allowance before, a node told it Disconnect on `topic` after evicting it
 * for a newcomer another event had disturbed (`evictedForDisturbed`, one level deeper). An
 * evicted node refills its view, at high priority once the view is empty, which a full view must
 * take: the same churn, one step on. nat-shift under `--chaos 20`, seed 96: a subset cut's node,
 * rejoining at its seed check, had the shifted registry evict a bridge at 89.451 s; the bridge,
 * left with an empty view, asked the registry again, which evicted the old path's peer at
 * 89.468 s to take it back, and closed that path as unused before it could idle out.
 */
function bouncedBack(world: ChaosWorld, others: readonly CutWindow[], topic: string, newcomerId: string, atMs: number, depth: number): boolean {
  const told = world.spans.find({ name: 'mesh.gossip.neighbor_down', node: nameOf(world, newcomerId), sinceMs: atMs - REJOIN_ALLOWANCE_MS, untilMs: atMs, attrs: { topic, cause: 'disconnect' } });
  return told.some((t) => {
    const evictor = nameOf(world, String(t.attrs.peerId));
    const eviction = world.spans.last({ name: 'mesh.gossip.neighbor_down', node: evictor, untilMs: t.endMs, attrs: { topic, peerId: newcomerId, cause: 'evicted' } });
    return eviction !== undefined && t.endMs - eviction.endMs <= REJOIN_ALLOWANCE_MS && evictedForDisturbed(world, others, eviction, depth);
  });
}

/**
 * Until when `w` explains `node` coming in, or rejoining: its revert plus the rejoin allowance,
 * or, for a node whose seed dialer was still backing off at the revert, the retry that dialer
 * had armed by then plus the allowance: it tries again only then. A retry is armed when a dial
 * fails (`mesh.seed.retry` names its delay), and a dial begun before the revert fails up to a
 * dial timeout after it. mesh-grow-shrink under `--chaos 8`, seed 112: a partition_subset healed
 * at 70.6 s; dials of its nodes begun inside the cut timed out at 72.1 s, their retries 4 s
 * later came through at 76.1 s, and the observer evicted a NAT-shifted victim's one old path at
 * 76.3 s to admit one of them. Dials and Joins count when the window kept them from their peer:
 * any of them across a subset cut; for a node cut, those of its target, or those to it.
 */
function heldUntilMs(world: ChaosWorld, w: CutWindow, node: string): number {
  if (w.cut === 'link' || w.revertedAtMs === Infinity) return w.untilMs;
  const kept = (s: SpanRecord) => w.cut === 'subset' || w.targets.has(node) || w.targets.has(nameOf(world, String(s.attrs.peerId)));
  let until = w.untilMs;
  const retry = world.spans.find({ name: 'mesh.seed.retry', node, sinceMs: w.fromMs, untilMs: w.revertedAtMs + world.timers.dialTimeoutMs }).filter(kept).at(-1);
  if (retry !== undefined) until = Math.max(until, retry.endMs + Number(retry.attrs.delayMs) + REJOIN_ALLOWANCE_MS);
  // A node whose seeds the cut held away (across a subset cut, or a seed it took) rejoins
  // through them at its next seed check, up to a seed-check interval after the revert (the
  // seeds' digests went stale meanwhile): its first Join since the revert, plus the allowance.
  // nat-shift under --chaos 20, seed 96: two nodes of a subset cut healed at 83.1 s sent their
  // Joins at 89.1 and 89.4 s. chaos-soak-9prim-1min, seed 1335: a compute whose seed a kill_node
  // took until 60.6 s had its dial to it fail at 62.3 s, and joined through it at 66.3 s.
  const join = world.spans.find({ name: 'mesh.gossip.join', node, sinceMs: w.revertedAtMs, untilMs: w.revertedAtMs + world.timers.seedCheckIntervalMs }).find(kept);
  if (join !== undefined) until = Math.max(until, join.endMs + REJOIN_ALLOWANCE_MS);
  return until;
}

/**
 * Whether `w` held `newcomer` away from `evictor` (names), so that its coming in is that event's
 * doing: a node cut's target (killed, restarted, wedged, firewalled, moved) rejoins after the
 * revert; and a node a subset cut held on the other side of the boundary rejoins across it when
 * the cut heals — its seed dialer, retrying the seed across the cut, gets through and sends it
 * a Join (the seed check in src/mesh/node.ts), and a contact with a full active view evicts one
 * of its neighbours to take it. The default layout with `--chaos 20`, seed 31: a
 * partition_subset healed at 76.5 s, 26 s after a shift; two of its nodes joined through the
 * victim and its one old peer, which evicted each other to admit them and closed the old path
 * as unused 2.3 and 2.5 s later, over a second before either end would have idled out. A
 * newcomer on the evictor's own side of a subset cut was not held away from it, and link cuts
 * stay out: neither end loses its views to them.
 */
function heldApart(w: CutWindow, evictor: string, newcomer: string): boolean {
  if (w.cut === 'node') return w.targets.has(newcomer);
  return w.cut === 'subset' && w.targets.has(newcomer) !== w.targets.has(evictor);
}

/**
 * Whether `end` was first ended by a newer connection to its peer while the old one was still
 * open at its end, or, after the peer's `eviction` of it, by its node closing it as unused
 * itself or by a reset: the peer's endpoint, running on, answers a packet for the connection
 * it closed (docs/failure-model.md), which after a NAT shift reaches it from the shifted node's
 * new address. And it got no Disconnect from that peer before: the Disconnect the eviction sent
 * and the peer's close never arrived, so the old path was dead. (An end closed as unused before
 * the eviction could not have heard its Disconnect: that proves nothing.) The default layout
 * with `--chaos 20`, seed 31: the observer closed the old path as unused at 79.0 s, and the
 * shifted gateway's next packet on it drew the reset that ended its end at 79.1 s.
 * Or its process was taken by another event (`others`: killed, restarted) more than
 * HEARD_WITHIN_MS after the eviction, with the end still open and the Disconnect unheard:
 * mesh-grow-shrink under `--chaos 20`, seed 170, where the shifted broker evicted a gateway
 * 23.3 s after the shift and a kill_node took the gateway 4.7 s later, 2 s before its end
 * would have idled out. Or taken after the shift and before the eviction, sooner than its end
 * could have idled out, having heard no Disconnect: a dead end shows neither silence nor what
 * it hears, and the eviction closed the other end before its own idle timeout. partition-subset
 * under `--chaos 20`, seed 598: a burst_kill took a bridge 22.9 s after a broker's shift; the
 * broker evicted the dead bridge for a node just revived 1.8 s later and closed the path.
 * Or its node left the mesh (mesh.node.stopping: the layout shrinking) at such a time, its
 * goodbye sent to the shifted node's old address: mesh-grow-shrink under `--chaos 20`, seed 3984,
 * where the shifted broker evicted a gateway 6.1 s after the shift and the gateway left at 60 s,
 * 16 s before its end would have idled out; seed 4012, where a compute left 8.7 s after a broker's
 * shift and the broker, unaware, evicted it for a newcomer 6 s later.
 */
function endedUnheard(world: ChaosWorld, others: readonly CutWindow[], end: PathEnd, appliedAtMs: number, eviction: SpanRecord): boolean {
  const name = nameOf(world, end.node);
  const first = firstEnd(world, end, appliedAtMs);
  const goneWhen = (atMs: number): boolean =>
    (atMs - eviction.endMs > HEARD_WITHIN_MS || (atMs >= appliedAtMs && atMs < eviction.endMs && atMs < appliedAtMs + world.timers.idleTimeoutMs)) && (first === undefined || first.endMs > atMs);
  const taken = others.find((w) => LINKS_DIE.has(w.name) && w.targets.has(name) && goneWhen(w.fromMs));
  const left = world.spans.find({ name: 'mesh.node.stopping', node: name, sinceMs: appliedAtMs }).find((s) => goneWhen(s.endMs));
  const goneAtMs = taken?.fromMs ?? left?.endMs;
  if (first === undefined && goneAtMs === undefined) return false;
  const ended = goneAtMs !== undefined || first!.name === 'mesh.peer.connected' || ((isUnusedClose(first) || isReset(first!)) && first!.seq > eviction.seq);
  if (!ended) return false;
  const endedAtMs = goneAtMs ?? first!.endMs;
  const told = world.spans.first({ name: 'mesh.gossip.neighbor_down', node: name, sinceMs: appliedAtMs, untilMs: endedAtMs, attrs: { peerId: end.peer, cause: 'disconnect' } });
  return told === undefined || (goneAtMs === undefined && told.seq > first!.seq);
}

/** How long a Disconnect over a live path takes to arrive at the latest, ms: a link's latency, and a retransmission if the first copy is lost. */
const HEARD_WITHIN_MS = 1_000;
