/**
 * The interface of the HyParView state machine (sans-IO): configuration, events in, effects out.
 * The implementation lives in `hyparview.ts`; this file only fixes the contract the node
 * substrate and the tests program against.
 */
import type { HyParViewMessage, NodeId } from './messages.js';

export interface HyParViewConfig {
  /** Active view capacity (paper: log(n)+1; iroh-gossip default). Default 5. */
  readonly activeViewCapacity: number;
  /** Passive view capacity (paper: k·(log(n)+1)). Default 30. */
  readonly passiveViewCapacity: number;
  /** Active random walk length, ARWL (paper §5: 6). Default 6. */
  readonly activeRandomWalkLength: number;
  /** Passive random walk length, PRWL (paper §5: 3). Default 3. */
  readonly passiveRandomWalkLength: number;
  /** TTL of a Shuffle's random walk. Default 6. */
  readonly shuffleRandomWalkLength: number;
  /** Active-view ids sent in a Shuffle (paper: ka). Default 3. */
  readonly shuffleActiveViewCount: number;
  /** Passive-view ids sent in a Shuffle (paper: kp). Default 4. */
  readonly shufflePassiveViewCount: number;
  /** Period of the Shuffle, in ms. Default 60 000. */
  readonly shuffleIntervalMs: number;
  /** How long a Neighbor request may go unanswered before the next candidate is tried, ms. Default 500. */
  readonly neighborRequestTimeoutMs: number;
}

export const HYPARVIEW_DEFAULTS: HyParViewConfig = {
  activeViewCapacity: 5,
  passiveViewCapacity: 30,
  activeRandomWalkLength: 6,
  passiveRandomWalkLength: 3,
  shuffleRandomWalkLength: 6,
  shuffleActiveViewCount: 3,
  shufflePassiveViewCount: 4,
  shuffleIntervalMs: 60_000,
  neighborRequestTimeoutMs: 500,
};

/**
 * Why an active neighbour left the view: `evicted` (room made for a new neighbour, paper §4.3),
 * `disconnect` (the peer sent Disconnect), `quit` (this node leaves the topic), or `peer-down`
 * (the connection layer lost the peer; the substrate records the connection's own reason).
 */
export type NeighborDownCause = 'evicted' | 'disconnect' | 'quit' | 'peer-down';

/** Timers are data: an effect schedules one, and it comes back later as an event. */
export type HyParViewTimer =
  | { readonly type: 'Shuffle' }
  /**
   * Expires every Neighbor request whose deadline has come. One per node is scheduled at a
   * time, for the earliest deadline in flight; it re-arms itself for the next one, and is
   * cancelled (`cancelTimer`) once the requests it was armed for are answered.
   */
  | { readonly type: 'NeighborTimeout' };

/** The NeighborTimeout tag, shared by every arming and cancel (the host tells it by its type). */
export const NEIGHBOR_TIMEOUT: HyParViewTimer = Object.freeze({ type: 'NeighborTimeout' });

export type HyParViewEvent =
  /** Command: join the overlay through these contacts (seeds). */
  | { readonly kind: 'join'; readonly contacts: readonly NodeId[] }
  | { readonly kind: 'message'; readonly from: NodeId; readonly message: HyParViewMessage }
  | { readonly kind: 'timer'; readonly timer: HyParViewTimer }
  /** The connection layer lost the peer (connection closed, idled out, or a dial failed). */
  | { readonly kind: 'peerDown'; readonly peer: NodeId }
  /** Command: leave the topic; active neighbours get Disconnect{alive:false}. */
  | { readonly kind: 'quit' };

export type HyParViewEffect =
  | { readonly kind: 'send'; readonly to: NodeId; readonly message: HyParViewMessage }
  | { readonly kind: 'neighborUp'; readonly peer: NodeId }
  /** `cause` names the decision or event that ended the link (checked by the churn invariant). */
  | { readonly kind: 'neighborDown'; readonly peer: NodeId; readonly cause: NeighborDownCause }
  | { readonly kind: 'timer'; readonly delayMs: number; readonly timer: HyParViewTimer }
  /** The timer of this kind armed last is moot: the host may drop it (only the NeighborTimeout is cancelled). */
  | { readonly kind: 'cancelTimer'; readonly timer: HyParViewTimer }
  /** This topic no longer needs a connection to `peer` (the substrate keeps it if another topic does). */
  | { readonly kind: 'disconnect'; readonly peer: NodeId };
