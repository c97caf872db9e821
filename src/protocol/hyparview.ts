/**
 * HyParView membership for one topic, as a sans-IO state machine (Leitão, Pereira, Rodrigues,
 * "HyParView: a membership protocol for reliable gossip-based broadcast", DSN 2007).
 *
 * `handleHyParView(state, event, nowMs, rng)` mutates `state` and returns effects (sends, timers,
 * neighbour up/down, connection release). It must not do IO, read a clock, or own randomness:
 * time and the Rng come from the caller, timers are data that come back as events.
 *
 * Choices beyond the paper (each guards a known weak spot, see SPEC §2.2):
 * - `join` sends Join to every contact it is given at once (like iroh-gossip), and keeps the
 *   contacts in the passive view so a lost overlay can be re-entered through them. The mesh
 *   node gives it one seed at a time, as the paper's join has one contact (mesh/node.ts,
 *   `joinTopicThrough`).
 * - Symmetry: a node that puts a peer in its active view on its own initiative (Join,
 *   ForwardJoin) sends it Neighbor{high}, which the peer always accepts; a node answering a
 *   Neighbor request adds the asker before replying, and the asker adds on the accepted reply
 *   (or sends Disconnect back if it has no room any more).
 * - Every Neighbor request to a passive candidate has a deadline, and never more requests than
 *   free active slots are in flight. One NeighborTimeout per node, armed for the earliest
 *   deadline in flight, expires each request at its deadline (a timer per request would fire
 *   for nothing after most replies: 9 % of a 4,000-node boot's events). Once the requests it
 *   was armed for are answered it is cancelled, and armed for the next one in flight if any
 *   (`timeNeighborRequests`): left armed, it fired for nothing too, 2,836 times in protocol-1k.
 * - An accepted NeighborReply from a peer we evicted after our last Neighbor to it is stale: the
 *   peer read our Disconnect after that Neighbor and no longer holds us, so it is ignored rather
 *   than taken in as a one-sided link (`withdrawn`, the last 64 such peers).
 * - A refill round asks each candidate at most once and at most passiveViewCapacity of them, so
 *   refusals cannot cause an endless request loop; loss or the Shuffle timer starts a new round.
 * - A node turned away (evicted, or refused as a neighbour) first gets a ShuffleReply with
 *   some of our peers, so it always has fresh refill candidates. The first of them is the
 *   previous peer we turned away, which then had a free slot too, and it is asked first (an
 *   introduction, see `offerPeers`).
 * - A node that leaves (`quit`; the paper has no graceful leave) sends Disconnect{alive:false}
 *   to its active view and to every peer it has a Neighbor request out to, which may have
 *   accepted it already (mesh-grow-shrink under `--chaos 8`, seed 34: a leaver's request,
 *   accepted 4 ms before it left, left the acceptor holding it as a neighbour for 30 s).
 * - `disconnect` effects follow any send to the same peer in the same effect list: the
 *   substrate must flush those sends before it closes. A later peerDown for a peer we released
 *   ourselves (or that left with Disconnect{alive:true}) is expected and keeps it passive.
 */
import type { HyParViewMessage, NodeId, Priority } from './messages.js';
import type { Rng } from './rng.js';
import {
  HYPARVIEW_DEFAULTS,
  type HyParViewConfig,
  type HyParViewEffect,
  type HyParViewEvent,
  type HyParViewTimer,
} from './hyparview-types.js';
import { assert, pickFromView, sampleView } from './hyparview-views.js';
import {
  addActive,
  addPassive,
  timeNeighborRequests,
  checkInvariants,
  introducedBy,
  isNeeded,
  isWithdrawn,
  offerPeers,
  refillActive,
  releasePeer,
  removeActive,
  removePassive,
  send,
  type Ctx,
  type HyParViewState,
} from './hyparview-state.js';

export type { HyParViewState } from './hyparview-state.js';
/** Whether a node's view holds `peer` active or has a Neighbor request to it in flight (a connection to it is in use). */
export { isNeeded } from './hyparview-state.js';

