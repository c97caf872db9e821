/**
 * The state of one HyParView instance and the view operations the handlers in `hyparview.ts`
 * are built from: adding to and removing from the active and passive views, refilling the
 * active view, and the invariant check run after every event.
 *
 * Like the rest of `src/protocol` it only mutates the state it is given and appends effects;
 * it must not do IO, read a clock, or draw randomness other than from the Rng in the context.
 */
import type { HyParViewMessage, NodeId, Priority } from './messages.js';
import type { Rng } from './rng.js';
import { NEIGHBOR_TIMEOUT, type HyParViewConfig, type HyParViewEffect, type NeighborDownCause } from './hyparview-types.js';
import { assert, isDuplicateFree, pickFromView, removeFromView, sampleView } from './hyparview-views.js';

export interface HyParViewState {
  readonly self: NodeId;
  readonly config: HyParViewConfig;
  /** Active view, in insertion order. */
  readonly active: NodeId[];
  /** Passive view, in insertion order. */
  readonly passive: NodeId[];
  /**
   * Neighbor requests in flight to passive candidates: peer → deadline (ms). Disjoint from both
   * views. Every request gets the same timeout and time never goes back, so insertion order is
   * deadline order: the first entry is always the next to expire.
   */
  readonly pendingNeighbor: Map<NodeId, number>;
  /** Candidates already asked in the current refill round (bounded by the passive capacity). */
  readonly triedInRound: Set<NodeId>;
  /** Passive members whose connection we released or who left alive: their next peerDown is expected. */
  readonly releasedPeers: Set<NodeId>;
  /**
   * Peers we evicted since we last sent them a Neighbor, oldest first, at most WITHDRAWN_MAX: an
   * accept that answers that Neighbor comes after our Disconnect reached the peer (one connection
   * carries both, in order), so the peer no longer holds us and the accept is stale.
   */
  readonly withdrawn: NodeId[];
  /** Ids we sent in our last Shuffle; evicted first when its ShuffleReply is merged. */
  lastShuffleSent: NodeId[];
  /**
   * The last peer we turned away (evicted, or refused as a low-priority neighbour), not yet
   * introduced to anyone: it had a free active slot when we did. Set and read by `offerPeers`.
   */
  turnedAway: NodeId | null;
  /** Who sent the last ShuffleReply we received, and the first peer it offered. */
  lastOfferFrom: NodeId | null;
  lastOfferFirst: NodeId | null;
  shuffleTimerArmed: boolean;
  /**
   * When the node's one NeighborTimeout is due (armed for the earliest pending deadline), or
   * null while none is armed (`timeNeighborRequests`).
   */
  neighborTimerDueMs: number | null;
  /** Set by `quit`; only a new `join` brings the node back. */
  left: boolean;
  lastNowMs: number;
}

/**
 * Evicted peers remembered for a stale accept. An accept takes one round trip to come back, and a
 * node evicts far fewer peers than this in one; a peer pushed out of the list by 64 later
 * evictions falls back to the old behaviour (its accept is taken, and broadcast traffic repairs
 * the one-sided link).
 */
export const WITHDRAWN_MAX = 64;

export interface Ctx {
  readonly state: HyParViewState;
  readonly rng: Rng;
  readonly out: HyParViewEffect[];
}

/** Puts `peer` in the active view (evicting a random member if full); `notify` sends Neighbor. */
export function addActive(ctx: Ctx, peer: NodeId, notify: Priority | null): void {
  const { state } = ctx;
  assert(peer !== state.self, 'self cannot be an active neighbour');
  if (!state.active.includes(peer)) {
    removePassive(state, peer);
    state.pendingNeighbor.delete(peer);
    if (state.active.length >= state.config.activeViewCapacity) evictRandomActive(ctx);
    state.active.push(peer);
    // Neighbor goes out before neighborUp so it precedes anything the broadcast layer sends.
    if (notify !== null) sendNeighbor(ctx, peer, notify);
    ctx.out.push({ kind: 'neighborUp', peer });
  } else if (notify !== null) {
    sendNeighbor(ctx, peer, notify);
  }
  assert(state.active.length <= state.config.activeViewCapacity, 'active view over capacity after add');
}

export function evictRandomActive(ctx: Ctx): void {
  const victim = ctx.rng.pick(ctx.state.active);
  offerPeers(ctx, victim);
  send(ctx, victim, { type: 'Disconnect', alive: true });
  withdraw(ctx.state, victim);
  removeActive(ctx, victim, 'evicted');
  addPassive(ctx, victim);
  releasePeer(ctx, victim);
}

/** Sends a Neighbor request; an accept of it is current again, whatever we withdrew before. */
function sendNeighbor(ctx: Ctx, peer: NodeId, priority: Priority): void {
  removeFromView(ctx.state.withdrawn, peer);
  send(ctx, peer, { type: 'Neighbor', priority });
}

/** Remembers that a Disconnect went out to `peer` after our last Neighbor to it (see `withdrawn`). */
function withdraw(state: HyParViewState, peer: NodeId): void {
  if (state.withdrawn.includes(peer)) return;
  if (state.withdrawn.length === WITHDRAWN_MAX) state.withdrawn.shift();
  state.withdrawn.push(peer);
}

