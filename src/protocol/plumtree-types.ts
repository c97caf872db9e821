/**
 * The interface of the Plumtree state machine (sans-IO): configuration, events in, effects out.
 * The implementation lives in `plumtree.ts`; this file only fixes the contract.
 */
import type { MessageId, NodeId, PlumtreeMessage } from './messages.js';

export interface PlumtreeConfig {
  /** Wait after the first IHave for a message before sending Graft (paper: timer), ms. Default 80. */
  readonly graftTimeout1Ms: number;
  /** Wait after a Graft before trying the next IHave advertiser, ms. Default 40. */
  readonly graftTimeout2Ms: number;
  /** IHave batching window, ms. Default 5. */
  readonly dispatchTimeoutMs: number;
  /** Round difference that triggers tree optimization (paper §3.8). Default 7. */
  readonly optimizationThreshold: number;
  /** How long delivered payloads stay in the cache to answer Grafts, ms. Default 30 000. */
  readonly messageCacheRetentionMs: number;
  /** How long received ids are remembered to detect duplicates, ms. Default 90 000. */
  readonly messageIdRetentionMs: number;
  /** Least time between two passes that drop expired entries (run at the start of an event), ms. Default 1 000. */
  readonly cacheEvictIntervalMs: number;
  /** Largest broadcast payload accepted, bytes. Default 4096. */
  readonly maxMessageSizeBytes: number;
  /**
   * A duplicate from a peer this node pruned less than this long ago, and kept lazy since, sends
   * no new Prune (the first is on its way), ms; 0 prunes on every duplicate as the paper does.
   * Default 1 000.
   */
  readonly pruneRepeatMs: number;
}

export const PLUMTREE_DEFAULTS: PlumtreeConfig = {
  graftTimeout1Ms: 80,
  graftTimeout2Ms: 40,
  dispatchTimeoutMs: 5,
  optimizationThreshold: 7,
  messageCacheRetentionMs: 30_000,
  messageIdRetentionMs: 90_000,
  cacheEvictIntervalMs: 1_000,
  maxMessageSizeBytes: 4096,
  pruneRepeatMs: 1_000,
};

/**
 * `SendGraft`: the node's one graft timer, armed for the earliest due request of the "missing"
 * set; it acts on every request due when it fires (see `plumtree.ts`). `DispatchLazyPush`: the
 * IHave batches leave.
 */
export type PlumtreeTimer =
  | { readonly type: 'SendGraft' }
  | { readonly type: 'DispatchLazyPush' };

/**
 * The lazy-push dispatch timer carries nothing, so every arming shares this one frozen object
 * (a node arms it for most messages it receives, and it lives until it fires, 5 ms on).
 */
export const DISPATCH_LAZY_PUSH: PlumtreeTimer = Object.freeze({ type: 'DispatchLazyPush' });
/** The graft timer carries nothing either: one frozen object for every arming. */
export const SEND_GRAFT: PlumtreeTimer = Object.freeze({ type: 'SendGraft' });

export type PlumtreeEvent =
  | { readonly kind: 'neighborUp'; readonly peer: NodeId }
  | { readonly kind: 'neighborDown'; readonly peer: NodeId }
  /** Command: broadcast a payload from this node. */
  | { readonly kind: 'broadcast'; readonly content: Uint8Array }
  | { readonly kind: 'message'; readonly from: NodeId; readonly message: PlumtreeMessage }
  | { readonly kind: 'timer'; readonly timer: PlumtreeTimer };

export type PlumtreeEffect =
  | { readonly kind: 'send'; readonly to: NodeId; readonly message: PlumtreeMessage }
  /** Deliver to the application, exactly once per message id. `from` is null for own broadcasts. */
  | { readonly kind: 'deliver'; readonly id: MessageId; readonly content: Uint8Array; readonly from: NodeId | null; readonly round: number }
  | { readonly kind: 'timer'; readonly delayMs: number; readonly timer: PlumtreeTimer }
  /**
   * The timer of this kind armed last is moot (only the SendGraft timer is cancelled, and a node
   * has at most one armed): the host may drop it. A host that lets it fire loses nothing.
   */
  | { readonly kind: 'cancelTimer'; readonly timer: PlumtreeTimer }
  /** A broadcast command was refused (e.g. over the size limit): a value, not an exception. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** A message known only by IHave is given up: every advertiser was asked, or every one went down. */
  | { readonly kind: 'gaveUp'; readonly id: MessageId; readonly reason: GaveUpReason };

/** `advertisers-exhausted`: each advertiser got a Graft and none answered; `advertisers-down`: the last one left. */
export type GaveUpReason = 'advertisers-exhausted' | 'advertisers-down';
