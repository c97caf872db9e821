/**
 * The digest table of one node: the latest digest of every node it has heard of, stamped with
 * the LOCAL monotonic time it arrived. The staleness pruner drops entries not heard from for
 * the TTL, judged on that local receive time — never on the sender's wall clock, which a
 * skewed clock could make look ancient or from the future. A copy no newer than the one held
 * is not hearing from the node (`record`).
 */
import { assert } from '../sim/assert.js';
import type { Digest } from './payload.js';

export interface DigestEntry {
  readonly digest: Digest;
  /** Local monotonic time the digest arrived, ms. */
  readonly receivedAtMs: number;
}

export interface PruneClock {
  /** Local monotonic time, ms. */
  readonly nowMs: number;
  /** Local wall time, ms (used only by the deliberately broken variant). */
  readonly wallMs: number;
}

export class DigestTable {
  /** Least recently heard first (a record moves its node to the end). */
  private readonly entries = new Map<string, DigestEntry>();
  /** Entries dropped to make room for a new node while the table was full (a node sheds, never crashes). */
  evicted = 0;

  constructor(
    private readonly self: string,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(nodeId: string): boolean {
    return this.entries.has(nodeId);
  }

  get(nodeId: string): DigestEntry | undefined {
    return this.entries.get(nodeId);
  }

  /** Sorted node ids. */
  nodeIds(): string[] {
    return [...this.entries.keys()].sort();
  }

  /**
   * Record a digest; returns true when the node was not known before (learned or re-learned).
   * A copy no newer than the one held (its `seq` and its wall time both not above the held
   * digest's) is not news of the node: a relay that held it through a partition, or a topic it
   * travelled slowly on, hands over what the node said before, and taking it would reset the
   * entry's receive time and keep a dead node's entry alive for another TTL. Both fields, not
   * `seq` alone: a restarted node counts `seq` from 0 again, but its wall clock has gone on
   * (one whose clock was also set back below its last digest's is taken again once that entry
   * is pruned, within a TTL and a pruner period).
   */
  record(digest: Digest, receivedAtMs: number): boolean {
    const known = this.entries.get(digest.nodeId);
    if (known !== undefined && digest.seq <= known.digest.seq && digest.wallTimeMs <= known.digest.wallTimeMs) return false;
    if (known !== undefined) this.entries.delete(digest.nodeId);
    else if (this.entries.size >= this.capacity) this.evictLeastRecentlyHeard();
    this.entries.set(digest.nodeId, { digest, receivedAtMs });
    assert(this.entries.size <= this.capacity, 'digest table over capacity');
    return known === undefined;
  }

  private evictLeastRecentlyHeard(): void {
    for (const nodeId of this.entries.keys()) {
      if (nodeId === this.self) continue;
      this.entries.delete(nodeId);
      this.evicted++;
      return;
    }
  }

  /**
   * Drop entries older than `ttlMs`. The self-record is never pruned. With `bySenderWallClock`
   * (a known bug kept for test doubles) age is own wall time minus the sender's wall time.
   */
  prune(clock: PruneClock, ttlMs: number, bySenderWallClock: boolean): string[] {
    const removed: string[] = [];
    for (const [nodeId, entry] of this.entries) {
      if (nodeId === this.self) continue;
      const ageMs = bySenderWallClock ? clock.wallMs - entry.digest.wallTimeMs : clock.nowMs - entry.receivedAtMs;
      if (ageMs > ttlMs) removed.push(nodeId);
    }
    removed.sort();
    for (const nodeId of removed) this.entries.delete(nodeId);
    return removed;
  }
}
