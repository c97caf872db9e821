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
 * One table instead of two (the paper's cache and received set): every node holds every message
 * of an all-nodes burst, and a hash-table entry per node and message was most of such a run's
 * memory (docs/performance.md, rounds 20 and 22). The mesh node's own delivery record is the
 * same table without values.
 * It must not read clocks: the caller passes `nowMs`.
 */

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`plumtree-cache: ${message}`);
}

/** Stands in for "no key" in the index: ring positions are stored plus one. */
const EMPTY = 0;
/** The smallest ring; a table never shrinks below it. */
const RING_MIN = 16;

/**
 * A number from a key for the index: for strings, the length and up to the first and last 8
 * characters (a message id is 64 hex characters of SHA-256; counters differ at the end), for
 * numbers their integer bits; then a 32-bit finaliser. Two keys with the same hash are told
 * apart by comparing the keys themselves, so the hash only decides speed, never an answer.
 */
function hashOf(key: string | number): number {
  let h: number;
  if (typeof key === 'number') {
    h = (key | 0) ^ Math.floor(key / 4_294_967_296);
  } else {
    const n = key.length;
    h = 0x811c9dc5 ^ n;
    const head = n < 8 ? n : 8;
    for (let i = 0; i < head; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    for (let i = n - 8 > head ? n - 8 : head; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Keys and ring positions handed out by `evictOlderThan` when nothing left (no array per call). */
const NONE: readonly never[] = Object.freeze([]);

/**
 * Keys are strings or finite numbers (compared with `===`). `valuesMax` 0 makes a table of keys
 * and times only (the node's delivery record).
 *
 * Layout: the entries live in a ring in insertion order, as three parallel lists (keys, times,
 * values) indexed by an entry's sequence number modulo the ring's size; an open-addressing index
 * (linear probing, at most half full, backward-shift deletion) maps a key's hash to its ring
 * position. Per entry that is about 32 bytes in lists the collector does not have to trace
 * (times, index) or traces once per list, where a `Map` beside key and time lists took about 69
 * (docs/performance.md, round 22): at an all-nodes burst every node holds every message.
 */
export class TimeBoundMap<K extends string | number, V> {
  /** Ring lists, `ring` long (a power of two); entry `seq` is at `seq & (ring - 1)`. */
  private keys: (K | undefined)[];
  private times: Float64Array;
  private values: (V | undefined)[] | null;
  /** Index: ring position + 1 of the key hashed there, or EMPTY; twice the ring's length. */
  private slots: Int32Array;
  /** Sequence number of the oldest entry; the newest is `head + count - 1`. */
  private head = 0;
  private count = 0;
  /** Sequence number of the oldest entry still holding its value (from `head` to `head + count`). */
  private valueHead = 0;
  private newestInsertMs = 0;
  /** Entries evicted by capacity (not by age) since creation. */
  evicted = 0;
  /** Values dropped by the value capacity (not by age) since creation; their keys stayed. */
  valuesEvicted = 0;

  constructor(readonly capacityMax: number, readonly valuesMax: number = capacityMax) {
    check(Number.isSafeInteger(capacityMax) && capacityMax > 0, `bad capacity ${capacityMax}`);
    check(Number.isSafeInteger(valuesMax) && valuesMax >= 0 && valuesMax <= capacityMax, `bad value capacity ${valuesMax}`);
    this.keys = new Array<K | undefined>(RING_MIN).fill(undefined);
    this.times = new Float64Array(RING_MIN);
    this.values = valuesMax === 0 ? null : new Array<V | undefined>(RING_MIN).fill(undefined);
    this.slots = new Int32Array(2 * RING_MIN);
  }

  /** Keys held (with or without their value). */
  get size(): number {
    return this.count;
  }

  /** Keys still holding their value. */
  get valueCount(): number {
    return this.values === null ? 0 : this.head + this.count - this.valueHead;
  }

  has(key: K): boolean {
    return this.slotOf(key) >= 0;
  }

  /** The key's value, or undefined when the key is not held or its value was dropped. */
  get(key: K): V | undefined {
    const values = this.values;
    if (values === null) return undefined;
    const slot = this.slotOf(key);
    return slot < 0 ? undefined : values[this.slots[slot] - 1];
  }

  /** When the key was inserted (ms), or undefined when it is not held. */
  insertedAtMs(key: K): number | undefined {
    const slot = this.slotOf(key);
    return slot < 0 ? undefined : this.times[this.slots[slot] - 1];
  }

  /** The keys held, oldest first (a copy). */
  keysOldestFirst(): K[] {
    const out: K[] = [];
    const mask = this.keys.length - 1;
    for (let i = 0; i < this.count; i++) out.push(this.keys[(this.head + i) & mask] as K);
    return out;
  }

  insert(key: K, value: V, nowMs: number): void {
    check(this.slotOf(key) < 0, 'key inserted twice');
    // Tested first, messages built only on failure: this runs per received message.
    if (nowMs < this.newestInsertMs) check(false, `insert time went backwards: ${nowMs} < ${this.newestInsertMs}`);
    if (this.count >= this.capacityMax) {
      this.removeOldest();
      this.evicted++;
    }
    if (this.values !== null && this.valueCount >= this.valuesMax) {
      this.values[this.valueHead & (this.values.length - 1)] = undefined;
      this.valueHead++;
      this.valuesEvicted++;
    }
    if (this.count === this.keys.length) this.resize(2 * this.keys.length);
    // Read the lists after a resize: it replaces them.
    const at = (this.head + this.count) & (this.keys.length - 1);
    this.keys[at] = key;
    this.times[at] = nowMs;
    if (this.values !== null) this.values[at] = value;
    this.count++;
    this.link(key, at);
    this.newestInsertMs = nowMs;
    if (this.count > this.capacityMax) check(false, `table over capacity ${this.capacityMax}`);
  }

  /** Removes entries whose age is at least `retentionMs`; returns the removed keys, oldest first. */
  evictOlderThan(nowMs: number, retentionMs: number): readonly K[] {
    let removed: K[] | null = null;
    const mask = this.keys.length - 1;
    while (this.count > 0 && nowMs - this.times[this.head & mask] >= retentionMs) {
      (removed ??= []).push(this.keys[this.head & mask] as K);
      this.removeOldest();
    }
    // Give the memory back once the table is a quarter full (an all-nodes burst passed).
    if (removed !== null && this.keys.length > RING_MIN && 4 * this.count <= this.keys.length) this.resize(this.keys.length / 2);
    return removed ?? NONE;
  }

  /** Drops the values (not the keys) of entries whose age is at least `retentionMs`. */
  dropValuesOlderThan(nowMs: number, retentionMs: number): void {
    const values = this.values;
    if (values === null) return;
    const mask = values.length - 1;
    const end = this.head + this.count;
    while (this.valueHead < end && nowMs - this.times[this.valueHead & mask] >= retentionMs) {
      values[this.valueHead & mask] = undefined;
      this.valueHead++;
    }
  }

  /** Index slot holding `key`, or -1. */
  private slotOf(key: K): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const keys = this.keys;
    for (let i = hashOf(key) & mask; ; i = (i + 1) & mask) {
      const entry = slots[i];
      if (entry === EMPTY) return -1;
      if (keys[entry - 1] === key) return i;
    }
  }

  private link(key: K, at: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = hashOf(key) & mask;
    while (slots[i] !== EMPTY) i = (i + 1) & mask;
    slots[i] = at + 1;
  }

  private removeOldest(): void {
    const mask = this.keys.length - 1;
    const at = this.head & mask;
    const slot = this.slotOf(this.keys[at] as K);
    if (slot < 0) check(false, 'ring and index out of step');
    this.unlink(slot);
    this.keys[at] = undefined; // hold no reference to a key that left
    if (this.values !== null) this.values[at] = undefined;
    if (this.valueHead === this.head) this.valueHead++;
    this.head++;
    this.count--;
  }

  /** Empties index slot `i`, moving later entries of its probe run back (no tombstones). */
  private unlink(i: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let j = (i + 1) & mask; slots[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hashOf(this.keys[slots[j] - 1] as K) & mask;
      // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      slots[i] = slots[j];
      i = j;
    }
    slots[i] = EMPTY;
  }

  /** Moves the entries into a ring of `ring` positions (oldest at 0) and rebuilds the index. */
  private resize(ring: number): void {
    const oldMask = this.keys.length - 1;
    const keys = new Array<K | undefined>(ring).fill(undefined);
    const times = new Float64Array(ring);
    const values = this.values === null ? null : new Array<V | undefined>(ring).fill(undefined);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & oldMask;
      keys[i] = this.keys[from];
      times[i] = this.times[from];
      if (values !== null) values[i] = this.values![from];
    }
    this.valueHead -= this.head;
    this.head = 0;
    this.keys = keys;
    this.times = times;
    this.values = values;
    this.slots = new Int32Array(2 * ring);
    for (let i = 0; i < this.count; i++) this.link(keys[i] as K, i);
  }
}