export function createHyParView(self: NodeId, config: Partial<HyParViewConfig> = {}): HyParViewState {
  const merged: HyParViewConfig = { ...HYPARVIEW_DEFAULTS, ...config };
  assert(merged.activeViewCapacity >= 1, 'activeViewCapacity must be at least 1');
  assert(merged.passiveViewCapacity >= 0, 'passiveViewCapacity must not be negative');
  assert(merged.passiveRandomWalkLength <= merged.activeRandomWalkLength, 'PRWL must not exceed ARWL');
  assert(merged.shuffleIntervalMs > 0 && merged.neighborRequestTimeoutMs > 0, 'timer periods must be positive');
  return {
    self,
    config: merged,
    active: [],
    passive: [],
    pendingNeighbor: new Map(),
    triedInRound: new Set(),
    releasedPeers: new Set(),
    withdrawn: [],
    lastShuffleSent: [],
    turnedAway: null,
    lastOfferFrom: null,
    lastOfferFirst: null,
    shuffleTimerArmed: false,
    neighborTimerDueMs: null,
    left: false,
    lastNowMs: 0,
  };
}

export function activeView(state: HyParViewState): readonly NodeId[] {
  return state.active.slice();
}

export function passiveView(state: HyParViewState): readonly NodeId[] {
  return state.passive.slice();
}

/** The single dispatcher: mutates `state`, returns the effects in the order they must happen. */
export function handleHyParView(state: HyParViewState, event: HyParViewEvent, nowMs: number, rng: Rng): HyParViewEffect[] {
  // Checks on the per-event path test first and build their message only on failure.
  if (!(nowMs >= state.lastNowMs)) assert(false, `time went backwards: ${nowMs} < ${state.lastNowMs}`);
  state.lastNowMs = nowMs;
  const ctx: Ctx = { state, rng, out: [] };
  if (event.kind === 'join') {
    startJoin(ctx, event.contacts);
  } else if (state.left) {
    if (event.kind === 'timer') {
      if (event.timer.type === 'Shuffle') state.shuffleTimerArmed = false;
      else neighborTimerFired(state);
    }
  } else {
    switch (event.kind) {
      case 'message':
        if (event.from !== state.self) onMessage(ctx, event.from, event.message);
        break;
      case 'timer':
        onTimer(ctx, event.timer);
        break;
      case 'peerDown':
        if (event.peer !== state.self) onPeerDown(ctx, event.peer);
        break;
      case 'quit':
        quit(ctx);
        break;
    }
  }
  timeNeighborRequests(ctx); // the one place the NeighborTimeout is armed or cancelled
  checkInvariants(state);
  return ctx.out;
}

function onMessage(ctx: Ctx, from: NodeId, message: HyParViewMessage): void {
  switch (message.type) {
    case 'Join': return onJoin(ctx, from);
    case 'ForwardJoin': return onForwardJoin(ctx, from, message.peer, message.ttl);
    case 'Neighbor': return onNeighbor(ctx, from, message.priority);
    case 'NeighborReply': return onNeighborReply(ctx, from, message.accepted);
    case 'Disconnect': return onDisconnect(ctx, from, message.alive);
    case 'Shuffle': return onShuffle(ctx, from, message.origin, message.ttl, message.nodes);
    case 'ShuffleReply': return onShuffleReply(ctx, from, message.nodes);
  }
}

function onTimer(ctx: Ctx, timer: HyParViewTimer): void {
  if (timer.type === 'Shuffle') onShuffleTimer(ctx);
  else onNeighborTimeout(ctx);
}

// ---- commands ----

function startJoin(ctx: Ctx, contacts: readonly NodeId[]): void {
  const { state } = ctx;
  state.left = false;
  const unique = [...new Set(contacts)].filter((contact) => contact !== state.self);
  for (const contact of unique) {
    send(ctx, contact, { type: 'Join' });
    addPassive(ctx, contact);
  }
  if (!state.shuffleTimerArmed) {
    state.shuffleTimerArmed = true;
    ctx.out.push({ kind: 'timer', delayMs: state.config.shuffleIntervalMs, timer: { type: 'Shuffle' } });
  }
}

