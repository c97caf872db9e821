/**
 * Plumtree broadcast ("Epidemic Broadcast Trees", Leitão, Pereira, Rodrigues, SRDS 2007) as a
 * sans-IO state machine: `handlePlumtree(state, event, nowMs, rng)` mutates the state and
 * returns effects (send, deliver, timer, rejected). Timers are data: a timer effect comes back
 * later as a timer event. Eager push runs along the tree; lazy push sends batched IHave ids
 * on the other links; IHave → Graft repairs the tree; Prune removes redundant tree links.
 *
 * It must not do IO, read clocks, own randomness or import from `src/sim`.
 *
 * Choices beyond the paper, each to guard a known weak spot:
 * - Expired entries (message cache, received ids, pending grafts) are dropped at the start of the
 *   first event at least `cacheEvictIntervalMs` after the previous pass (the first event starts
 *   the count), not by a timer of its own: those tables are only read by events, so nothing can
 *   tell the difference, and a timer per node per second was about a tenth of a large run's
 *   events. A node that hears nothing keeps its expired entries until it does (the tables stay
 *   within their capacity either way).
 * - Every send goes to a current neighbour (asserted). Messages from non-neighbours may still
 *   deliver a Gossip, but never change the eager/lazy sets nor record IHave advertisers,
 *   so a late message cannot resurrect a peer that went down.
 * - One SendGraft timer per node instead of the paper's timer per missing message: requests wait
 *   in two queues by due time (first Grafts `graftTimeout1Ms` after the first IHave, next ones
 *   `graftTimeout2Ms` after a Graft), and a timer armed for the earliest due time acts on every
 *   request due when it fires, in the order the paper's timers would have been armed. Each
 *   request is still acted on at its own due millisecond. A request whose Graft became moot (the
 *   Gossip came, the id was shed or its last advertiser left) leaves the missing set and its
 *   queue entry is skipped; a timer armed for it is cancelled (a `cancelTimer` effect) and armed
 *   for the next live request, as the paper cancels a moot message's timer. Per message, a timer
 *   was about ten objects across the layers (timer, wrappers, the host's event, the cancel
 *   entry): 0.25 KB for every message a node of an all-nodes burst heard of first by IHave
 *   (docs/performance.md, round 25). HyParView's Neighbor requests have one timer per node too.
 * - Lazy push leaves out the peers a node knows hold the message: those whose IHave came before
 *   the Gossip (the paper still announces to them), and those whose IHave or Gossip for it came
 *   while our IHave batch waited. An IHave for an id the receiver holds changes nothing there
 *   (`onIHave` skips received ids, and tree optimization only looks at pending ones), so the
 *   trees and deliveries follow the paper; only the no-op announcements are not sent. In
 *   protocol-1k with one broadcast a second they were a third of all IHaves.
 * - Tree optimization also moves the peers locally (IHave sender to eager, Gossip sender to
 *   lazy), keeping both ends of each link in agreement.
 * - A duplicate Gossip from a peer this node pruned less than `pruneRepeatMs` ago, and kept lazy
 *   since, sends no second Prune (the paper sends one per duplicate). The duplicates that follow a
 *   Prune are mostly ones the peer sent before it arrived; the peer is already lazy here. On a
 *   reliable, ordered link the peer puts this node back among its eager peers only on a Graft it
 *   sends here or on a Gossip from here that is new to it, which this node sends only to an eager
 *   peer or to answer a Graft: each makes the peer eager here first, which clears the note. So a
 *   repeat changes no peer set. A peer that still pushes after the window (it took this node back
 *   by a path this node did not see, such as a new neighbourship only it noticed) is pruned again. In burst-1k (every node broadcasts at once) 69 % of the Prunes were
 *   such repeats: 1.23 M → 0.38 M, same deliveries (docs/performance.md, round 30). 0 restores
 *   the paper's one Prune per duplicate.
 * - `deliver.round` is the hop count: 0 for an own broadcast, wire round + 1 when received.
 * - Giving up on a message known only by IHave (every advertiser grafted in vain, or every one
 *   went down) is an effect, `gaveUp`, never silent: the substrate spans and counts it.
 */
