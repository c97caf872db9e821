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

/**
 * A message known only through IHave (the paper's "missing" set), awaiting Gossip or Graft, with
 * its advertisers in the order their IHaves came (each is asked once, in that order).
 *
 * How it is stored, and why: at an all-nodes burst's peak a node has hundreds to thousands of
 * these at once (1.43 M over 3,000 nodes at 88 % of a burst's deliveries), and as an object with
 * an array of `{ peer, round }` objects each took about 212 bytes with its `Map` entry, a third
 * of the heap (docs/performance.md, round 35). Most have one advertiser, so the first is kept in
 * the object's own fields and only the rest in an array of (peer, round) pairs laid flat.
 */
export class PendingGraft {
  /** The first advertiser and the round it announced; `peer0` null once every one left. */
  private peer0: NodeId | null;
  private round0: number;
  /** Advertisers after the first: peer, round, peer, round, …; null while there are none. */
  private more: (NodeId | number)[] | null = null;
  /** Index of the next advertiser to Graft. */
  nextIndex = 0;
  /** When this request is next due (its one entry in a `GraftQueue`). */
  dueMs = 0;

  constructor(
    readonly id: MessageId,
    peer: NodeId,
    round: number,
    readonly createdAtMs: number,
  ) {
    this.peer0 = peer;
    this.round0 = round;
  }

  /** Advertisers left. */
  get count(): number {
    return this.peer0 === null ? 0 : 1 + (this.more === null ? 0 : this.more.length / 2);
  }

  /** Advertiser `i` (0 ≤ i < count): peer and round. */
  peerAt(i: number): NodeId {
    return i === 0 ? this.peer0! : (this.more![2 * (i - 1)] as NodeId);
  }

  roundAt(i: number): number {
    return i === 0 ? this.round0 : (this.more![2 * i - 1] as number);
  }

  /** Position of `peer` among the advertisers, or -1. */
  indexOf(peer: NodeId): number {
    if (this.peer0 === peer) return 0;
    const more = this.more;
    if (more !== null) for (let j = 0; j < more.length; j += 2) if (more[j] === peer) return j / 2 + 1;
    return -1;
  }

  /** Adds `peer` last, unless it already advertised. */
  add(peer: NodeId, round: number): void {
    if (this.indexOf(peer) >= 0) return;
    if (this.peer0 === null) {
      this.peer0 = peer;
      this.round0 = round;
    } else {
      // `concat` makes an array of its exact length; one grown by `push` gets room for 17 or more.
      this.more = this.more === null ? [peer, round] : this.more.concat(peer, round);
    }
  }

  /** Removes advertiser `i` (0 ≤ i < count); the ones after it move up one place. */
  removeAt(i: number): void {
    const more = this.more;
    if (i === 0) {
      if (more === null) {
        this.peer0 = null;
        return;
      }
      this.peer0 = more[0] as NodeId;
      this.round0 = more[1] as number;
      i = 1;
    }
    more!.splice(2 * (i - 1), 2);
    if (more!.length === 0) this.more = null;
  }
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
  /**
   * Ids with an entry in some peer's IHave batch since the last dispatch (a superset once a full
   * batch left early): `lazyHeld` records only these. In an all-nodes burst 92 % of the ids a
   * peer showed it holds were in no batch of ours, and their sets were about 7 % of the heap
   * (docs/performance.md, round 35).
   */
  readonly lazyQueued: Set<MessageId>;
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
    lazyQueued: new Set(),
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