function quit(ctx: Ctx): void {
  const { state } = ctx;
  for (const peer of state.active.slice()) {
    send(ctx, peer, { type: 'Disconnect', alive: false });
    removeActive(ctx, peer, 'quit');
    ctx.out.push({ kind: 'disconnect', peer });
  }
  // A peer we asked to be its neighbour may have taken us already: its reply is on its way. It
  // is told too, or it keeps a neighbour that is gone until the connection idles out.
  for (const peer of state.pendingNeighbor.keys()) {
    send(ctx, peer, { type: 'Disconnect', alive: false });
    ctx.out.push({ kind: 'disconnect', peer });
  }
  state.pendingNeighbor.clear();
  state.left = true;
}

// ---- paper §4.2: join ----

function onJoin(ctx: Ctx, joiner: NodeId): void {
  const { state } = ctx;
  // A joiner (maybe restarted) has forgotten any request we sent it before.
  state.pendingNeighbor.delete(joiner);
  addActive(ctx, joiner, 'high');
  for (const peer of state.active) {
    if (peer !== joiner) send(ctx, peer, { type: 'ForwardJoin', peer: joiner, ttl: state.config.activeRandomWalkLength });
  }
}

function onForwardJoin(ctx: Ctx, from: NodeId, joiner: NodeId, ttl: number): void {
  const { state } = ctx;
  if (joiner === state.self) return;
  if (state.active.includes(joiner)) {
    // Renew: the joiner may have restarted and forgotten us; Neighbor{high} is idempotent.
    send(ctx, joiner, { type: 'Neighbor', priority: 'high' });
    return;
  }
  if (ttl <= 0 || state.active.length <= 1) {
    addActive(ctx, joiner, 'high');
    return;
  }
  if (ttl === state.config.passiveRandomWalkLength) addPassive(ctx, joiner);
  const next = pickFromView(ctx.rng, state.active, [from, joiner]);
  if (next === null) addActive(ctx, joiner, 'high');
  else send(ctx, next, { type: 'ForwardJoin', peer: joiner, ttl: ttl - 1 });
}

// ---- paper §4.3: active view management ----

function onNeighbor(ctx: Ctx, from: NodeId, priority: Priority): void {
  const { state } = ctx;
  if (state.active.includes(from)) {
    send(ctx, from, { type: 'NeighborReply', accepted: true });
  } else if (priority === 'high' || state.active.length < state.config.activeViewCapacity) {
    addActive(ctx, from, null);
    send(ctx, from, { type: 'NeighborReply', accepted: true });
  } else {
    offerPeers(ctx, from);
    send(ctx, from, { type: 'NeighborReply', accepted: false });
    addPassive(ctx, from);
    if (!state.pendingNeighbor.has(from)) releasePeer(ctx, from);
  }
}

function onNeighborReply(ctx: Ctx, from: NodeId, accepted: boolean): void {
  const { state } = ctx;
  const wasPending = state.pendingNeighbor.delete(from);
  if (state.active.includes(from)) return;
  if (accepted) {
    // An accept of a Neighbor we sent before evicting the peer arrived after our Disconnect
    // did: the peer has let us go, and taking it in would leave a one-sided link until
    // broadcast traffic repaired it (topic.ts). §4.3 does not say what a reply that crosses our
    // Disconnect means; seen once in the default run of seed 1 and 160 times in
    // protocol-1k before this check.
    if (!wasPending && isWithdrawn(state, from)) return;
    // The peer holds us in its active view now; join it, or tell it we have no room.
    if (state.active.length < state.config.activeViewCapacity) {
      addActive(ctx, from, null);
    } else {
      send(ctx, from, { type: 'Disconnect', alive: true });
      addPassive(ctx, from);
      releasePeer(ctx, from);
    }
    return;
  }
  if (!wasPending) return; // refusal of a request that already timed out
  addPassive(ctx, from);
  releasePeer(ctx, from);
  refillActive(ctx, false, introducedBy(state, from));
}

function onNeighborTimeout(ctx: Ctx): void {
  const { state } = ctx;
  neighborTimerFired(state);
  const expired: NodeId[] = [];
  for (const [peer, dueMs] of state.pendingNeighbor) {
    if (dueMs > state.lastNowMs) break; // deadline order: the rest are later
    expired.push(peer);
  }
  for (const peer of expired) {
    state.pendingNeighbor.delete(peer);
    // Departure from §4.3 (as in iroh-gossip), which drops a candidate only when its connection
    // fails: one that has not answered within the Neighbor timeout is dropped as likely dead. A
    // late accept is still honoured (onNeighborReply). Over a slow link (slow_link adds up to
    // 500 ms each way) a live candidate can be dropped this way.
    removePassive(state, peer);
    ctx.out.push({ kind: 'disconnect', peer });
  }
  if (expired.length > 0) refillActive(ctx, false);
}