import type { Gossip, IHave, MessageId, NodeId, PlumtreeMessage } from './messages.js';
import { isMessageIdOf, messageIdOf, sharedGossipOf } from './message-id.js';
import { DISPATCH_LAZY_PUSH, SEND_GRAFT, type PlumtreeEffect, type PlumtreeEvent, type PlumtreeTimer } from './plumtree-types.js';
import {
  addEager, addLazy, check, isNeighbour, PendingGraft, PLUMTREE_LIMITS,
  type GraftQueue, type PlumtreeState,
} from './plumtree-state.js';
import { IHAVE_ENTRIES_MAX } from './codec.js';
import type { Rng } from './rng.js';

export { messageIdOf } from './message-id.js';
export {
  cacheSize, createPlumtree, eagerPeers, evictionCount, lazyPeers, pendingGraftCount, PLUMTREE_LIMITS, receivedIdCount,
  type PlumtreeState,
} from './plumtree-state.js';

/** The dispatcher. `rng` is part of the protocol contract; Plumtree itself draws nothing. */
export function handlePlumtree(s: PlumtreeState, event: PlumtreeEvent, nowMs: number, _rng: Rng): PlumtreeEffect[] {
  // Checks on the per-event path test first and build their message only on failure.
  if (!(Number.isSafeInteger(nowMs) && nowMs >= s.lastNowMs)) check(false, `time went backwards: ${nowMs} < ${s.lastNowMs}`);
  s.lastNowMs = nowMs;
  const out: PlumtreeEffect[] = [];
  if (s.evictDueMs === null) s.evictDueMs = nowMs + s.config.cacheEvictIntervalMs;
  else if (nowMs >= s.evictDueMs) evictExpired(s, nowMs, out);
  switch (event.kind) {
    case 'neighborUp': onNeighborUp(s, event.peer); break;
    case 'neighborDown': onNeighborDown(s, event.peer, nowMs, out); break;
    case 'broadcast': onBroadcast(s, event.content, nowMs, out); break;
    case 'message': onMessage(s, event.from, event.message, nowMs, out); break;
    case 'timer': onTimer(s, event.timer, nowMs, out); break;
  }
  checkInvariants(s);
  return out;
}

function onMessage(s: PlumtreeState, from: NodeId, message: PlumtreeMessage, nowMs: number, out: PlumtreeEffect[]): void {
  if (from === s.self) return; // bad input: nobody talks to itself
  switch (message.type) {
    case 'Gossip': onGossip(s, from, message, nowMs, out); break;
    case 'IHave': onIHave(s, from, message.entries, nowMs, out); break;
    case 'Graft': onGraft(s, from, message.id, out); break;
    case 'Prune': onPrune(s, from); break;
  }
}

function onTimer(s: PlumtreeState, timer: PlumtreeTimer, nowMs: number, out: PlumtreeEffect[]): void {
  switch (timer.type) {
    case 'SendGraft': onSendGraftTimer(s, nowMs, out); break;
    case 'DispatchLazyPush': onDispatchLazyPush(s, out); break;
  }
}

// ---- membership ----
function onNeighborUp(s: PlumtreeState, peer: NodeId): void {
  check(peer !== s.self, 'neighborUp for self');
  addEager(s, peer);
}

// Paper p9: a failed neighbour leaves the sets, and its IHave records leave the missing history.
function onNeighborDown(s: PlumtreeState, peer: NodeId, nowMs: number, out: PlumtreeEffect[]): void {
  s.eagerPushPeers.delete(peer);
  s.lazyPushPeers.delete(peer);
  s.prunedAtMs.delete(peer);
  s.lazyQueue.delete(peer);
  s.lazyHeld.delete(peer);
  for (const [id, pending] of [...s.missing]) {
    const index = pending.indexOf(peer);
    if (index < 0) continue;
    pending.removeAt(index);
    if (index < pending.nextIndex) pending.nextIndex -= 1;
    if (pending.count > 0) continue;
    s.missing.delete(id);
    out.push({ kind: 'gaveUp', id, reason: 'advertisers-down' });
  }
  timeGrafts(s, nowMs, out);
}

