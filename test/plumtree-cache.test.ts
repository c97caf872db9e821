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

describe('time-bound map values (the message cache inside the received ids)', () => {
  it('drops values before keys, by age and past the value capacity, and counts what the capacity dropped', () => {
    const m = new TimeBoundMap<string, number>(4, 2);
    m.insert('a', 1, 0);
    m.insert('b', 2, 10);
    expect([m.size, m.valueCount, m.get('a')]).toEqual([2, 2, 1]);
    m.insert('c', 3, 20); // a third value: a's is dropped, a stays received
    expect([m.size, m.valueCount, m.valuesEvicted, m.has('a'), m.get('a'), m.get('c')]).toEqual([3, 2, 1, true, undefined, 3]);
    m.dropValuesOlderThan(25, 15); // b is 15 old: its value goes, c's stays
    expect([m.size, m.valueCount, m.get('b'), m.get('c'), m.valuesEvicted]).toEqual([3, 1, undefined, 3, 1]);
    expect(m.evictOlderThan(30, 30)).toEqual(['a']);
    expect([m.size, m.valueCount]).toEqual([2, 1]);
    expect(m.evictOlderThan(50, 30)).toEqual(['b', 'c']); // c's value leaves with its key
    expect([m.size, m.valueCount, m.get('c')]).toEqual([0, 0, undefined]);
  });

  it('refuses a value capacity above the key capacity', () => {
    expect(() => new TimeBoundMap(2, 3)).toThrow('plumtree-cache: bad value capacity 3');
    expect(() => new TimeBoundMap(2, 0)).toThrow('plumtree-cache: bad value capacity 0');
  });

  it('agrees with a model of two tables (received ids, message cache) through thousands of steps', () => {
    fc.assert(fc.property(
      fc.array(fc.record({
        gapMs: fc.nat(5),
        idRetentionMs: fc.option(fc.nat(60), { nil: undefined }),
        cacheRetentionMs: fc.option(fc.nat(30), { nil: undefined }),
      }), { minLength: 1_000, maxLength: 5_000 }),
      fc.integer({ min: 1, max: 2_000 }),
      fc.integer({ min: 1, max: 2_000 }),
      (steps, capacity, valuesWanted) => {
        const valuesMax = Math.min(capacity, valuesWanted);
        const m = new TimeBoundMap<number, number>(capacity, valuesMax);
        const ids: [number, number][] = []; // the paper's received set: (key, time)
        const cache: [number, number][] = []; // the paper's cache: (key, time), its newest part
        let nowMs = 0;
        let evicted = 0;
        let valuesEvicted = 0;
        const expire = (list: [number, number][], retentionMs: number): number[] => {
          const gone: number[] = [];
          while (list.length > 0 && nowMs - list[0][1] >= retentionMs) gone.push(list.shift()![0]);
          return gone;
        };
        steps.forEach(({ gapMs, idRetentionMs, cacheRetentionMs }, key) => {
          nowMs += gapMs;
          m.insert(key, key * 2, nowMs);
          if (ids.length >= capacity) {
            if (cache.length > 0 && cache[0][0] === ids[0][0]) cache.shift();
            ids.shift();
            evicted++;
          }
          if (cache.length >= valuesMax) {
            cache.shift();
            valuesEvicted++;
          }
          ids.push([key, nowMs]);
          cache.push([key, nowMs]);
          if (idRetentionMs !== undefined) {
            const gone = expire(ids, idRetentionMs);
            expect(m.evictOlderThan(nowMs, idRetentionMs)).toEqual(gone);
            while (cache.length > 0 && gone.includes(cache[0][0])) cache.shift();
          }
          if (cacheRetentionMs !== undefined) {
            expire(cache, cacheRetentionMs);
            m.dropValuesOlderThan(nowMs, cacheRetentionMs);
          }
        });
        expect([m.size, m.valueCount, m.evicted, m.valuesEvicted]).toEqual([ids.length, cache.length, evicted, valuesEvicted]);
        const cached = new Set(cache.map(([key]) => key));
        for (const [key] of ids) expect([m.has(key), m.get(key)]).toEqual([true, cached.has(key) ? key * 2 : undefined]);
      },
    ), { numRuns: 30 });
  });
});