/** Whether an accept from `peer` answers a Neighbor sent before we evicted it (see `withdrawn`). */
export function isWithdrawn(state: HyParViewState, peer: NodeId): boolean {
  return state.withdrawn.includes(peer);
}

export function removeActive(ctx: Ctx, peer: NodeId, cause: NeighborDownCause): void {
  const removed = removeFromView(ctx.state.active, peer);
  assert(removed, 'removing a peer that is not active');
  ctx.out.push({ kind: 'neighborDown', peer, cause });
}

/** Adds to the passive view unless known; when full, evicts one of `preferEvict` if possible. */
export function addPassive(ctx: Ctx, peer: NodeId, preferEvict: readonly NodeId[] = []): void {
  const { state, rng } = ctx;
  if (peer === state.self || state.active.includes(peer) || state.passive.includes(peer)) return;
  if (state.pendingNeighbor.has(peer) || state.config.passiveViewCapacity === 0) return;
  if (state.passive.length >= state.config.passiveViewCapacity) {
    const preferred = state.passive.filter((id) => preferEvict.includes(id));
    removePassive(state, rng.pick(preferred.length > 0 ? preferred : state.passive));
  }
  state.passive.push(peer);
}

export function removePassive(state: HyParViewState, peer: NodeId): void {
  removeFromView(state.passive, peer);
  state.releasedPeers.delete(peer);
}

/**
 * Promotes passive candidates with Neighbor requests, never more than there are free slots.
 * `first`, when it is an untried passive member, is asked before the random picks (a peer the
 * node that just turned us away introduced: see `offerPeers`).
 */
export function refillActive(ctx: Ctx, newRound: boolean, first: NodeId | null = null): void {
  const { state, rng } = ctx;
  const { config } = state;
  if (newRound) state.triedInRound.clear();
  let free = config.activeViewCapacity - state.active.length - state.pendingNeighbor.size;
  // A round asks at most one passive view's worth of candidates: refusals keep offering new
  // ones, so without this bound a node that nobody wants would ask forever.
  while (free > 0 && state.triedInRound.size < Math.max(config.passiveViewCapacity, 1)) {
    let candidate: NodeId | null;
    if (first !== null && !state.triedInRound.has(first) && state.passive.includes(first)) candidate = first;
    else candidate = pickFromView(rng, state.passive, [...state.triedInRound]);
    first = null;
    if (candidate === null) return;
    state.triedInRound.add(candidate);
    // Departure from §4.3, which asks one candidate at a time and leaves it in the passive view:
    // one request per free slot goes out at once (every one high priority while the active view
    // is empty, so an isolated node may make up to that many peers evict someone), and the
    // candidate leaves the passive view while asked (a refusal puts it back, which may evict
    // another passive entry if the view filled meanwhile).
    removePassive(state, candidate);
    state.pendingNeighbor.set(candidate, state.lastNowMs + config.neighborRequestTimeoutMs);
    sendNeighbor(ctx, candidate, state.active.length === 0 ? 'high' : 'low');
    free--;
  }
}

/**
 * Keeps the node's one NeighborTimeout armed for the earliest pending deadline, and for nothing
 * else: called once at the end of every event (`handleHyParView`), after whatever requests it
 * sent, answered, expired or dropped. Requests are answered within their
 * timeout unless the peer or the path failed, so the timer armed for one is usually moot by
 * then; it is cancelled (a `cancelTimer` effect) and armed for the next request still in flight,
 * or left off when none is. A timer that fired for nothing was the only NeighborTimeout of a
 * loss-free run: 2,836 events in protocol-1k, none of which expired a request.
 * Deadlines grow in insertion order, so the first pending request is the earliest. A timer
 * armed for a time already past did not fire on time (a wedged node runs its timers late): the
 * time wanted is never in the past (1 ms ahead at the earliest), so such a timer is cancelled
 * and another armed, and if the late one still fires it expires what is due anyway.
 */
export function timeNeighborRequests(ctx: Ctx): void {
  const { state } = ctx;
  if (state.pendingNeighbor.size === 0 && state.neighborTimerDueMs === null) return; // most events: nothing pending, nothing armed
  let dueMs: number | null = null;
  for (const deadline of state.pendingNeighbor.values()) {
    dueMs = Math.max(deadline, state.lastNowMs + 1);
    break;
  }
  if (state.neighborTimerDueMs === dueMs) return;
  if (state.neighborTimerDueMs !== null) ctx.out.push({ kind: 'cancelTimer', timer: NEIGHBOR_TIMEOUT });
  state.neighborTimerDueMs = dueMs;
  if (dueMs !== null) ctx.out.push({ kind: 'timer', delayMs: dueMs - state.lastNowMs, timer: NEIGHBOR_TIMEOUT });
}

