/**
 * Scheduler: ordering by (time, insertion), monotonic time, cancellation, and budgets that
 * return failure reports instead of hanging.
 */
import { describe, expect, it } from 'vitest';
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
