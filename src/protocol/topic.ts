/**
 * One gossip topic: HyParView membership feeding Plumtree broadcast (sans-IO).
 *
 * HyParView's neighborUp/neighborDown become Plumtree's eager-set changes, incoming messages are
 * routed to the machine that owns their type, and timers are tagged with their machine. Like
 * its parts it owns no clock, no IO and no randomness: the caller passes `nowMs` and an `Rng`.
 */
import { createHyParView, handleHyParView } from './hyparview.js';
import { NEIGHBOR_TIMEOUT, type HyParViewConfig, type HyParViewEffect, type HyParViewTimer, type NeighborDownCause } from './hyparview-types.js';
import type { HyParViewMessage, MessageId, NodeId, TopicId, TopicMessage } from './messages.js';
import { createPlumtree, handlePlumtree } from './plumtree.js';
import { DISPATCH_LAZY_PUSH, SEND_GRAFT, type GaveUpReason, type PlumtreeConfig, type PlumtreeEffect, type PlumtreeEvent, type PlumtreeTimer } from './plumtree-types.js';
import type { Rng } from './rng.js';

export type HyParViewState = ReturnType<typeof createHyParView>;
export type PlumtreeState = ReturnType<typeof createPlumtree>;

export interface TopicState {
  readonly topic: TopicId;
  readonly self: NodeId;
  readonly repairOneSidedLinks: boolean;
  readonly hyparview: HyParViewState;
  readonly plumtree: PlumtreeState;
}

export type TopicTimer =
  | { readonly machine: 'hyparview'; readonly timer: HyParViewTimer }
  | { readonly machine: 'plumtree'; readonly timer: PlumtreeTimer };

export type TopicEvent =
  | { readonly kind: 'join'; readonly contacts: readonly NodeId[] }
  | { readonly kind: 'message'; readonly from: NodeId; readonly message: TopicMessage }
  | { readonly kind: 'timer'; readonly timer: TopicTimer }
  /** `reason` is the connection layer's, kept for the substrate's records; the machines ignore it. */
  | { readonly kind: 'peerDown'; readonly peer: NodeId; readonly reason?: string }
  | { readonly kind: 'broadcast'; readonly content: Uint8Array }
  | { readonly kind: 'quit' };

export type TopicEffect =
  | { readonly kind: 'send'; readonly to: NodeId; readonly message: TopicMessage }
  | { readonly kind: 'neighborUp'; readonly peer: NodeId }
  | { readonly kind: 'neighborDown'; readonly peer: NodeId; readonly cause: NeighborDownCause }
  | { readonly kind: 'timer'; readonly delayMs: number; readonly timer: TopicTimer }
  /** The timer of this kind armed last is moot: the host may drop it (Plumtree's SendGraft, HyParView's NeighborTimeout). */
  | { readonly kind: 'cancelTimer'; readonly timer: TopicTimer }
  | { readonly kind: 'disconnect'; readonly peer: NodeId }
  | { readonly kind: 'deliver'; readonly id: MessageId; readonly content: Uint8Array; readonly from: NodeId | null; readonly round: number }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'gaveUp'; readonly id: MessageId; readonly reason: GaveUpReason };

export interface TopicConfig {
  readonly hyparview?: Partial<HyParViewConfig>;
  readonly plumtree?: Partial<PlumtreeConfig>;
  /**
   * Answer Plumtree traffic from a peer outside the active view with Disconnect, so a link
   * only one side still holds is dropped (default true; off only in test doubles).
   */
  readonly repairOneSidedLinks?: boolean;
}

const HYPARVIEW_TYPES: ReadonlySet<string> = new Set([
  'Join',
  'ForwardJoin',
  'Neighbor',
  'NeighborReply',
  'Disconnect',
  'Shuffle',
  'ShuffleReply',
]);

export function isHyParViewMessage(message: TopicMessage): message is HyParViewMessage {
  return HYPARVIEW_TYPES.has(message.type);
}

export function createTopic(topic: TopicId, self: NodeId, config: TopicConfig = {}): TopicState {
  return {
    topic,
    self,
    repairOneSidedLinks: config.repairOneSidedLinks ?? true,
    hyparview: createHyParView(self, config.hyparview),
    plumtree: createPlumtree(self, config.plumtree),
  };
}

