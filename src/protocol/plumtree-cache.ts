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
 *
 * How it is stored, and why: at a burst's peak every node holds an entry for nearly every
 * message, and this table was the largest cost per (node, message) pair, about 54 bytes
 * (docs/performance.md, round 25: a `Map` of 32 bytes an entry beside a key list and a time
 * list of 11 each). Now:
 * - one list of slots in insertion order; a slot holds the entry's value while it has one and
 *   its key after. With `keyOf` (the key is part of the value, as a Gossip carries its id) that
 *   is all: no second pointer per entry. Without it, a value list runs beside the slots;
 * - an index of positions in that list: a `Map` while the table holds at most `MAP_INDEX_MAX`
 *   keys, then an `Int32Array` (open addressing, linear probing, kept at most three quarters
 *   full): 4 bytes a slot instead of a `Map` entry's 32. Why both: a run of a few dozen nodes
 *   keeps a few hundred ids a node, and there the engine's `Map` was the faster index (an
 *   `Int32Array` index cost the 18-node default 5-9 % more wall time over 5 virtual minutes, all
 *   of it in the first seconds: none over 60 minutes; docs/performance.md, round 27); the bytes
 *   matter only in large tables;
 * - insertion times run-length encoded, one (time, end) pair per virtual millisecond: a burst
 *   inserts about ten ids per millisecond, and times only matter at the oldest end.
 * Entries leave only from the oldest end, so an index slot whose position is before `head` is
 * simply spent (a tombstone); spent slots are reused by inserts and swept by a rebuild. The `Map`
 * index deletes a key as it leaves. A table that once outgrew the `Map` keeps the array index.
 *
 * Keys an adversary controls: the hash reads at most 8 characters of a string (of a 64-hex id,
 * which is SHA-256: 32 random bits) and is not seeded, so colliding ids can be computed. A received
 * id was verified against its content before it is inserted, but grinding ids that land in one
 * index slot still takes only about as many hashes as the index has slots. So a probe stops
 * after `PROBES_MAX` slots: an id that finds no free slot by then goes to a `Map` beside the
 * index, and a lookup that reaches the limit asks that `Map` (where the engine's own seeded
 * string hash applies). A flood of k colliding ids costs at most `PROBES_MAX` probes and one
 * `Map` lookup per call, not k. Lookups of forged IHave ids insert nothing.
 * It must not read clocks: the caller passes `nowMs`.
 */

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`plumtree-cache: ${message}`);
}

/**
 * Spent slots at the front of the lists are dropped once there are this many and they are half
 * of them: the lists then hold at most about twice the live entries. It was 1,024: a node of a
 * long run at one message a second, keeping 90 ids, held lists of up to 1,114 slots (three
 * lists, about 27 KB a node, 270 MB at 10,000 nodes) that only looked like growth
 * (docs/performance.md, round 42). A compaction rebuilds the index, O(live entries), paid for
 * by at least as many spent slots.
 */
const COMPACT_AFTER = 64;
/** Slots a probe looks at before it asks the overflow map (see the file's comment). Guess: far above a fair probe at 3/4 load. */
export const PROBES_MAX = 32;
/** Most keys the `Map` index holds; one more and the table moves to the array index (see the file's comment). */
export const MAP_INDEX_MAX = 1024;

/**
 * 32 bits of a key: FNV-1a over a string's last 8 characters (a SHA-256 id is random there; an id
 * made by padding a count, as tests do, differs there), or a number's integer bits.
 * Any other key hashes to 0 and so lives mostly in the overflow map, which compares like a `Map`.
 */
