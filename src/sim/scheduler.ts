/**
 * The discrete-event scheduler: one priority queue of callbacks ordered by (virtual time,
 * insertion sequence), so events at the same time run in the order they were scheduled.
 *
 * Virtual time is integer milliseconds, starts at 0 and never goes backwards (asserted).
 * The core is synchronous: no Promises, no real timers. Every run is bounded by a budget of
 * virtual time and events; running out returns a failure report instead of hanging.
 * The queue has two parts. Events due within WHEEL_SLOTS ms of the current slot go to a ring of
 * one FIFO per millisecond (a timing wheel): most events of a run are packets a few ms out, and
 * appending to and taking from a short array touches memory in order, where every level of a
 * heap of 100,000 pending events is a likely cache miss. Later events (timers seconds out) wait
 * in a 4-ary heap over parallel typed arrays (times, sequences) plus a callback array, and move
 * to the wheel, in heap order, as soon as their slot comes within the ring. Events run in the
 * order the heap alone would give: within a slot, every event moved in from the heap was
 * scheduled before anything put there directly (its slot was beyond the ring until then), so
 * FIFO order is sequence order.
 * An event is a function or a `Task`: an object that runs itself. The wire's packets and the
 * nodes' timers are tasks, so scheduling one allocates no closure (and its captured context)
 * beside the object the event is about: two objects fewer to make, and to fetch from memory when
 * the event runs, for most events of a run.
 */
import { assert } from './assert.js';

export type EventFn = () => void;
/** An event that is an object: `run` is called when its time comes. */
export interface Task {
  run(): void;
}
/** What the queue holds for an event. */
export type SimEvent = EventFn | Task;

/** Runs an event of either form (the scheduler's loop, and a host running a queued timer late). */
export function runEvent(fn: SimEvent): void {
  if (typeof fn === 'function') fn();
  else fn.run();
}
/** Identifies a scheduled event for `cancel`; it is the event's insertion sequence number. */
export type EventId = number;

export interface Budget {
  /** Virtual time the run may advance, ms. Default: unbounded (Infinity). */
  readonly virtualMs?: number;
  /** Events the run may execute. Default: 50 000 000. */
  readonly events?: number;
}

export type RunReport =
  | { readonly ok: true; readonly nowMs: number; readonly events: number }
  | {
      readonly ok: false;
      readonly reason: 'virtual-time-budget' | 'event-budget' | 'queue-empty';
      readonly nowMs: number;
      readonly events: number;
    };

const DEFAULT_EVENT_BUDGET = 50_000_000;
const INITIAL_CAPACITY = 1024;
/**
 * Milliseconds the wheel spans. Packets and most protocol timers are due within it (a link's
 * latency, a graft or Neighbor timeout); keep-alives, shuffles and sweeps go through the heap.
 */
const WHEEL_SLOTS = 1024;
/** Cancelled ids held before the first look for ones whose events already ran. */
const MIN_PURGE_AT_SIZE = 1024;

/** Stands in the queue for a cancelled event's function, which is dropped, never run. */
const NEVER_RUN: SimEvent = () => {
  assert(false, 'a cancelled event ran');
};

export class Scheduler {
  private nowMsValue = 0;
  private nextSeq = 0;
  /**
   * The wheel's first slot, ms: the time of the latest event run (never after `nowMs`). The
   * wheel holds the events due before `wheelStartMs + WHEEL_SLOTS`, in slot `time % WHEEL_SLOTS`;
   * the heap holds the rest, all due at or after that bound.
   */
  private wheelStartMs = 0;
  /** No wheel event is due before this time, ms (≥ wheelStartMs): where the look for the next one starts. */
  private scanFromMs = 0;
  private wheelCount = 0;
  private readonly slotFns: SimEvent[][] = Array.from({ length: WHEEL_SLOTS }, () => []);
  private readonly slotSeqs: number[][] = Array.from({ length: WHEEL_SLOTS }, () => []);
  /** Per slot, the index of its next event (the events before it have run or were dropped). */
  private readonly slotHeads = new Int32Array(WHEEL_SLOTS);
  /** Events in the heap. */
  private size = 0;
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private fns: (SimEvent | undefined)[] = new Array(INITIAL_CAPACITY);
  /**
   * Ids cancelled while (perhaps) still queued. A cancelled event leaves when it surfaces; an id
   * whose event already ran would stay forever, so once the set outgrows `purgeAtSize` it is cut
   * down to the ids still in the queue (ids are never reused, so a stale one is only dead weight).
   */
  private cancelled = new Set<EventId>();
  private purgeAtSize = MIN_PURGE_AT_SIZE;
  /** Total events executed since creation. */
  eventsRun = 0;
  /** See `watchEvents`: the event count at which `watcher` is next called (never: Infinity). */
  private watchAt = Infinity;
  private watchEvery = 0;
  private watcher: (() => void) | null = null;

  get nowMs(): number {
    return this.nowMsValue;
  }

  /** Number of events waiting (cancelled ones included until they surface). */
  get pending(): number {
    return this.wheelCount + this.size;
  }

