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

interface Stamped<V> {
  readonly value: V;
  readonly insertedAtMs: number;
}

export class TimeBoundMap<K, V> {
  private readonly entries = new Map<K, Stamped<V>>();
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
    return this.entries.get(key)?.value;
  }

  insert(key: K, value: V, nowMs: number): void {
    check(!this.entries.has(key), 'key inserted twice');
    // Tested first, messages built only on failure: this runs per received message.
    if (nowMs < this.newestInsertMs) check(false, `insert time went backwards: ${nowMs} < ${this.newestInsertMs}`);
    if (this.entries.size >= this.capacityMax) {
      this.entries.delete(this.entries.keys().next().value as K);
      this.evicted++;
    }
    this.entries.set(key, { value, insertedAtMs: nowMs });
    this.newestInsertMs = nowMs;
    if (this.entries.size > this.capacityMax) check(false, `table over capacity ${this.capacityMax}`);
  }

  /** Removes entries whose age is at least `retentionMs`; returns the removed keys, oldest first. */
  evictOlderThan(nowMs: number, retentionMs: number): K[] {
    const removed: K[] = [];
    for (const [key, stamped] of this.entries) {
      if (nowMs - stamped.insertedAtMs < retentionMs) break; // the rest are younger
      removed.push(key);
    }
    for (const key of removed) this.entries.delete(key);
    return removed;
  }
}
