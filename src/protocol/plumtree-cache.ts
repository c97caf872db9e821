/**
 * A time-bounded, capacity-bounded map for Plumtree's received ids and, in the same entries, its
 * message cache: a value (the payload that answers a Graft) is kept for less time, and for
 * fewer entries, than its key (the id that marks a message as received).
 *
 * Entries are kept in insertion order, and insertion times never go backwards, so eviction
 * only has to look at the oldest end. The map never re-inserts a key (ids are delivered once),
 * which keeps that order equal to time order. The entries holding their value are therefore
 * always the newest ones: a suffix of that order, which a second cursor marks. Retention times
 * bound the table in a normal run; under a load beyond its capacity the oldest entry (or value)
 * is evicted and counted (`evicted`, `valuesEvicted`): a real node sheds load, it does not crash.
 *
 * One map instead of two (the paper's cache and received set): every node holds every message
 * of an all-nodes burst, and a hash-table entry per node and message was most of such a run's
 * memory (docs/performance.md, round 20).
 * It must not read clocks: the caller passes `nowMs`.
 */

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`plumtree-cache: ${message}`);
}

/** Spent slots at the front of the key and time lists are dropped once there are this many and they are half of them. */
const COMPACT_AFTER = 1024;

/** Stands in the map for a value dropped while its key stays. */
const NO_VALUE: unique symbol = Symbol('plumtree-cache: value dropped');

export class TimeBoundMap<K, V> {
  private readonly entries = new Map<K, V | typeof NO_VALUE>();
  /**
   * Keys and insertion times, oldest first: `keys[head + i]`, `times[head + i]` belong to the
   * map's i-th key in insertion order. Entries only ever leave from the oldest end, so the three
   * stay aligned. Lists instead of a time-stamped object per entry: at 10,000 nodes those objects
   * were one long-lived allocation per node per message (docs/performance.md, round 5).
   */
  private keys: (K | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  /** Index in `keys` of the oldest entry still holding its value (at least `head`). */
  private valueHead = 0;
  private newestInsertMs = 0;
  /** Entries evicted by capacity (not by age) since creation. */
  evicted = 0;
  /** Values dropped by the value capacity (not by age) since creation; their keys stayed. */
  valuesEvicted = 0;

  constructor(readonly capacityMax: number, readonly valuesMax: number = capacityMax) {
    check(Number.isSafeInteger(capacityMax) && capacityMax > 0, `bad capacity ${capacityMax}`);
    check(Number.isSafeInteger(valuesMax) && valuesMax > 0 && valuesMax <= capacityMax, `bad value capacity ${valuesMax}`);
  }

  /** Keys held (with or without their value). */
  get size(): number {
    return this.entries.size;
  }

  /** Keys still holding their value. */
  get valueCount(): number {
    return this.keys.length - this.valueHead;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The key's value, or undefined when the key is not held or its value was dropped. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    return value === NO_VALUE ? undefined : value;
  }

  insert(key: K, value: V, nowMs: number): void {
    check(!this.entries.has(key), 'key inserted twice');
    // Tested first, messages built only on failure: this runs per received message.
    if (nowMs < this.newestInsertMs) check(false, `insert time went backwards: ${nowMs} < ${this.newestInsertMs}`);
    if (this.entries.size >= this.capacityMax) {
      this.entries.delete(this.keys[this.head] as K);
      this.keys[this.head] = undefined; // hold no reference to a key that left
      if (this.valueHead === this.head) this.valueHead++;
      this.head++;
      this.evicted++;
    }
    if (this.valueCount >= this.valuesMax) {
      this.entries.set(this.keys[this.valueHead] as K, NO_VALUE);
      this.valueHead++;
      this.valuesEvicted++;
    }
    this.entries.set(key, value);
    this.keys.push(key);
    this.times.push(nowMs);
    this.newestInsertMs = nowMs;
    if (this.entries.size > this.capacityMax) check(false, `table over capacity ${this.capacityMax}`);
    this.compact();
  }

  /** Removes entries whose age is at least `retentionMs`; returns the removed keys, oldest first. */
  evictOlderThan(nowMs: number, retentionMs: number): K[] {
    const removed: K[] = [];
    let at = this.head;
    for (; at < this.keys.length && nowMs - this.times[at] >= retentionMs; at++) {
      const key = this.keys[at] as K;
      removed.push(key);
      this.entries.delete(key);
      this.keys[at] = undefined;
    }
    this.head = at;
    if (this.valueHead < at) this.valueHead = at;
    this.compact();
    return removed;
  }

  /** Drops the values (not the keys) of entries whose age is at least `retentionMs`. */
  dropValuesOlderThan(nowMs: number, retentionMs: number): void {
    let at = this.valueHead;
    for (; at < this.keys.length && nowMs - this.times[at] >= retentionMs; at++) this.entries.set(this.keys[at] as K, NO_VALUE);
    this.valueHead = at;
  }

  private compact(): void {
    if (this.head >= COMPACT_AFTER && 2 * this.head >= this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.times = this.times.slice(this.head);
      this.valueHead -= this.head;
      this.head = 0;
    }
    if (this.keys.length - this.head !== this.entries.size) check(false, 'key list out of step with the entries');
    if (this.valueHead < this.head || this.valueHead > this.keys.length) check(false, 'value cursor outside the entries');
  }
}
