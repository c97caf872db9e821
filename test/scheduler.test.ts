/**
 * Scheduler: ordering by (time, insertion), monotonic time, cancellation, and budgets that
 * return failure reports instead of hanging.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Scheduler } from '../src/sim/scheduler.js';
import { SimRng } from '../src/sim/rng.js';

describe('scheduler', () => {
  it('a task (an object with run) is an event like a function: ordered, run with itself as this, cancellable', () => {
    const s = new Scheduler();
    const order: string[] = [];
    class Named {
      constructor(readonly name: string) {}
      run(): void {
        order.push(`${this.name}@${s.nowMs}`);
      }
    }
    s.at(20, new Named('b'));
    s.at(10, () => order.push(`fn@${s.nowMs}`));
    s.at(10, new Named('a'));
    const dropped = s.at(15, new Named('cancelled'));
    s.cancel(dropped);
    s.runFor(30);
    expect(order).toEqual(['fn@10', 'a@10', 'b@20']);
    expect(s.eventsRun).toBe(3);
  });

  it('equal-time events run in insertion order', () => {
    const s = new Scheduler();
    const order: number[] = [];
    for (let i = 0; i < 100; i++) s.at(10, () => order.push(i));
    s.runFor(10);
    expect(order).toEqual([...Array(100).keys()]);
  });

  it('orders by time, then insertion, for a random mix (checked against a sort)', () => {
    const s = new Scheduler();
    const rng = new SimRng('mix');
    const ran: [number, number][] = [];
    const planned: [number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rng.int(200);
      planned.push([t, i]);
      s.at(t, () => ran.push([s.nowMs, i]));
    }
    s.runFor(1000);
    planned.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    expect(ran).toEqual(planned);
  });

  it('events scheduled while running keep time monotonic and run in order', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.at(5, () => {
      seen.push(s.nowMs);
      s.after(0, () => seen.push(s.nowMs));
      s.after(3, () => seen.push(s.nowMs));
    });
    s.runFor(100);
    expect(seen).toEqual([5, 5, 8]);
    expect(s.nowMs).toBe(100);
  });

  it('refuses to schedule in the past', () => {
    const s = new Scheduler();
    s.runFor(50);
    expect(() => s.at(10, () => {})).toThrow(/past/);
  });

  it('cancelled events do not run', () => {
    const s = new Scheduler();
    let ran = 0;
    const id = s.after(5, () => ran++);
    s.after(6, () => ran++);
    s.cancel(id);
    s.runFor(10);
    expect(ran).toBe(1);
  });

  it('step() runs one event and reports an empty queue', () => {
    const s = new Scheduler();
    s.after(7, () => {});
    expect(s.step()).toBe(true);
    expect(s.nowMs).toBe(7);
    expect(s.step()).toBe(false);
  });

  it('runUntil returns a virtual-time-budget failure instead of hanging', () => {
    const s = new Scheduler();
    const tick = (): void => {
      s.after(100, tick);
    };
    tick();
    const report = s.runUntil(() => false, { virtualMs: 10_000 });
    expect(report).toMatchObject({ ok: false, reason: 'virtual-time-budget', nowMs: 10_000 });
  });

  it('runUntil returns an event-budget failure for a zero-delay livelock', () => {
    const s = new Scheduler();
    const spin = (): void => {
      s.after(0, spin);
    };
    spin();
    const report = s.runUntil(() => false, { events: 1000 });
    expect(report).toMatchObject({ ok: false, reason: 'event-budget', events: 1000 });
  });

  it('runUntil succeeds when the predicate becomes true', () => {
    const s = new Scheduler();
    let done = false;
    s.after(42, () => (done = true));
    expect(s.runUntil(() => done, { virtualMs: 100 })).toMatchObject({ ok: true, nowMs: 42 });
  });

  it('runFor reports an event budget failure', () => {
    const s = new Scheduler();
    for (let i = 0; i < 10; i++) s.after(1, () => {});
    expect(s.runFor(5, { events: 3 })).toMatchObject({ ok: false, reason: 'event-budget' });
  });
});

describe('rng', () => {
  it('same seed, same stream; different names, different streams', () => {
    const a = new SimRng('1/node:a');
    const b = new SimRng('1/node:a');
    const c = new SimRng('1/node:b');
    const xs = [a.nextU32(), a.nextU32(), a.nextU32()];
    expect([b.nextU32(), b.nextU32(), b.nextU32()]).toEqual(xs);
    expect([c.nextU32(), c.nextU32(), c.nextU32()]).not.toEqual(xs);
  });

  it('helpers stay in range and chance follows its ratio', () => {
    const r = new SimRng('helpers');
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r.rangeInclusive(3, 7);
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x).toBeLessThanOrEqual(7);
      if (r.chance(1, 4)) hits++;
    }
    expect(hits).toBeGreaterThan(2200);
    expect(hits).toBeLessThan(2800);
    expect(r.chance(0, 5)).toBe(false);
    expect(r.chance(5, 5)).toBe(true);
    const arr = [1, 2, 3, 4, 5, 6];
    expect([...r.shuffle([...arr])].sort()).toEqual(arr);
    expect(arr).toContain(r.pick(arr));
    expect(r.bytes(5)).toHaveLength(5);
  });
});

describe('scheduler cancellation and runFor bounds', () => {
  it('runFor never runs an event past its end, even behind a cancelled one', () => {
    const s = new Scheduler();
    const ran: number[] = [];
    const early = s.at(5, () => ran.push(5));
    s.at(100, () => ran.push(100));
    s.cancel(early);
    s.runFor(10);
    expect(ran).toEqual([]);
    expect(s.nowMs).toBe(10);
    s.runFor(100);
    expect(ran).toEqual([100]);
  });

  it('calls an event watcher after every N events, between events, until it is stopped', () => {
    const s = new Scheduler();
    const log: string[] = [];
    for (let i = 1; i <= 7; i++) s.at(i, () => log.push(`e${i}`));
    const stop = s.watchEvents(3, () => log.push(`watch@${s.eventsRun}`));
    s.runFor(5);
    stop();
    s.runFor(5);
    expect(log).toEqual(['e1', 'e2', 'e3', 'watch@3', 'e4', 'e5', 'e6', 'e7']);
    // A watcher replaced by another is not the first one's to stop.
    const first = s.watchEvents(1, () => log.push('first'));
    s.watchEvents(1, () => log.push('second'));
    first();
    s.at(20, () => {});
    s.runFor(20);
    expect(log.slice(-1)).toEqual(['second']);
    expect(() => s.watchEvents(0, () => {})).toThrow(/bad event watch interval/);
  });

  it('forgets cancels of events that already ran, and keeps those still queued', () => {
    const s = new Scheduler();
    let ranLate = false;
    const late = s.at(1_000_000, () => (ranLate = true));
    s.cancel(late);
    s.at(500_000, () => {}); // keeps the cancelled event off the root (roots are dropped at once)
    // A host may cancel a timer whose event ran already (a wedged node's backlog held it).
    const ran = Array.from({ length: 5_000 }, (_, i) => s.at(i, () => {}));
    s.runFor(5_000);
    for (const id of ran) s.cancel(id);
    expect(s.cancelledHeld).toBeLessThanOrEqual(1_025);
    s.runFor(1_000_000);
    expect(ranLate).toBe(false);
    expect(s.eventsRun).toBe(5_001);
  });

  it('lets go of a queued cancelled event\'s function at the next pass over the cancels, and still never runs it', () => {
    const s = new Scheduler();
    let ran = 0;
    const timers = Array.from({ length: 3_000 }, (_, i) => {
      const fn = (): void => {
        ran++;
      };
      return { fn, id: s.at(10_000 + i, fn) };
    });
    const queued = (): readonly unknown[] => (s as unknown as { fns: unknown[] }).fns;
    for (const { id } of timers.slice(0, 2_000)) s.cancel(id); // past 1,024 cancels: a pass
    const held = timers.filter(({ fn }) => queued().includes(fn)).length;
    expect(held).toBeLessThanOrEqual(1_000 + 1_024); // the uncancelled, and cancels since the pass
    expect(queued().includes(timers[0].fn)).toBe(false);
    s.runFor(20_000);
    expect(ran).toBe(1_000);
    expect(s.eventsRun).toBe(1_000);
  });
});

/**
 * The wheel (events due within 1,024 ms) and the heap (later ones) must run events in exactly
 * the order one queue sorted by (time, insertion) would: checked against a plain sorted list on
 * random programs of schedules at every distance, cancels, runs that stop between events,
 * peeks, and events that schedule more when they run.
 */
