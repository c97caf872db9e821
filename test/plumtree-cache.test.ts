/**
 * TimeBoundMap, the table under Plumtree's message cache and received ids.
 *
 * Goal: eviction removes exactly the entries at least `retentionMs` old, oldest first, and the
 * map's assertions (bad capacity, a key inserted twice, insert time going backwards) fire.
 * Method: one map driven by hand. Written from the mutation run's survivors on this file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeBoundMap } from '../src/protocol/plumtree-cache.js';

describe('TimeBoundMap', () => {
  it('evicts entries whose age reached the retention, oldest first, and keeps younger ones', () => {
    const m = new TimeBoundMap<string, number>(8);
    m.insert('a', 1, 0);
    m.insert('b', 2, 10);
    m.insert('c', 3, 20);
    expect(m.evictOlderThan(29, 20)).toEqual(['a']); // ages 29, 19, 9: only a reached 20
    expect(m.evictOlderThan(30, 20)).toEqual(['b']); // age exactly 20 goes
    expect([m.size, m.has('c'), m.get('c'), m.has('b'), m.get('b')]).toEqual([1, true, 3, false, undefined]);
    expect(m.evictOlderThan(30, 20)).toEqual([]);
  });

  it('refuses a bad capacity, a key inserted twice and an insert time going backwards', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new TimeBoundMap(bad)).toThrow(`plumtree-cache: bad capacity ${bad}`);
    expect(new TimeBoundMap(1).capacityMax).toBe(1);
    const m = new TimeBoundMap<string, number>(4);
    m.insert('a', 1, 5);
    expect(() => m.insert('a', 2, 6)).toThrow('plumtree-cache: key inserted twice');
    expect(() => m.insert('b', 2, 4)).toThrow('plumtree-cache: insert time went backwards: 4 < 5');
    m.insert('b', 2, 5); // the same time is fine
    expect(m.size).toBe(2);
  });
});

describe('time-bound map capacity', () => {
  it('at capacity the oldest entry is evicted and counted; the size never passes the capacity', () => {
    const m = new TimeBoundMap<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c'].entries()) m.insert(key, i, i);
    expect([m.size, m.evicted]).toEqual([3, 0]);
    m.insert('d', 3, 3);
    expect([m.size, m.evicted]).toEqual([3, 1]);
    expect([m.get('a'), m.get('b'), m.get('d')]).toEqual([undefined, 1, 3]);
    m.insert('e', 4, 4);
    expect([m.size, m.evicted, m.get('b')]).toEqual([3, 2, undefined]);
  });

  it('agrees with a list of (key, time) pairs through thousands of inserts, age evictions and capacity evictions', () => {
    // Long enough to compact its time list many times (it drops spent slots past 1,024).
    fc.assert(fc.property(
      fc.array(fc.record({ gapMs: fc.nat(5), evictRetentionMs: fc.option(fc.nat(40), { nil: undefined }) }), { minLength: 1_000, maxLength: 6_000 }),
      fc.integer({ min: 1, max: 3_000 }),
      (steps, capacity) => {
        const m = new TimeBoundMap<number, number>(capacity);
        const model: [number, number][] = [];
        let nowMs = 0;
        let evicted = 0;
        steps.forEach(({ gapMs, evictRetentionMs }, key) => {
          nowMs += gapMs;
          m.insert(key, key * 2, nowMs);
          if (model.length >= capacity) {
            model.shift();
            evicted++;
          }
          model.push([key, nowMs]);
          if (evictRetentionMs !== undefined) {
            const gone: number[] = [];
            while (model.length > 0 && nowMs - model[0][1] >= evictRetentionMs) gone.push(model.shift()![0]);
            expect(m.evictOlderThan(nowMs, evictRetentionMs)).toEqual(gone);
          }
        });
        expect(m.size).toBe(model.length);
        expect(m.evicted).toBe(evicted);
        for (const [key] of model) expect(m.get(key)).toBe(key * 2);
        expect(m.has(model[0]?.[0] ?? -1)).toBe(model.length > 0);
      },
    ), { numRuns: 30 });
  });
});