  /** Schedule `fn` (a function or a task) at absolute virtual time `atMs` (≥ now). */
  at(atMs: number, fn: SimEvent): EventId {
    // Condition first, message only on failure: a template literal argument would be built
    // (two number-to-string conversions) on every call of the hottest function in the kernel.
    if (!(atMs >= this.nowMsValue)) assert(false, `cannot schedule in the past: ${atMs} < ${this.nowMsValue}`);
    if (!Number.isSafeInteger(atMs)) assert(false, `event time must be a whole number of ms: ${atMs}`);
    const seq = this.nextSeq++;
    if (atMs < this.wheelStartMs + WHEEL_SLOTS) {
      const slot = atMs % WHEEL_SLOTS;
      this.slotFns[slot].push(fn);
      this.slotSeqs[slot].push(seq);
      this.wheelCount++;
      if (atMs < this.scanFromMs) this.scanFromMs = atMs;
      return seq;
    }
    this.heapPush(atMs, seq, fn);
    return seq;
  }

  private heapPush(atMs: number, seq: number, fn: SimEvent): void {
    if (this.size === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    let i = this.size++;
    // Sift up: move the hole toward the root while the parent is later.
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent];
      if (pt < atMs || (pt === atMs && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      fns[i] = fns[parent];
      i = parent;
    }
    times[i] = atMs;
    seqs[i] = seq;
    fns[i] = fn;
  }

  /** Schedule `fn` (a function or a task) after `delayMs` (≥ 0) of virtual time. */
  after(delayMs: number, fn: SimEvent): EventId {
    if (!(delayMs >= 0)) assert(false, `negative delay: ${delayMs}`);
    return this.at(this.nowMsValue + delayMs, fn);
  }

  /** Cancel a scheduled event; cancelling an event that already ran is a no-op. */
  cancel(id: EventId): void {
    if (!(id < this.nextSeq)) return;
    this.cancelled.add(id);
    if (this.cancelled.size > this.purgeAtSize) this.forgetRunCancels();
  }

  /** Cancelled ids held: still queued, or run and not yet forgotten (for tests). */
  get cancelledHeld(): number {
    return this.cancelled.size;
  }

  /**
   * Keeps only the cancelled ids still in the queue. One pass over the queue; the next pass comes
   * after at least as many cancels again as ids kept, so the cost per cancel stays constant.
   * The pass also lets go of the queued cancelled events (they never run): in an all-nodes
   * burst most graft timers are cancelled, and each held its task objects, and what those
   * point to, until its time came.
   */
  private forgetRunCancels(): void {
    const kept = new Set<EventId>();
    for (let i = 0; i < this.size; i++) {
      if (!this.cancelled.has(this.seqs[i])) continue;
      kept.add(this.seqs[i]);
      this.fns[i] = NEVER_RUN;
    }
    for (let slot = 0; slot < WHEEL_SLOTS; slot++) {
      const fns = this.slotFns[slot];
      const seqs = this.slotSeqs[slot];
      for (let i = this.slotHeads[slot]; i < seqs.length; i++) {
        if (!this.cancelled.has(seqs[i])) continue;
        kept.add(seqs[i]);
        fns[i] = NEVER_RUN;
      }
    }
    this.cancelled = kept;
    this.purgeAtSize = Math.max(MIN_PURGE_AT_SIZE, 2 * kept.size);
  }

  /** Time of the next event, or Infinity when the queue is empty. */
  peekTimeMs(): number {
    return this.nextTimeMs();
  }

  /** Run the next event. Returns false when the queue is empty. */
  step(): boolean {
    const timeMs = this.nextTimeMs();
    if (timeMs === Infinity) return false;
    this.runNext(timeMs);
    return true;
  }

  /**
   * Calls `fn` after every `every` events run, between two events: for a harness to look at a
   * run (progress, its own memory) at the pace of events, where a virtual second can hold
   * millions of them (an all-nodes burst is over within one). `fn` must not schedule or cancel
   * anything, so the trace is the same with or without it; it may throw to stop the run.
   * One watcher at a time; a new call replaces it. Returns the call that stops it.
   */
  watchEvents(every: number, fn: () => void): () => void {
    assert(Number.isSafeInteger(every) && every > 0, `bad event watch interval ${every}`);
    this.watcher = fn;
    this.watchEvery = every;
    this.watchAt = this.eventsRun + every;
    return () => {
      if (this.watcher !== fn) return; // replaced meanwhile: not ours to stop
      this.watcher = null;
      this.watchAt = Infinity;
    };
  }

  /**
   * The time of the next event that will run, or Infinity when none is left. Cancelled events
   * met on the way are dropped; the wheel's look forward is kept (`scanFromMs`), so calling this
   * again before anything runs costs nothing.
   */
  private nextTimeMs(): number {
    for (;;) {
      if (this.wheelCount > 0) {
        // Some slot in [scanFromMs, wheelStartMs + WHEEL_SLOTS) holds an event: stop at the first.
        let t = this.scanFromMs;
        let slot = t % WHEEL_SLOTS;
        while (this.slotHeads[slot] === this.slotSeqs[slot].length) {
          t++;
          slot = slot === WHEEL_SLOTS - 1 ? 0 : slot + 1;
        }
        this.scanFromMs = t;
        if (this.cancelled.size > 0 && this.cancelled.delete(this.slotSeqs[slot][this.slotHeads[slot]])) {
          this.takeFromSlot(slot);
          continue;
        }
        return t;
      }
      if (this.size === 0) return Infinity;
      if (this.cancelled.size > 0 && this.cancelled.delete(this.seqs[0])) {
        this.popRoot();
        continue;
      }
      return this.times[0];
    }
  }

  /** Runs the next event, due at `timeMs` (just returned by `nextTimeMs`). */
  private runNext(timeMs: number): void {
    assert(timeMs >= this.nowMsValue, 'virtual time went backwards');
    if (timeMs !== this.wheelStartMs) this.turnWheelTo(timeMs);
    const slot = timeMs % WHEEL_SLOTS;
    const fn = this.slotFns[slot][this.slotHeads[slot]];
    this.takeFromSlot(slot);
    this.nowMsValue = timeMs;
    this.eventsRun++;
    runEvent(fn);
    if (this.eventsRun >= this.watchAt) {
      this.watchAt += this.watchEvery;
      this.watcher!();
    }
  }

  /**
   * Moves the wheel's start to `timeMs` (the next event's time: every slot before it is empty)
   * and the heap's events now within the wheel's span into their slots, in heap order, before
   * anything new can be put there.
   */
  private turnWheelTo(timeMs: number): void {
    this.wheelStartMs = timeMs;
    this.scanFromMs = timeMs;
    const endMs = timeMs + WHEEL_SLOTS;
    while (this.size > 0 && this.times[0] < endMs) {
      const slot = this.times[0] % WHEEL_SLOTS;
      this.slotFns[slot].push(this.fns[0]!);
      this.slotSeqs[slot].push(this.seqs[0]);
      this.wheelCount++;
      this.popRoot();
    }
  }

  /** Takes the head event off a slot; a slot emptied lets go of its arrays' contents at once. */
  private takeFromSlot(slot: number): void {
    this.wheelCount--;
    const head = this.slotHeads[slot] + 1;
    if (head < this.slotSeqs[slot].length) {
      this.slotHeads[slot] = head;
      return;
    }
    this.slotHeads[slot] = 0;
    this.slotFns[slot].length = 0;
    this.slotSeqs[slot].length = 0;
  }

  /** Run every event up to now + ms, then set the clock to now + ms. */
  runFor(ms: number, budget: Budget = {}): RunReport {
    assert(ms >= 0, `negative duration: ${ms}`);
    const endMs = this.nowMsValue + ms;
    const maxEvents = budget.events ?? DEFAULT_EVENT_BUDGET;
    let events = 0;
    for (let next = this.nextTimeMs(); next <= endMs; next = this.nextTimeMs()) {
      if (events >= maxEvents) return { ok: false, reason: 'event-budget', nowMs: this.nowMsValue, events };
      this.runNext(next);
      events++;
    }
    this.nowMsValue = endMs;
    return { ok: true, nowMs: endMs, events };
  }

  /**
   * Run until `predicate()` holds (checked before the first event and after each one), or
   * the budget runs out, or nothing is left to happen.
   */
  runUntil(predicate: () => boolean, budget: Budget = {}): RunReport {
    const deadlineMs = this.nowMsValue + (budget.virtualMs ?? Infinity);
    const maxEvents = budget.events ?? DEFAULT_EVENT_BUDGET;
    let events = 0;
    while (!predicate()) {
      const next = this.nextTimeMs();
      if (events >= maxEvents) return { ok: false, reason: 'event-budget', nowMs: this.nowMsValue, events };
      if (next === Infinity) return { ok: false, reason: 'queue-empty', nowMs: this.nowMsValue, events };
      if (next > deadlineMs) {
        this.nowMsValue = deadlineMs;
        return { ok: false, reason: 'virtual-time-budget', nowMs: deadlineMs, events };
      }
      this.runNext(next);
      events++;
    }
    return { ok: true, nowMs: this.nowMsValue, events };
  }

  private popRoot(): void {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    const last = --this.size;
    const t = times[last];
    const s = seqs[last];
    const f = fns[last];
    fns[last] = undefined;
    if (last === 0) return;
    // Sift down from the root with the former last element; four children per node keep the
    // heap shallow (fewer levels to walk on every pop, the dominant operation).
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= last) break;
      let child = first;
      let ct = times[first];
      let cs = seqs[first];
      const end = first + 4 < last ? first + 4 : last;
      for (let c = first + 1; c < end; c++) {
        const tc = times[c];
        if (tc < ct || (tc === ct && seqs[c] < cs)) {
          child = c;
          ct = tc;
          cs = seqs[c];
        }
      }
      if (t < ct || (t === ct && s < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      fns[i] = fns[child];
      i = child;
    }
    times[i] = t;
    seqs[i] = s;
    fns[i] = f;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    times.set(this.times);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    this.fns.length = capacity;
  }
}