/** The armed NeighborTimeout fired (one cancelled and still run late, by a wedged node, is earlier than the armed one's time and changes nothing). */
function neighborTimerFired(state: HyParViewState): void {
  if (state.neighborTimerDueMs !== null && state.neighborTimerDueMs <= state.lastNowMs) state.neighborTimerDueMs = null;
}

function onDisconnect(ctx: Ctx, from: NodeId, alive: boolean): void {
  const { state } = ctx;
  const wasActive = state.active.includes(from);
  if (wasActive) {
    removeActive(ctx, from, 'disconnect');
    ctx.out.push({ kind: 'disconnect', peer: from });
  }
  if (alive) {
    addPassive(ctx, from);
    // The sender closes the connection next; that close must not drop it from the passive view.
    if (state.passive.includes(from)) state.releasedPeers.add(from);
  } else {
    removePassive(state, from);
  }
  if (wasActive) refillActive(ctx, true, introducedBy(state, from));
}

function onPeerDown(ctx: Ctx, peer: NodeId): void {
  const { state } = ctx;
  const wasActive = state.active.includes(peer);
  if (wasActive) removeActive(ctx, peer, 'peer-down');
  const wasPending = state.pendingNeighbor.delete(peer);
  if (!wasActive && state.releasedPeers.has(peer)) {
    state.releasedPeers.delete(peer); // the close we asked for (or were told about)
  } else {
    removePassive(state, peer);
  }
  if (wasActive || wasPending) refillActive(ctx, wasActive);
}

// ---- paper §4.4: passive view management ----

function onShuffleTimer(ctx: Ctx): void {
  const { state } = ctx;
  const { config } = state;
  ctx.out.push({ kind: 'timer', delayMs: config.shuffleIntervalMs, timer: { type: 'Shuffle' } });
  shuffle(ctx);
  // The periodic retry of the refill: a new round, so earlier refusers are asked again.
  refillActive(ctx, true);
}

function shuffle(ctx: Ctx): void {
  const { state, rng } = ctx;
  const { config } = state;
  const target = pickFromView(rng, state.active);
  if (target === null) return;
  const sent = [
    ...sampleView(rng, state.active, config.shuffleActiveViewCount, [target]),
    ...sampleView(rng, state.passive, config.shufflePassiveViewCount, [target]),
  ];
  state.lastShuffleSent = sent;
  send(ctx, target, { type: 'Shuffle', origin: state.self, ttl: config.shuffleRandomWalkLength, nodes: [state.self, ...sent] });
}

function onShuffle(ctx: Ctx, from: NodeId, origin: NodeId, ttl: number, nodes: readonly NodeId[]): void {
  const { state, rng } = ctx;
  if (origin === state.self) return;
  // Departure from §4.4 (as in iroh-gossip): the walk is forwarded while the TTL it arrived with
  // is above zero and decremented on the way, so a TTL of 6 visits 7 nodes; the next hop avoids
  // the origin as well as the sender.
  const next = ttl > 0 && state.active.length > 1 ? pickFromView(rng, state.active, [from, origin]) : null;
  if (next !== null) {
    send(ctx, next, { type: 'Shuffle', origin, ttl: ttl - 1, nodes });
    return;
  }
  const reply = sampleView(rng, state.passive, nodes.length, [origin]);
  send(ctx, origin, { type: 'ShuffleReply', nodes: reply });
  for (const node of nodes) addPassive(ctx, node, reply);
  if (!isNeeded(state, origin)) releasePeer(ctx, origin);
}

function onShuffleReply(ctx: Ctx, from: NodeId, nodes: readonly NodeId[]): void {
  const { state } = ctx;
  state.lastOfferFrom = from;
  state.lastOfferFirst = nodes.length > 0 ? nodes[0]! : null;
  for (const node of nodes) addPassive(ctx, node, state.lastShuffleSent);
  if (!isNeeded(state, from)) releasePeer(ctx, from);
}
