/**
 * The state of one Plumtree machine (see `plumtree.ts`): eager/lazy push peers, the message
 * cache, received ids, the paper's "missing" set of IHave announcements and the IHave batch
 * queue, plus table limits, the constructor, read-only accessors and set moves.
 * It must not send, arm timers or read clocks: handlers in `plumtree.ts` do the protocol.
 */
import type { Gossip, MessageId, NodeId } from './messages.js';
import { TimeBoundMap } from './plumtree-cache.js';
import { PLUMTREE_DEFAULTS, type PlumtreeConfig } from './plumtree-types.js';

/**
 * Table limits. Retention times bound the tables in a normal run; under more load than these
 * allow, the oldest entry is evicted and counted (`evictedPendingGrafts`, the maps' `evicted`).
 * A peer's IHave batch never grows past what one frame holds (IHAVE_ENTRIES_MAX): a full
 * batch leaves at once.
 */
export const PLUMTREE_LIMITS = {
  cacheEntriesMax: 16_384,
  receivedIdsMax: 65_536,
  pendingGraftsMax: 16_384,
} as const;

export interface Advertisement {
  readonly peer: NodeId;
  readonly round: number;
}

/** A message known only through IHave (the paper's "missing" set), awaiting Gossip or Graft. */
export interface PendingGraft {
  readonly id: MessageId;
  /**
   * Replaced, never changed in place: an array grown by `push` gets room for 17, and a request
   * has one or two advertisers; at the peak of a 2,000-node burst 283,000 such arrays were 43 MB
   * of 591 (docs/performance.md, round 26). `concat` and `slice` make arrays of their length.
   */
  advertisers: readonly Advertisement[];
  /** Index of the next advertiser to Graft. */
  nextIndex: number;
  /** When this request is next due (its one entry in a `GraftQueue`). */
  dueMs: number;
  readonly createdAtMs: number;
}

/**
 * Pending grafts in the order they fall due, for one timeout: every request is pushed due
 * `timeoutMs` after the time of its push, and those times never go backwards, so the queue is a
 * FIFO and the oldest entry is the next due. A request is in at most one queue at a time (it is
 * pushed again only once its entry was taken out); it is stale once it left the missing set
 * (delivered, shed, given up) and is then skipped. Stale entries leave by their due time.
 */
export class GraftQueue {
  private requests: (PendingGraft | undefined)[] = [];
  private head = 0;

  push(request: PendingGraft): void {
    this.requests.push(request);
  }

  /** The oldest entry, or undefined when empty. */
  peek(): PendingGraft | undefined {
    return this.requests[this.head];
  }

  /** Takes the oldest entry out; the caller has seen `peek()` return one. */
  shift(): PendingGraft {
    const request = this.requests[this.head] as PendingGraft;
    this.requests[this.head++] = undefined; // hold no request that left
    if (this.head === this.requests.length) {
      this.requests.length = this.head = 0;
    } else if (this.head >= 1024 && 2 * this.head >= this.requests.length) {
      this.requests = this.requests.slice(this.head);
      this.head = 0;
    }
    return request;
  }
}

export interface PlumtreeState {
  readonly self: NodeId;
  readonly config: PlumtreeConfig;
  readonly eagerPushPeers: Set<NodeId>;
  readonly lazyPushPeers: Set<NodeId>;
  /**
   * When this node last sent a Prune to a peer that has stayed lazy since: only lazy peers are
   * keys (a move to eager or the peer going down removes it). See `pruneRepeatMs`.
   */
  readonly prunedAtMs: Map<NodeId, number>;
  /**
   * Received ids (kept `messageIdRetentionMs`) and, as their values, the message cache: payloads
   * to answer Grafts, stored with the round to forward them at (kept `messageCacheRetentionMs`,
   * at most `cacheEntriesMax`). The paper's two tables in one map: the cache is always the newest
   * part of the received set. A Gossip carries its id, so the table keeps no separate key while
   * it holds the Gossip (`idOfGossip`).
   */
  readonly received: TimeBoundMap<MessageId, Gossip>;
  readonly missing: Map<MessageId, PendingGraft>;
  /**
   * The missing set's requests by due time: first Grafts (`graftTimeout1Ms` after the first
   * IHave) and next ones (`graftTimeout2Ms` after a Graft). One timer per node serves both
   * (paper: a timer per message; see `plumtree.ts`).
   */
  readonly firstGrafts: GraftQueue;
  readonly nextGrafts: GraftQueue;
  /** When the node's armed SendGraft timer is due, or null when none is armed. */
  graftTimerDueMs: number | null;
  readonly lazyQueue: Map<NodeId, { id: MessageId; round: number }[]>;
  /**
   * Ids a peer with a queued IHave batch showed it holds (its IHave or Gossip for them arrived
   * after ours was queued): dropped from the batch when it leaves. Lives as long as the batch.
   */
  readonly lazyHeld: Map<NodeId, Set<MessageId>>;
  dispatchArmed: boolean;
  /** Entries of `missing` evicted by capacity (oldest first). */
  evictedPendingGrafts: number;
  /** IHave batches sent early because they filled a frame. */
  fullIHaveBatches: number;
  /** From when the next event drops expired entries first, ms; null until the first event. */
  evictDueMs: number | null;
  lastNowMs: number;
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`plumtree: ${message}`);
}