// ---- broadcast and Gossip ----
function onBroadcast(s: PlumtreeState, content: Uint8Array, nowMs: number, out: PlumtreeEffect[]): void {
  if (content.length > s.config.maxMessageSizeBytes) {
    // The checker's digests-known message reads this wording back (src/scenario/checker.ts).
    out.push({ kind: 'rejected', reason: `message of ${content.length} bytes exceeds ${s.config.maxMessageSizeBytes}` });
    return;
  }
  const id = messageIdOf(content);
  if (s.received.has(id)) {
    out.push({ kind: 'rejected', reason: `message ${id} was already broadcast or received` });
    return;
  }
  const gossip: Gossip = { type: 'Gossip', id, round: 0, content };
  remember(s, gossip, nowMs);
  out.push({ kind: 'deliver', id, content, from: null, round: 0 });
  // Ids name content, not (content, origin) as the paper's hash(m + myself) does (message-id.ts):
  // bytes this node broadcasts may already be announced to it by another origin's IHave. The
  // graft for them is moot, as when a Gossip brings them (onGossip); left pending, the graft
  // timer asked for a message it held and tripped sendGraft's check.
  const pending = s.missing.get(id);
  if (pending !== undefined) {
    s.missing.delete(id);
    timeGrafts(s, nowMs, out);
  }
  eagerPush(s, gossip, null, out);
  lazyPush(s, id, 0, null, out, pending);
}

function onGossip(s: PlumtreeState, from: NodeId, message: Gossip, nowMs: number, out: PlumtreeEffect[]): void {
  if (!isWellFormedGossip(s, message)) return; // spoofed id or bad input: no delivery, no state change
  const neighbour = isNeighbour(s, from);
  if (s.received.has(message.id)) {
    // A duplicate: this link is redundant for the tree.
    if (neighbour) {
      addLazy(s, from);
      if (!prunedLately(s, from, nowMs)) prune(s, out, from, nowMs);
    }
    noteHeld(s, from, message.id);
    return;
  }
  // Equal ids mean equal bytes (checked above): cache and forward the one shared copy, in the
  // one Gossip object every node forwarding it at this round shares.
  const forward = sharedGossipOf(message.id, message.round + 1, message.content);
  remember(s, forward, nowMs);
  out.push({ kind: 'deliver', id: message.id, content: forward.content, from, round: forward.round });
  const pending = s.missing.get(message.id);
  if (pending !== undefined) {
    s.missing.delete(message.id); // paper p8: the graft is moot
    timeGrafts(s, nowMs, out);
  }
  eagerPush(s, forward, from, out);
  lazyPush(s, forward.id, forward.round, from, out, pending);
  if (!neighbour) return;
  addEager(s, from);
  if (pending !== undefined) optimizeTree(s, from, message.round, pending, nowMs, out);
}

function isWellFormedGossip(s: PlumtreeState, message: Gossip): boolean {
  return Number.isSafeInteger(message.round) && message.round >= 0 &&
    message.content.length <= s.config.maxMessageSizeBytes &&
    isMessageIdOf(message.id, message.content);
}

/**
 * Paper §3.8: if a lazy peer announced this message at round r and the Gossip came at a round
 * at least `optimizationThreshold` larger, the lazy path is much shorter: Graft the IHave
 * sender (no id: it only joins the tree) and Prune the Gossip sender.
 */
