/**
 * A time-bounded, capacity-bounded map for Plumtree's message cache and received-id set.
 *
 * Entries are kept in insertion order, and insertion times never go backwards, so eviction
 * only has to look at the oldest end. The map never re-inserts a key (ids are delivered once),
 * which keeps that order equal to time order. Retention times bound the table in a normal run;
 * under a load beyond its capacity the oldest entry is evicted and counted (`evicted`): a real
 * node sheds load, it does not crash.
 * It must not read clocks: the caller passes `nowMs`.
 */

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`plumtree-cache: ${message}`);
}

/** Spent slots at the front of the time list are dropped once there are this many and they are half of it. */
const COMPACT_AFTER = 1024;

export class TimeBoundMap<K, V> {
  private readonly entries = new Map<K, V>();
  /**
   * Insertion times, oldest first: `times[head + i]` belongs to the map's i-th key in insertion
   * order. Entries only ever leave from the oldest end, so the two stay aligned. A list of
   * numbers instead of a time-stamped object per entry: at 10,000 nodes those objects were one
   * long-lived allocation per node per message (docs/performance.md, round 5).
   */
  private times: number[] = [];
  private head = 0;
  private newestInsertMs = 0;
  /** Entries evicted by capacity (not by age) since creation. */
  evicted = 0;

  constructor(readonly capacityMax: number) {
    check(Number.isSafeInteger(capacityMax) && capacityMax > 0, `bad capacity ${capacityMax}`);
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  insert(key: K, value: V, nowMs: number): void {
    check(!this.entries.has(key), 'key inserted twice');
    // Tested first, messages built only on failure: this runs per received message.
    if (nowMs < this.newestInsertMs) check(false, `insert time went backwards: ${nowMs} < ${this.newestInsertMs}`);
    if (this.entries.size >= this.capacityMax) {
      this.entries.delete(this.entries.keys().next().value as K);
      this.head++;
      this.evicted++;
    }
    this.entries.set(key, value);
    this.times.push(nowMs);
    this.newestInsertMs = nowMs;
    if (this.entries.size > this.capacityMax) check(false, `table over capacity ${this.capacityMax}`);
    this.compact();
  }

  /** Removes entries whose age is at least `retentionMs`; returns the removed keys, oldest first. */
  evictOlderThan(nowMs: number, retentionMs: number): K[] {
    const removed: K[] = [];
    let at = this.head;
    for (const key of this.entries.keys()) {
      if (nowMs - this.times[at] < retentionMs) break; // the rest are younger
      removed.push(key);
      at++;
    }
    for (const key of removed) this.entries.delete(key);
    this.head = at;
    this.compact();
    return removed;
  }

  private compact(): void {
    if (this.head >= COMPACT_AFTER && 2 * this.head >= this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    if (this.times.length - this.head !== this.entries.size) check(false, 'time list out of step with the entries');
  }
}
