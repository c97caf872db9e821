/**
 * The control-plane messages of one gossip topic: HyParView membership and Plumtree broadcast.
 *
 * These are plain data. The framer (`codec.ts`) turns them into frames with tags 0x01–0x0F;
 * the state machines (`hyparview.ts`, `plumtree.ts`) consume and produce them. Names follow
 * the papers: HyParView (Leitão, Pereira, Rodrigues 2007) and Plumtree ("Epidemic Broadcast
 * Trees", Leitão, Pereira, Rodrigues 2007).
 */

/** A node identity: 32 bytes written as 64 lowercase hex characters. */
export type NodeId = string;
/** A topic identity: 32 bytes (hash of the mesh id) as 64 lowercase hex characters. */
export type TopicId = string;
/** A broadcast message id: 32 bytes (hash of the content) as 64 lowercase hex characters. */
export type MessageId = string;

export type Priority = 'high' | 'low';

// ---- HyParView (paper §4) ----
/** A new node asks its contact to introduce it to the overlay. */
export interface Join { readonly type: 'Join' }
/** The contact spreads the newcomer through a random walk of `ttl` hops (ARWL, PRWL). */
export interface ForwardJoin { readonly type: 'ForwardJoin'; readonly peer: NodeId; readonly ttl: number }
/** Ask to become an active neighbour; high priority when the asker's active view is empty. */
export interface Neighbor { readonly type: 'Neighbor'; readonly priority: Priority }
/** Answer to a Neighbor request. */
export interface NeighborReply { readonly type: 'NeighborReply'; readonly accepted: boolean }
/** Leave each other's active view; `alive` keeps the sender in the receiver's passive view. */
export interface Disconnect { readonly type: 'Disconnect'; readonly alive: boolean }
/** Passive-view exchange travelling a random walk of `ttl` hops from `origin`. */
export interface Shuffle { readonly type: 'Shuffle'; readonly origin: NodeId; readonly ttl: number; readonly nodes: readonly NodeId[] }
/** The answer of the node where a Shuffle's walk ended, sent straight to the origin. */
export interface ShuffleReply { readonly type: 'ShuffleReply'; readonly nodes: readonly NodeId[] }

export type HyParViewMessage = Join | ForwardJoin | Neighbor | NeighborReply | Disconnect | Shuffle | ShuffleReply;

// ---- Plumtree (paper §3) ----
/** Eager push of a broadcast payload; `round` counts hops from the origin. */
export interface Gossip { readonly type: 'Gossip'; readonly id: MessageId; readonly round: number; readonly content: Uint8Array }
/** Lazy push: the ids (and rounds) of messages the sender has; batched. */
export interface IHave { readonly type: 'IHave'; readonly entries: readonly { readonly id: MessageId; readonly round: number }[] }
/** Move the sender into the receiver's eager set; with `id`, also ask for that message. */
export interface Graft { readonly type: 'Graft'; readonly id: MessageId | null; readonly round: number }
/** Move the sender into the receiver's lazy set (sent on a duplicate Gossip). */
export interface Prune { readonly type: 'Prune' }

export type PlumtreeMessage = Gossip | IHave | Graft | Prune;

export type TopicMessage = HyParViewMessage | PlumtreeMessage;

/** A control-plane message addressed to one topic: what one 0x01–0x0F frame carries. */
export interface TopicEnvelope { readonly topic: TopicId; readonly message: TopicMessage }

/** Frame tags of the control plane, one per message type (SPEC §4: 0x01–0x0F). */
export const MESSAGE_TAG = {
  Join: 0x01,
  ForwardJoin: 0x02,
  Neighbor: 0x03,
  NeighborReply: 0x04,
  Disconnect: 0x05,
  Shuffle: 0x06,
  ShuffleReply: 0x07,
  Gossip: 0x08,
  IHave: 0x09,
  Graft: 0x0a,
  Prune: 0x0b,
} as const satisfies Record<TopicMessage['type'], number>;
