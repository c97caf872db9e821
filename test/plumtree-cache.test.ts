/**
 * TimeBoundMap, the table under Plumtree's message cache and received ids.
 *
 * Goal: eviction removes exactly the entries at least `retentionMs` old, oldest first, and the
 * map's assertions (bad capacity, a key inserted twice, insert time going backwards) fire.
 * Method: one map driven by hand. Written from the mutation run's survivors on this file.
 */
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
});