describe('scheduler order against a sorted-list model', () => {
  type Op =
    | { readonly op: 'at'; readonly delayMs: number; readonly children: number }
    | { readonly op: 'cancel'; readonly pick: number }
    | { readonly op: 'runFor'; readonly ms: number }
    | { readonly op: 'runUntil'; readonly ms: number; readonly events: number }
    | { readonly op: 'step' }
    | { readonly op: 'peek' };

  interface Queued { readonly timeMs: number; readonly seq: number; readonly label: string; readonly children: number }

  /** The model: a list scanned for its (time, seq) minimum. */
  class Model {
    nowMs = 0;
    private seq = 0;
    private readonly queue: Queued[] = [];
    at(timeMs: number, label: string, children: number): number {
      this.queue.push({ timeMs, seq: this.seq, label, children });
      return this.seq++;
    }
    cancel(id: number): void {
      const i = this.queue.findIndex((q) => q.seq === id);
      if (i >= 0) this.queue.splice(i, 1);
    }
    next(): Queued | undefined {
      let best: Queued | undefined;
      for (const q of this.queue) if (best === undefined || q.timeMs < best.timeMs || (q.timeMs === best.timeMs && q.seq < best.seq)) best = q;
      return best;
    }
    take(q: Queued): void {
      this.queue.splice(this.queue.indexOf(q), 1);
      this.nowMs = q.timeMs;
    }
    get pending(): number {
      return this.queue.length;
    }
  }

  const delay = fc.oneof(fc.nat(3), fc.nat(40), fc.integer({ min: 900, max: 1_100 }), fc.nat(5_000));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('at' as const), delayMs: delay, children: fc.nat(2) }), weight: 6 },
    { arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('runFor' as const), ms: delay }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('runUntil' as const), ms: delay, events: fc.nat(30) }), weight: 1 },
    { arbitrary: fc.constant({ op: 'step' as const }), weight: 1 },
    { arbitrary: fc.constant({ op: 'peek' as const }), weight: 1 },
  );

  it('runs every random program in the model\'s order, with the same clock, peeks and pending counts', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (program) => {
        const s = new Scheduler();
        const m = new Model();
        const ran: string[] = [];
        const modelRan: string[] = [];
        const ids: number[] = [];
        let labels = 0;
        // An event with children schedules that many more when it runs, at delays spread over
        // the wheel and beyond it; the model does the same for the same label.
        const childDelay = (label: string, k: number): number => [0, 7, 1_023, 1_024, 2_500][(label.length + k) % 5];
        const scheduleReal = (atMs: number, label: string, children: number): number =>
          s.at(atMs, () => {
            ran.push(`${label}@${s.nowMs}`);
            for (let k = 0; k < children; k++) scheduleReal(s.nowMs + childDelay(label, k), `${label}.${k}`, 0);
          });
        const runModelUntil = (endMs: number, maxEvents: number): number => {
          let n = 0;
          for (let q = m.next(); q !== undefined && q.timeMs <= endMs && n < maxEvents; q = m.next(), n++) {
            m.take(q);
            modelRan.push(`${q.label}@${q.timeMs}`);
            for (let k = 0; k < q.children; k++) m.at(m.nowMs + childDelay(q.label, k), `${q.label}.${k}`, 0);
          }
          return n;
        };
        for (const o of program) {
          if (o.op === 'at') {
            const label = String(labels++);
            const id = scheduleReal(s.nowMs + o.delayMs, label, o.children);
            expect(m.at(m.nowMs + o.delayMs, label, o.children)).toBe(id);
            ids.push(id);
          } else if (o.op === 'cancel' && ids.length > 0) {
            const id = ids[o.pick % ids.length];
            s.cancel(id);
            m.cancel(id);
          } else if (o.op === 'runFor') {
            s.runFor(o.ms);
            const endMs = m.nowMs + o.ms;
            runModelUntil(endMs, Infinity);
            m.nowMs = endMs;
          } else if (o.op === 'runUntil') {
            const report = s.runUntil(() => false, { virtualMs: o.ms, events: o.events });
            runModelUntil(report.nowMs, report.events);
            m.nowMs = report.nowMs;
          } else if (o.op === 'step') {
            const stepped = s.step();
            expect(runModelUntil(Infinity, 1)).toBe(stepped ? 1 : 0);
          } else {
            expect(s.peekTimeMs()).toBe(m.next()?.timeMs ?? Infinity);
          }
          expect(ran).toEqual(modelRan);
          expect(s.nowMs).toBe(m.nowMs);
          if (o.op === 'peek') expect(s.pending).toBeGreaterThanOrEqual(m.pending); // cancelled events stay until they surface
        }
        s.runFor(100_000);
        runModelUntil(Infinity, Infinity);
        expect(ran).toEqual(modelRan);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an event time that is not a whole number of ms (a wheel slot is one ms)', () => {
    const s = new Scheduler();
    expect(() => s.at(1.5, () => {})).toThrow(/whole number of ms/);
    expect(() => s.after(Infinity, () => {})).toThrow(/whole number of ms/);
  });
});