function optimizeTree(s: PlumtreeState, gossipSender: NodeId, round: number, pending: PendingGraft, nowMs: number, out: PlumtreeEffect[]): void {
  let best = -1;
  for (let i = 0; i < pending.count; i++) {
    if (pending.peerAt(i) === gossipSender) continue;
    if (best < 0 || pending.roundAt(i) < pending.roundAt(best)) best = i;
  }
  if (best < 0) return;
  const bestPeer = pending.peerAt(best), bestRound = pending.roundAt(best);
  if (bestRound >= round || round - bestRound < s.config.optimizationThreshold) return;
  addEager(s, bestPeer);
  send(s, out, bestPeer, { type: 'Graft', id: null, round: bestRound });
  addLazy(s, gossipSender);
  prune(s, out, gossipSender, nowMs);
}

/** Whether this node sent `peer` a Prune less than `pruneRepeatMs` ago and kept it lazy since. */
function prunedLately(s: PlumtreeState, peer: NodeId, nowMs: number): boolean {
  const at = s.prunedAtMs.get(peer);
  return at !== undefined && nowMs - at < s.config.pruneRepeatMs;
}

/** Sends `peer`, already lazy here, a Prune and notes when. */
function prune(s: PlumtreeState, out: PlumtreeEffect[], peer: NodeId, nowMs: number): void {
  s.prunedAtMs.set(peer, nowMs);
  send(s, out, peer, { type: 'Prune' });
}

// ---- lazy push: IHave, Graft ----
function onIHave(s: PlumtreeState, from: NodeId, entries: readonly { id: MessageId; round: number }[], nowMs: number, out: PlumtreeEffect[]): void {
  if (!isNeighbour(s, from)) return;
  let queued = false;
  for (const { id, round } of entries) {
    if (!Number.isSafeInteger(round) || round < 0) continue;
    if (s.received.has(id)) {
      noteHeld(s, from, id);
      continue;
    }
    const pending = s.missing.get(id);
    if (pending === undefined) {
      // Paper p8: mark missing and wait for the eager push before asking for it.
      const fresh = new PendingGraft(id, from, round, nowMs);
      if (s.missing.size >= PLUMTREE_LIMITS.pendingGraftsMax) {
        // Shed the oldest announcement rather than fail (its queue entry goes stale).
        s.missing.delete(s.missing.keys().next().value as MessageId);
        s.evictedPendingGrafts++;
      }
      s.missing.set(id, fresh);
      queueGraft(s, s.firstGrafts, fresh, nowMs);
      queued = true;
    } else {
      pending.add(from, round);
    }
  }
  if (queued) timeGrafts(s, nowMs, out);
}

/** Puts `pending` in `queue`, due the queue's timeout from now. */
function queueGraft(s: PlumtreeState, queue: GraftQueue, pending: PendingGraft, nowMs: number): void {
  pending.dueMs = nowMs + (queue === s.firstGrafts ? s.config.graftTimeout1Ms : s.config.graftTimeout2Ms);
  queue.push(pending);
}

/**
 * Keeps the node's one graft timer armed for the earliest live request: stale entries (their
 * request delivered, shed or given up) leave the queue heads first. A timer armed for another
 * time is cancelled and armed again, so no timer fires for a request that became moot (most do:
 * the Gossip usually follows its IHave within the first timeout), as the paper cancels a moot
 * message's timer; with none left, it is only cancelled. Called whenever a request joins or
 * leaves the missing set, and after the timer fired.
 * A timer armed for a time already past did not fire on time (its host held it: a wedged node
 * runs its timers late). The time wanted is never in the past (a request already overdue waits
 * 1 ms), so such a timer is cancelled and another armed: a late timer cannot keep the node from
 * arming one, and if it still fires it finds nothing due, or what is due anyway.
 */
function timeGrafts(s: PlumtreeState, nowMs: number, out: PlumtreeEffect[]): void {
  const next = Math.min(liveHeadDueMs(s, s.firstGrafts), liveHeadDueMs(s, s.nextGrafts));
  const dueMs = next === Infinity ? null : Math.max(next, nowMs + 1);
  if (s.graftTimerDueMs === dueMs) return;
  if (s.graftTimerDueMs !== null) out.push({ kind: 'cancelTimer', timer: SEND_GRAFT });
  s.graftTimerDueMs = dueMs;
  if (dueMs !== null) armTimer(s, out, dueMs - nowMs, SEND_GRAFT);
}

