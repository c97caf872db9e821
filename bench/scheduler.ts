/**
 * Scheduler throughput: the project's Scheduler against two bare heaps with the same
 * (time, insertion sequence) ordering — a minimal typed-array heap (the floor the kernel can
 * hope for) and a plain array-of-objects heap (what a straightforward implementation costs).
 *
 * Two patterns, each over EVENTS events with times from a fixed xorshift seed:
 * - "burst": schedule all events at random times, then run them all;
 * - "steady": QUEUE_SIZE events pending, each event schedules one more a random delay later.
 */
import { Scheduler } from '../src/sim/scheduler.js';
import { type Row, medianMs, rate, xorshift } from './table.js';

const EVENTS = 1_000_000;
const QUEUE_SIZE = 10_000;
const TIME_SPAN_MS = 1_000_000;
const DELAY_MAX_MS = 100;
const REPS = 5;

type Fn = () => void;

/** What each pattern needs from a queue. */
interface Queue {
  at(timeMs: number, fn: Fn): void;
  nowMs(): number;
  runAll(): void;
}

/** The same 4-ary heap over parallel typed arrays, ordered by (time, seq), bare: no budgets, no cancel, no asserts. */
class TypedHeap implements Queue {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private fns: (Fn | undefined)[] = new Array(1024);
  private size = 0;
  private nextSeq = 0;
  private now = 0;

  nowMs(): number {
    return this.now;
  }

  at(timeMs: number, fn: Fn): void {
    if (this.size === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = this.times[p];
      if (pt < timeMs || (pt === timeMs && this.seqs[p] < seq)) break;
      this.times[i] = pt;
      this.seqs[i] = this.seqs[p];
      this.fns[i] = this.fns[p];
      i = p;
    }
    this.times[i] = timeMs;
    this.seqs[i] = seq;
    this.fns[i] = fn;
  }

  runAll(): void {
    while (this.size > 0) {
      const fn = this.fns[0]!;
      this.now = this.times[0];
      this.pop();
      fn();
    }
  }

  private pop(): void {
    const times = this.times;
    const seqs = this.seqs;
    const last = --this.size;
    const t = times[last];
    const s = seqs[last];
    const f = this.fns[last];
    this.fns[last] = undefined;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= last) break;
      let c = first;
      const end = first + 4 < last ? first + 4 : last;
      for (let k = first + 1; k < end; k++) if (times[k] < times[c] || (times[k] === times[c] && seqs[k] < seqs[c])) c = k;
      if (t < times[c] || (t === times[c] && s < seqs[c])) break;
      times[i] = times[c];
      seqs[i] = seqs[c];
      this.fns[i] = this.fns[c];
      i = c;
    }
    times[i] = t;
    seqs[i] = s;
    this.fns[i] = f;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    const seqs = new Float64Array(this.times.length * 2);
    times.set(this.times);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    this.fns.length = times.length;
  }
}

interface Entry {
  readonly timeMs: number;
  readonly seq: number;
  readonly fn: Fn;
}

const before = (a: Entry, b: Entry): boolean => a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);

/** Textbook binary heap of entry objects, ordered by (time, seq). */
class ObjectHeap implements Queue {
  private readonly heap: Entry[] = [];
  private nextSeq = 0;
  private now = 0;

  nowMs(): number {
    return this.now;
  }

  at(timeMs: number, fn: Fn): void {
    const h = this.heap;
    h.push({ timeMs, seq: this.nextSeq++, fn });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  runAll(): void {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0];
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && before(h[l], h[m])) m = l;
          if (r < h.length && before(h[r], h[m])) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m], h[i]];
          i = m;
        }
      }
      this.now = top.timeMs;
      top.fn();
    }
  }
}

/** The project's Scheduler behind the same small interface. */
class Kernel implements Queue {
  private readonly s = new Scheduler();
  nowMs(): number {
    return this.s.nowMs;
  }
  at(timeMs: number, fn: Fn): void {
    this.s.at(timeMs, fn);
  }
  runAll(): void {
    const report = this.s.runFor(TIME_SPAN_MS * 4, { events: Infinity });
    if (!report.ok) throw new Error(`scheduler bench stopped: ${report.reason}`);
  }
}

/** Schedule EVENTS events at random times, then run them; returns events run. */
function burst(q: Queue): number {
  const random = xorshift(1);
  let ran = 0;
  const fn = (): void => {
    ran++;
  };
  for (let i = 0; i < EVENTS; i++) q.at(Math.floor(random() * TIME_SPAN_MS), fn);
  q.runAll();
  return ran;
}

/** QUEUE_SIZE events pending; each one schedules the next until EVENTS have run. */
function steady(q: Queue): number {
  const random = xorshift(2);
  let ran = 0;
  let scheduled = QUEUE_SIZE;
  const fn = (): void => {
    ran++;
    if (scheduled < EVENTS) {
      scheduled++;
      q.at(q.nowMs() + 1 + Math.floor(random() * DELAY_MAX_MS), fn);
    }
  };
  for (let i = 0; i < QUEUE_SIZE; i++) q.at(Math.floor(random() * DELAY_MAX_MS), fn);
  q.runAll();
  return ran;
}

const QUEUES: readonly { readonly name: string; readonly make: () => Queue }[] = [
  { name: 'Scheduler (src/sim)', make: () => new Kernel() },
  { name: 'typed-array heap (floor)', make: () => new TypedHeap() },
  { name: 'array-of-objects heap', make: () => new ObjectHeap() },
];

export function run(): Row[] {
  const rows: Row[] = [];
  for (const [pattern, body] of [['burst', burst], ['steady', steady]] as const) {
    for (const { name, make } of QUEUES) {
      const wallMs = medianMs(() => {
        const ran = body(make());
        if (ran !== EVENTS) throw new Error(`${name} ${pattern}: ran ${ran} of ${EVENTS}`);
      }, REPS);
      rows.push({ pattern, queue: name, events: EVENTS, 'median ms': wallMs.toFixed(1), 'events/s': rate(EVENTS, wallMs) });
    }
  }
  return rows;
}