/**
 * Turns `peer` away (called on every eviction and refusal): hands it some other peers in a
 * ShuffleReply so it has fresh candidates to refill from (iroh-gossip does the same): a node
 * evicted early, while the overlay was small, otherwise knows only the node that evicted it.
 *
 * Beyond the paper, an introduction: the first peer offered is the last one we turned away,
 * if it has not been introduced yet (each is offered once: `peer` takes its place), and
 * `peer` asks it first (`introducedBy`). Both had a free slot when we turned them away, so
 * each may take the other: a low-priority request is accepted only with a free slot. A
 * candidate picked at random from the passive view has a free slot less and less often as the
 * overlay grows. In boots of 1,000, 2,000 and 4,000 nodes, 5 ms apart, an introduced candidate
 * accepted 40 / 37 / 33 % of requests, a random one 23 / 19 / 14 %; refusals per node fell from
 * 17 / 24 / 33 to 12 / 17 / 22 (docs/performance.md, round 12).
 */
export function offerPeers(ctx: Ctx, peer: NodeId): void {
  const { state, rng } = ctx;
  const count = state.config.shuffleActiveViewCount + state.config.shufflePassiveViewCount;
  const introduced = state.turnedAway;
  const nodes: NodeId[] = introduced === null || introduced === peer ? [] : [introduced];
  const excluded = nodes.length === 0 ? [peer] : [peer, introduced!];
  nodes.push(...sampleView(rng, state.passive, count - nodes.length, excluded));
  nodes.push(...sampleView(rng, state.active, count - nodes.length, excluded));
  if (nodes.length > 0) send(ctx, peer, { type: 'ShuffleReply', nodes });
  state.turnedAway = peer; // it has a free slot now: the next peer we turn away meets it
}

/** The peer `from` offered first in the last ShuffleReply we received, if `from` sent it; else null. */
export function introducedBy(state: HyParViewState, from: NodeId): NodeId | null {
  if (state.lastOfferFrom !== from) return null;
  state.lastOfferFrom = null; // an offer introduces once
  return state.lastOfferFirst;
}

/** Tells the substrate this topic no longer needs `peer`; its next peerDown is then expected. */
export function releasePeer(ctx: Ctx, peer: NodeId): void {
  assert(!isNeeded(ctx.state, peer), 'releasing a peer that is still needed');
  if (ctx.state.passive.includes(peer)) ctx.state.releasedPeers.add(peer);
  ctx.out.push({ kind: 'disconnect', peer });
}

export function isNeeded(state: HyParViewState, peer: NodeId): boolean {
  return state.active.includes(peer) || state.pendingNeighbor.has(peer);
}

export function send(ctx: Ctx, to: NodeId, message: HyParViewMessage): void {
  if (to === ctx.state.self) assert(false, `sending ${message.type} to self`);
  ctx.out.push({ kind: 'send', to, message });
}

export function checkInvariants(state: HyParViewState): void {
  // Runs after every event: an allocation-free pass answers the membership questions, and the
  // checks that name the broken rule run only when that quick pass finds something wrong.
  if (invariantsHoldQuick(state)) return;
  checkInvariantsNamed(state);
  assert(false, 'HyParView invariants: the quick pass failed where the named checks passed');
}

/**
 * Scans the views in place (they hold at most a few dozen ids) instead of building a set per
 * event: at 10,000 nodes that set was ~15 % of all bytes allocated, and every byte allocated
 * shortens the virtual time a young generation covers (docs/performance.md, round 5).
 */
function invariantsHoldQuick(state: HyParViewState): boolean {
  const { active, passive, config, self } = state;
  if (active.length > config.activeViewCapacity || passive.length > config.passiveViewCapacity) return false;
  for (let i = 0; i < active.length; i++) {
    const peer = active[i];
    if (peer === self || active.indexOf(peer, i + 1) >= 0 || passive.includes(peer)) return false;
  }
  for (let i = 0; i < passive.length; i++) {
    const peer = passive[i];
    if (peer === self || passive.indexOf(peer, i + 1) >= 0) return false;
  }
  if (state.pendingNeighbor.has(self)) return false;
  for (const peer of state.pendingNeighbor.keys()) if (active.includes(peer) || passive.includes(peer)) return false;
  for (const peer of state.releasedPeers) if (!passive.includes(peer)) return false;
  return !state.left || (active.length === 0 && state.pendingNeighbor.size === 0);
}

function checkInvariantsNamed(state: HyParViewState): void {
  const { active, passive, config, self } = state;
  assert(active.length <= config.activeViewCapacity, 'active view over capacity');
  assert(passive.length <= config.passiveViewCapacity, 'passive view over capacity');
  assert(!active.includes(self) && !passive.includes(self) && !state.pendingNeighbor.has(self), 'self in a view');
  assert(isDuplicateFree(active) && isDuplicateFree(passive), 'duplicate view entry');
  assert(active.every((peer) => !passive.includes(peer)), 'active and passive views overlap');
  for (const peer of state.pendingNeighbor.keys()) {
    assert(!active.includes(peer) && !passive.includes(peer), 'pending Neighbor request to a peer in a view');
  }
  for (const peer of state.releasedPeers) assert(passive.includes(peer), 'released peer outside the passive view');
  assert(!state.left || (active.length === 0 && state.pendingNeighbor.size === 0), 'left node still has neighbours');
}