/** Due time of the queue's oldest live request (stale ones before it leave), or Infinity. */
function liveHeadDueMs(s: PlumtreeState, queue: GraftQueue): number {
  for (let head = queue.peek(); head !== undefined; head = queue.peek()) {
    if (s.missing.get(head.id) === head) return head.dueMs;
    queue.shift();
  }
  return Infinity;
}

/**
 * The node's graft timer: every request due by now, earliest first, and at one due time first
 * Grafts before next ones (the paper's timers for them were armed in that order); then the timer
 * is armed for the next live request.
 */
function onSendGraftTimer(s: PlumtreeState, nowMs: number, out: PlumtreeEffect[]): void {
  if (s.graftTimerDueMs !== null && s.graftTimerDueMs <= nowMs) s.graftTimerDueMs = null; // this one fired
  for (;;) {
    const firstDue = liveHeadDueMs(s, s.firstGrafts);
    const nextDue = liveHeadDueMs(s, s.nextGrafts);
    if (Math.min(firstDue, nextDue) > nowMs) break;
    sendGraft(s, (firstDue <= nextDue ? s.firstGrafts : s.nextGrafts).shift(), nowMs, out);
  }
  timeGrafts(s, nowMs, out);
}

function sendGraft(s: PlumtreeState, pending: PendingGraft, nowMs: number, out: PlumtreeEffect[]): void {
  const id = pending.id;
  check(!s.received.has(id), 'a received id is still pending');
  if (pending.nextIndex >= pending.count) {
    s.missing.delete(id); // every advertiser was asked: give up until a new IHave arrives
    out.push({ kind: 'gaveUp', id, reason: 'advertisers-exhausted' });
    return;
  }
  const peer = pending.peerAt(pending.nextIndex), round = pending.roundAt(pending.nextIndex);
  pending.nextIndex += 1;
  addEager(s, peer);
  send(s, out, peer, { type: 'Graft', id, round });
  // Paper p9: a second, shorter timer asks the next advertiser if this one does not answer.
  queueGraft(s, s.nextGrafts, pending, nowMs);
}

function onGraft(s: PlumtreeState, from: NodeId, id: MessageId | null, out: PlumtreeEffect[]): void {
  if (!isNeighbour(s, from)) return;
  addEager(s, from);
  if (id === null) return;
  const cached = s.received.get(id);
  if (cached !== undefined) send(s, out, from, cached);
}

function onPrune(s: PlumtreeState, from: NodeId): void {
  if (isNeighbour(s, from)) addLazy(s, from);
}

function onDispatchLazyPush(s: PlumtreeState, out: PlumtreeEffect[]): void {
  s.dispatchArmed = false;
  for (const [peer, entries] of s.lazyQueue) {
    const unheld = entriesNotHeld(s, peer, entries);
    if (unheld.length > 0 && isNeighbour(s, peer)) send(s, out, peer, { type: 'IHave', entries: unheld });
  }
  s.lazyQueue.clear();
  s.lazyHeld.clear();
  s.lazyQueued.clear();
}

// ---- eviction ----
function evictExpired(s: PlumtreeState, nowMs: number, out: PlumtreeEffect[]): void {
  s.received.evictOlderThan(nowMs, s.config.messageIdRetentionMs);
  s.received.dropValuesOlderThan(nowMs, s.config.messageCacheRetentionMs);
  const pending = s.missing.size;
  for (const [id, request] of [...s.missing]) {
    if (nowMs - request.createdAtMs >= s.config.messageIdRetentionMs) s.missing.delete(id);
  }
  if (s.missing.size < pending) timeGrafts(s, nowMs, out);
  s.evictDueMs = nowMs + s.config.cacheEvictIntervalMs;
}