/** Config fields where 0 is meaningful (the paper's behaviour); every other field must be positive. */
const ZERO_ALLOWED: ReadonlySet<string> = new Set<keyof PlumtreeConfig>(['pruneRepeatMs']);

function checkConfig(c: PlumtreeConfig): void {
  for (const [name, value] of Object.entries(c).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (ZERO_ALLOWED.has(name)) check(Number.isSafeInteger(value) && value >= 0, `config ${name} must be a non-negative integer, got ${value}`);
    else check(Number.isSafeInteger(value) && value > 0, `config ${name} must be a positive integer, got ${value}`);
  }
  check(c.messageCacheRetentionMs <= c.messageIdRetentionMs, 'cache retention must not exceed id retention');
}

/** The key a cached Gossip is stored under; one function for every node's table. */
const idOfGossip = (gossip: Gossip): MessageId => gossip.id;

export function createPlumtree(self: NodeId, config: Partial<PlumtreeConfig> = {}): PlumtreeState {
  const full: PlumtreeConfig = { ...PLUMTREE_DEFAULTS, ...config };
  checkConfig(full);
  return {
    self,
    config: full,
    eagerPushPeers: new Set(),
    lazyPushPeers: new Set(),
    prunedAtMs: new Map(),
    received: new TimeBoundMap(PLUMTREE_LIMITS.receivedIdsMax, PLUMTREE_LIMITS.cacheEntriesMax, idOfGossip),
    missing: new Map(),
    firstGrafts: new GraftQueue(),
    nextGrafts: new GraftQueue(),
    graftTimerDueMs: null,
    lazyQueue: new Map(),
    lazyHeld: new Map(),
    dispatchArmed: false,
    evictedPendingGrafts: 0,
    fullIHaveBatches: 0,
    evictDueMs: null,
    lastNowMs: 0,
  };
}

// ---- accessors (sorted copies: stable for assertions and reports) ----
export const eagerPeers = (s: PlumtreeState): NodeId[] => [...s.eagerPushPeers].sort();
export const lazyPeers = (s: PlumtreeState): NodeId[] => [...s.lazyPushPeers].sort();
export const cacheSize = (s: PlumtreeState): number => s.received.valueCount;
export const receivedIdCount = (s: PlumtreeState): number => s.received.size;
export const pendingGraftCount = (s: PlumtreeState): number => s.missing.size;
/** Entries shed by capacity so far: message cache, received ids, pending grafts. */
export const evictionCount = (s: PlumtreeState): number => s.received.valuesEvicted + s.received.evicted + s.evictedPendingGrafts;

// ---- set moves ----
export function addEager(s: PlumtreeState, peer: NodeId): void {
  if (s.lazyPushPeers.delete(peer)) s.prunedAtMs.delete(peer); // only lazy peers are keys
  s.eagerPushPeers.add(peer);
}

export function addLazy(s: PlumtreeState, peer: NodeId): void {
  s.eagerPushPeers.delete(peer);
  s.lazyPushPeers.add(peer);
}

export function isNeighbour(s: PlumtreeState, peer: NodeId): boolean {
  return s.eagerPushPeers.has(peer) || s.lazyPushPeers.has(peer);
}