/** Handle one event; mutates `state` and returns the effects in order. */
export function handleTopic(state: TopicState, event: TopicEvent, nowMs: number, rng: Rng): TopicEffect[] {
  const out: TopicEffect[] = [];
  switch (event.kind) {
    case 'join':
    case 'peerDown':
    case 'quit':
      runHyParView(state, event, nowMs, rng, out);
      break;
    case 'broadcast':
      runPlumtree(state, event, nowMs, rng, out);
      break;
    case 'message':
      if (isHyParViewMessage(event.message)) {
        runHyParView(state, { kind: 'message', from: event.from, message: event.message }, nowMs, rng, out);
      } else {
        // Plumtree traffic only flows between active neighbours. A sender that still counts us
        // as its neighbour while we do not (its side missed our loss of it) is told so, which
        // restores symmetric active views instead of leaving a one-sided link forever.
        // (The view is read in place: `activeView` copies it, and this runs per message.)
        if (state.repairOneSidedLinks && !state.hyparview.active.includes(event.from)) {
          out.push({ kind: 'send', to: event.from, message: { type: 'Disconnect', alive: true } });
        }
        // The event already has the shape of a Plumtree message event (checked above).
        runPlumtree(state, event as Extract<PlumtreeEvent, { kind: 'message' }>, nowMs, rng, out);
      }
      break;
    case 'timer':
      if (event.timer.machine === 'hyparview') runHyParView(state, { kind: 'timer', timer: event.timer.timer }, nowMs, rng, out);
      else runPlumtree(state, { kind: 'timer', timer: event.timer.timer }, nowMs, rng, out);
      break;
  }
  return out;
}

function runHyParView(
  state: TopicState,
  event: Parameters<typeof handleHyParView>[1],
  nowMs: number,
  rng: Rng,
  out: TopicEffect[],
): void {
  for (const effect of handleHyParView(state.hyparview, event, nowMs, rng)) {
    out.push(mapHyParViewEffect(effect));
    // Membership changes drive Plumtree's peer sets.
    if (effect.kind === 'neighborUp' || effect.kind === 'neighborDown') {
      runPlumtree(state, { kind: effect.kind, peer: effect.peer }, nowMs, rng, out);
    }
  }
}

function runPlumtree(
  state: TopicState,
  event: Parameters<typeof handlePlumtree>[1],
  nowMs: number,
  rng: Rng,
  out: TopicEffect[],
): void {
  for (const effect of handlePlumtree(state.plumtree, event, nowMs, rng)) out.push(mapPlumtreeEffect(effect));
}

function mapHyParViewEffect(effect: HyParViewEffect): TopicEffect {
  if (effect.kind === 'timer') return { kind: 'timer', delayMs: effect.delayMs, timer: hyParViewTimer(effect.timer) };
  if (effect.kind === 'cancelTimer') return { kind: 'cancelTimer', timer: hyParViewTimer(effect.timer) };
  return effect;
}

/** The topic's tag of HyParView's NeighborTimeout: shared like the timer itself. */
const NEIGHBOR_TIMEOUT_TIMER: TopicTimer = Object.freeze({ machine: 'hyparview', timer: NEIGHBOR_TIMEOUT });

function hyParViewTimer(timer: HyParViewTimer): TopicTimer {
  return timer === NEIGHBOR_TIMEOUT ? NEIGHBOR_TIMEOUT_TIMER : { machine: 'hyparview', timer };
}

/** The topic's tags of Plumtree's lazy-push and graft timers: shared like the timers themselves. */
const DISPATCH_LAZY_PUSH_TIMER: TopicTimer = Object.freeze({ machine: 'plumtree', timer: DISPATCH_LAZY_PUSH });
const SEND_GRAFT_TIMER: TopicTimer = Object.freeze({ machine: 'plumtree', timer: SEND_GRAFT });

function mapPlumtreeEffect(effect: PlumtreeEffect): TopicEffect {
  if (effect.kind === 'timer') {
    const timer: TopicTimer = effect.timer === DISPATCH_LAZY_PUSH ? DISPATCH_LAZY_PUSH_TIMER : effect.timer === SEND_GRAFT ? SEND_GRAFT_TIMER : { machine: 'plumtree', timer: effect.timer };
    return { kind: 'timer', delayMs: effect.delayMs, timer };
  }
  if (effect.kind === 'cancelTimer') return { kind: 'cancelTimer', timer: effect.timer === SEND_GRAFT ? SEND_GRAFT_TIMER : { machine: 'plumtree', timer: effect.timer } };
  return effect;
}