// ---- helpers ----
function remember(s: PlumtreeState, gossip: Gossip, nowMs: number): void {
  s.received.insert(gossip.id, gossip, nowMs);
}

function eagerPush(s: PlumtreeState, gossip: Gossip, except: NodeId | null, out: PlumtreeEffect[]): void {
  for (const peer of s.eagerPushPeers) if (peer !== except) send(s, out, peer, gossip);
}

/**
 * Queues an IHave entry for every lazy peer but `except` and the `holders` (peers that announced
 * the id to us); the batch leaves when DispatchLazyPush fires.
 */
function lazyPush(s: PlumtreeState, id: MessageId, round: number, except: NodeId | null, out: PlumtreeEffect[], holders?: PendingGraft): void {
  let queued = false;
  // One entry object for every peer's batch: batches are only read once queued.
  const entry = { id, round };
  for (const peer of s.lazyPushPeers) {
    if (peer === except) continue;
    if (holders !== undefined && holders.indexOf(peer) >= 0) continue;
    let entries = s.lazyQueue.get(peer);
    if (entries === undefined) s.lazyQueue.set(peer, (entries = []));
    entries.push(entry);
    if (entries.length >= IHAVE_ENTRIES_MAX) {
      // A full frame leaves now; the batch starts again empty (the wire limit, docs/wire.md).
      const unheld = entriesNotHeld(s, peer, entries);
      if (unheld.length > 0) send(s, out, peer, { type: 'IHave', entries: unheld });
      s.lazyQueue.delete(peer);
      s.lazyHeld.delete(peer);
      s.fullIHaveBatches++;
      continue;
    }
    queued = true;
  }
  if (queued) s.lazyQueued.add(id);
  if (queued && !s.dispatchArmed) {
    s.dispatchArmed = true;
    armTimer(s, out, s.config.dispatchTimeoutMs, DISPATCH_LAZY_PUSH);
  }
}

/** `peer` showed it holds `id` (its IHave or Gossip came): no IHave of ours need tell it. */
function noteHeld(s: PlumtreeState, peer: NodeId, id: MessageId): void {
  if (!s.lazyQueue.has(peer) || !s.lazyQueued.has(id)) return; // not in any batch: nothing to drop
  let held = s.lazyHeld.get(peer);
  if (held === undefined) s.lazyHeld.set(peer, (held = new Set()));
  held.add(id);
}

/** `entries` without the ids `peer` showed it holds since they were queued. */
function entriesNotHeld(s: PlumtreeState, peer: NodeId, entries: IHave['entries']): IHave['entries'] {
  const held = s.lazyHeld.get(peer);
  return held === undefined ? entries : entries.filter((e) => !held.has(e.id));
}

function send(s: PlumtreeState, out: PlumtreeEffect[], to: NodeId, message: PlumtreeMessage): void {
  if (!isNeighbour(s, to)) check(false, `send to non-neighbour ${to}`);
  out.push({ kind: 'send', to, message });
}

function armTimer(s: PlumtreeState, out: PlumtreeEffect[], delayMs: number, timer: PlumtreeTimer): void {
  if (!(delayMs > 0)) check(false, `timer ${timer.type} with delay ${delayMs}`);
  out.push({ kind: 'timer', delayMs, timer });
}

function checkInvariants(s: PlumtreeState): void {
  check(!s.eagerPushPeers.has(s.self) && !s.lazyPushPeers.has(s.self), 'self in own peer sets');
  for (const peer of s.lazyPushPeers) if (s.eagerPushPeers.has(peer)) check(false, `peer ${peer} both eager and lazy`);
  if (s.prunedAtMs.size > 0) { // per event: no iterator for the usual empty map
    for (const peer of s.prunedAtMs.keys()) if (!s.lazyPushPeers.has(peer)) check(false, `pruned peer ${peer} is not lazy`);
  }
}