export function keyHash(key: unknown): number {
  if (typeof key === 'string') {
    let h = 0x811c9dc5;
    for (let i = key.length > 8 ? key.length - 8 : 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h;
  }
  return typeof key === 'number' ? key | 0 : 0;
}

/** Index slot of a hash for an index of 2^bits slots: Fibonacci hashing, the high bits of a product. */
export const slotOf = (hash: number, bits: number): number => Math.imul(hash, 0x9e3779b1) >>> (32 - bits);

export class TimeBoundMap<K, V> {
  /** Slot i: the value of the list's i-th entry while i >= valueHead and `keyOf` is given, else its key. */
  private slots: unknown[] = [];
  /** Without `keyOf`: values aligned with `slots`, undefined once dropped. */
  private values: (V | undefined)[] | null;
  private head = 0;
  /** Index in `slots` of the oldest entry still holding its value (at least `head`). */
  private valueHead = 0;
  /** The index while the table is small: each held key's position in `slots`; null once the array index took over. */
  private positions: Map<K, number> | null = new Map();
  /** The array index (empty while `positions` is used): position + 1 of an entry in `slots`, or 0 where no entry ever was; a position before `head` is spent. */
  private index = new Int32Array(0);
  private indexBits = 0;
  /** Index slots not 0 (live or spent). */
  private indexUsed = 0;
  /** Keys whose probe found no free slot within `PROBES_MAX`, with their positions; null while none. */
  private overflow: Map<K, number> | null = null;
  /** Runs of equal insertion time, oldest first: run r covers the slots before `runEnds[r]` and after run r - 1. */
  private runTimes: number[] = [];
  private runEnds: number[] = [];
  /** The run holding `head`, and the run holding `valueHead` (the run count when that is past the end). */
  private runHead = 0;
  private valueRun = 0;
  private newestInsertMs = 0;
  /** Entries evicted by capacity (not by age) since creation. */
  evicted = 0;
  /** Values dropped by the value capacity (not by age) since creation; their keys stayed. */
  valuesEvicted = 0;

  /**
   * `keyOf`, when given, names the key a value is stored under: the table then keeps no separate
   * key for it. `mapIndexMax` (tests) moves the table to the array index sooner (0: from the
   * first key) or later.
   */
  constructor(
    readonly capacityMax: number,
    readonly valuesMax: number = capacityMax,
    private readonly keyOf?: (value: V) => K,
    private readonly mapIndexMax: number = MAP_INDEX_MAX,
  ) {
    check(Number.isSafeInteger(capacityMax) && capacityMax > 0, `bad capacity ${capacityMax}`);
    check(Number.isSafeInteger(valuesMax) && valuesMax > 0 && valuesMax <= capacityMax, `bad value capacity ${valuesMax}`);
    check(Number.isSafeInteger(mapIndexMax) && mapIndexMax >= 0, `bad map index bound ${mapIndexMax}`);
    this.values = keyOf === undefined ? [] : null;
    if (mapIndexMax === 0) {
      this.positions = null;
      this.rebuildIndex(); // the array index from the first key
    }
  }

  /** Keys held (with or without their value). */
  get size(): number {
    return this.slots.length - this.head;
  }

  /** Which index the table uses now: `map` while small, `array` after (see the file's comment). */
  get indexKind(): 'map' | 'array' {
    return this.positions === null ? 'array' : 'map';
  }

  /** Slots the lists hold, spent ones included (at most about twice `size`; tests read it). @internal */
  get storedSlots(): number {
    return this.slots.length;
  }

  /** Keys still holding their value. */
  get valueCount(): number {
    return this.slots.length - this.valueHead;
  }

  has(key: K): boolean {
    return this.positionOf(key) >= 0;
  }

  /** The key's value, or undefined when the key is not held or its value was dropped. */
  get(key: K): V | undefined {
    const at = this.positionOf(key);
    if (at < this.valueHead) return undefined; // not held (-1), or its value dropped
    return this.values === null ? this.slots[at] as V : this.values[at];
  }

  insert(key: K, value: V, nowMs: number): void {
    check(this.positionOf(key) < 0, 'key inserted twice');
    // Keys are compared with ===: one not equal to itself (NaN) could never be found again.
    if (key !== key) check(false, 'a key not equal to itself');
    // Tested first, messages built only on failure: this runs per received message.
    if (nowMs < this.newestInsertMs) check(false, `insert time went backwards: ${nowMs} < ${this.newestInsertMs}`);
    if (this.keyOf !== undefined && this.keyOf(value) !== key) check(false, 'value stored under another key');
    if (this.size >= this.capacityMax) this.evictOldest();
    if (this.valueCount >= this.valuesMax) this.dropValue();
    const at = this.slots.length;
    if (this.values === null) this.slots.push(value);
    else {
      this.slots.push(key);
      this.values.push(value);
    }
    const runs = this.runEnds.length;
    // A new run when the value cursor stands past the last one (no value held): the new entry
    // must then be in the cursor's run.
    if (runs > this.valueRun && this.runTimes[runs - 1] === nowMs) this.runEnds[runs - 1] = at + 1;
    else {
      this.runTimes.push(nowMs);
      this.runEnds.push(at + 1);
    }
    this.newestInsertMs = nowMs;
    this.place(key, at);
    if (this.positions !== null ? this.positions.size > this.mapIndexMax : 4 * this.indexUsed > 3 * this.index.length) this.rebuildIndex();
    if (this.size > this.capacityMax) check(false, `table over capacity ${this.capacityMax}`);
    this.compact();
  }

  /** Removes entries whose age is at least `retentionMs`; returns the removed keys, oldest first. */
  evictOlderThan(nowMs: number, retentionMs: number): K[] {
    const removed: K[] = [];
    let at = this.head;
    for (; this.runHead < this.runEnds.length && nowMs - this.runTimes[this.runHead] >= retentionMs; this.runHead++) {
      for (const end = this.runEnds[this.runHead]; at < end; at++) removed.push(this.forget(at));
    }
    this.head = at;
    if (this.valueHead < at) {
      this.valueHead = at;
      this.valueRun = this.runHead;
    }
    this.compact();
    return removed;
  }

  /** Drops the values (not the keys) of entries whose age is at least `retentionMs`. */
  dropValuesOlderThan(nowMs: number, retentionMs: number): void {
    while (this.valueRun < this.runEnds.length && nowMs - this.runTimes[this.valueRun] >= retentionMs) {
      while (this.valueHead < this.runEnds[this.valueRun]) this.dropValueAt(this.valueHead++);
      this.valueRun++;
    }
  }

  /** The list position of `key`, or -1. */
  private positionOf(key: K): number {
    if (this.positions !== null) return this.positions.get(key) ?? -1;
    const index = this.index;
    const mask = index.length - 1;
    let slot = slotOf(keyHash(key), this.indexBits);
    for (let probes = 0; probes < PROBES_MAX; probes++) {
      const stored = index[slot];
      if (stored === 0) return -1;
      const at = stored - 1;
      if (at >= this.head && this.keyAt(at) === key) return at;
      slot = (slot + 1) & mask;
    }
    return this.overflow === null ? -1 : this.overflow.get(key) ?? -1;
  }

  private keyAt(at: number): K {
    return this.values === null && at >= this.valueHead ? this.keyOf!(this.slots[at] as V) : this.slots[at] as K;
  }

  /** Records position `at` of a key known to be absent: in the first free or spent slot of its probe, else in the overflow map. */
  private place(key: K, at: number): void {
    if (this.positions !== null) {
      this.positions.set(key, at);
      return;
    }
    const index = this.index;
    const mask = index.length - 1;
    let slot = slotOf(keyHash(key), this.indexBits);
    for (let probes = 0; probes < PROBES_MAX; probes++) {
      const stored = index[slot];
      if (stored === 0 || stored - 1 < this.head) {
        if (stored === 0) this.indexUsed++;
        index[slot] = at + 1;
        return;
      }
      slot = (slot + 1) & mask;
    }
    // A slot never goes back to 0 before the next rebuild, so every later probe for this key
    // also runs PROBES_MAX slots without a 0 and reaches the map.
    (this.overflow ??= new Map()).set(key, at);
  }

  /**
   * A new index for the live entries, positions current: the `Map` again while it may hold them
   * all, else the array, at most half full, spent slots swept.
   */
  private rebuildIndex(): void {
    if (this.positions !== null) {
      this.positions.clear();
      if (this.size <= this.mapIndexMax) {
        for (let at = this.head; at < this.slots.length; at++) this.positions.set(this.keyAt(at), at);
        return;
      }
      this.positions = null;
    }
    let bits = 3;
    while (this.size > 1 << (bits - 1)) bits++;
    this.index = new Int32Array(1 << bits);
    this.indexBits = bits;
    this.indexUsed = 0;
    this.overflow = null;
    for (let at = this.head; at < this.slots.length; at++) this.place(this.keyAt(at), at);
    const overflowed = (this.overflow as Map<K, number> | null)?.size ?? 0; // `place` may have made one
    if (this.indexUsed + overflowed !== this.size) check(false, 'index out of step with the entries');
  }

  /** Removes the oldest entry for capacity. */
  private evictOldest(): void {
    this.forget(this.head);
    if (this.valueHead === this.head) this.valueHead++;
    this.head++;
    if (this.runEnds[this.runHead] === this.head) this.runHead++;
    if (this.runEnds[this.valueRun] === this.valueHead) this.valueRun++;
    this.evicted++;
  }

  /** Drops the oldest held value for the value capacity. */
  private dropValue(): void {
    this.dropValueAt(this.valueHead++);
    if (this.runEnds[this.valueRun] === this.valueHead) this.valueRun++;
    this.valuesEvicted++;
  }

  /** Holds no reference to an entry that left; returns its key. */
  private forget(at: number): K {
    const key = this.keyAt(at);
    this.slots[at] = undefined;
    if (this.values !== null) this.values[at] = undefined;
    if (this.positions !== null) this.positions.delete(key);
    else this.overflow?.delete(key);
    return key;
  }

  /** Lets go of the value at `at`, which is `valueHead` (about to move past it). */
  private dropValueAt(at: number): void {
    if (this.values !== null) this.values[at] = undefined;
    else this.slots[at] = this.keyOf!(this.slots[at] as V);
  }

  private compact(): void {
    if (this.head >= COMPACT_AFTER && 2 * this.head >= this.slots.length) {
      const gone = this.head;
      this.slots = this.slots.slice(gone);
      if (this.values !== null) this.values = this.values.slice(gone);
      this.runTimes = this.runTimes.slice(this.runHead);
      this.runEnds = this.runEnds.slice(this.runHead).map((end) => end - gone);
      this.valueHead -= gone;
      this.valueRun -= this.runHead;
      this.runHead = 0;
      this.head = 0;
      this.rebuildIndex(); // positions moved
    }
    if (this.positions !== null && this.positions.size !== this.size) check(false, 'index out of step with the entries');
    const runs = this.runEnds.length;
    if (runs > this.runHead && this.runEnds[runs - 1] !== this.slots.length) check(false, 'time runs out of step with the entries');
    if (this.valueHead < this.head || this.valueHead > this.slots.length) check(false, 'value cursor outside the entries');
    if (!this.runHolds(this.runHead, this.head) || !this.runHolds(this.valueRun, this.valueHead)) check(false, 'a run cursor off its entry');
  }

  /** Whether `run` is the run holding list position `at` (the run count for the position past the end). */
  private runHolds(run: number, at: number): boolean {
    const ends = this.runEnds;
    return (run === 0 || ends[run - 1] <= at) && (run === ends.length ? at === this.slots.length : ends[run] > at);
  }
}
