/**
 * TimeBoundMap, the table under Plumtree's message cache and received ids.
 *
 * Goal: eviction removes exactly the entries at least `retentionMs` old, oldest first, and the
 * map's assertions (bad capacity, a key inserted twice, insert time going backwards) fire; its
 * storage (time runs, a `Map` index that a larger table trades for an array index with a probe
 * limit and an overflow map, values that carry their keys) answers as a plain list of entries
 * would. Method: one map driven by hand, and models driven by random steps in every storage mode
 * (keys beside values or read from values; the array index from the first key, or after the
 * `Map` index held 64 keys), with ids built to collide in the array index. Written from the mutation run's survivors on this file.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAP_INDEX_MAX, PROBES_MAX, slotOf, TimeBoundMap } from '../src/protocol/plumtree-cache.js';

/** The multiplier's inverse modulo 2^32 (Newton's iteration), to build keys with a chosen product. */
const inverseOf = (odd: number): number => {
  let x = odd;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(odd, x));
  return x;
};
const FIB_INVERSE = inverseOf(0x9e3779b1);
/** The i-th number key whose product has the same top 16 bits: one index slot at every size up to 2^16. */
const colliding = (i: number): number => Math.imul(0x5a5a_0000 + i, FIB_INVERSE);

/**
 * The storage modes: values beside their keys, or keys read from values (value = key * 2); the
 * array index from the first key (`mapIndexMax` 0), or once the `Map` index outgrew 64 keys.
 */
const MODES = [undefined, (value: number): number => value / 2].flatMap((keyOf) =>
  [0, 64].map((mapIndexMax) => ({
    mode: `${keyOf ? 'keys read from values' : 'keys beside values'}, array index ${mapIndexMax === 0 ? 'from the first key' : 'after 64 keys'}`,
    keyOf,
    mapIndexMax,
  })));

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

  for (const { mode, keyOf, mapIndexMax } of MODES) {
    it(`agrees with a list of (key, time) pairs through thousands of inserts, age evictions and capacity evictions (${mode})`, () => {
      // Long enough to compact its lists many times (it drops spent slots once there are 64 and they are half of them); some keys
      // share one index slot, more than a probe looks at, so some go to the overflow map.
      fc.assert(fc.property(
        fc.array(fc.record({
          gapMs: fc.nat(5),
          evictRetentionMs: fc.option(fc.nat(40), { nil: undefined }),
          collides: fc.boolean(),
        }), { minLength: 1_000, maxLength: 6_000 }),
        fc.integer({ min: 1, max: 3_000 }),
        // Short retentions keep a table small; long ones let colliding keys pile past the probe limit.
        fc.constantFrom(1, 100),
        (steps, capacity, retentionScale) => {
          const m = new TimeBoundMap<number, number>(capacity, capacity, keyOf, mapIndexMax);
          const model: [number, number][] = [];
          let nowMs = 0;
          let evicted = 0;
          const keys = steps.map(({ collides }, i) => (collides ? colliding(i) : i));
          steps.forEach(({ gapMs, evictRetentionMs: retentionMs }, i) => {
            const evictRetentionMs = retentionMs === undefined ? undefined : retentionMs * retentionScale;
            nowMs += gapMs;
            m.insert(keys[i], keys[i] * 2, nowMs);
            if (model.length >= capacity) {
              model.shift();
              evicted++;
            }
            model.push([keys[i], nowMs]);
            if (evictRetentionMs !== undefined) {
              const gone: number[] = [];
              while (model.length > 0 && nowMs - model[0][1] >= evictRetentionMs) gone.push(model.shift()![0]);
              expect(m.evictOlderThan(nowMs, evictRetentionMs)).toEqual(gone);
            }
          });
          expect(m.size).toBe(model.length);
          expect(m.evicted).toBe(evicted);
          const held = new Set(model.map(([key]) => key));
          for (const key of keys) expect([m.has(key), m.get(key)]).toEqual(held.has(key) ? [true, key * 2] : [false, undefined]);
        },
      ), { numRuns: 30 });
    });
  }

  it('builds colliding keys that share one index slot and no small key', () => {
    const slots = new Set(Array.from({ length: 6_000 }, (_, i) => slotOf(colliding(i), 16)));
    expect(slots.size).toBe(1);
    expect(Array.from({ length: 6_000 }, (_, i) => colliding(i)).filter((key) => key >= 0 && key < 6_000)).toEqual([]);
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

  for (const { mode, keyOf, mapIndexMax } of MODES) {
    it(`agrees with a model of two tables (received ids, message cache) through thousands of steps (${mode})`, () => {
      fc.assert(fc.property(
        fc.array(fc.record({
          gapMs: fc.nat(5),
          idRetentionMs: fc.option(fc.nat(60), { nil: undefined }),
          cacheRetentionMs: fc.option(fc.nat(30), { nil: undefined }),
          collides: fc.boolean(),
        }), { minLength: 1_000, maxLength: 5_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.constantFrom(1, 100), // as above: small tables, and tables past the probe limit's reach
        (steps, capacity, valuesWanted, retentionScale) => {
          const valuesMax = Math.min(capacity, valuesWanted);
          const m = new TimeBoundMap<number, number>(capacity, valuesMax, keyOf, mapIndexMax);
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
          const keys = steps.map(({ collides }, i) => (collides ? colliding(i) : i));
          steps.forEach(({ gapMs, idRetentionMs: idMs, cacheRetentionMs: cacheMs }, i) => {
            const idRetentionMs = idMs === undefined ? undefined : idMs * retentionScale;
            const cacheRetentionMs = cacheMs === undefined ? undefined : cacheMs * retentionScale;
            const key = keys[i];
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
          const held = new Set(ids.map(([key]) => key));
          const cached = new Set(cache.map(([key]) => key));
          for (const key of keys) expect([m.has(key), m.get(key)]).toEqual([held.has(key), cached.has(key) ? key * 2 : undefined]);
        },
      ), { numRuns: 30 });
    });
  }
});

describe('time-bound map storage (time runs, index, overflow map, keys read from values)', () => {
  /** A value that names its key, as a Gossip names its id. */
  type Named = { id: string; n: number };
  const named = (id: string, n: number): Named => ({ id, n });
  const idOf = (value: Named): string => value.id;

  for (const keyOf of [undefined, idOf]) {
    it(`splits a run of equal insertion times at both capacities and ages each part by its time (${keyOf ? 'keys read from values' : 'keys beside values'})`, () => {
      const m = new TimeBoundMap<string, Named>(3, 2, keyOf);
      for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) m.insert(id, named(id, i), 10); // one millisecond
      // a left for the capacity, b and a lost their values for the value capacity, from inside the run
      expect([m.size, m.valueCount, m.evicted, m.valuesEvicted]).toEqual([3, 2, 1, 2]);
      expect([m.has('a'), m.has('b'), m.get('b'), m.get('c')?.n, m.get('d')?.n]).toEqual([false, true, undefined, 2, 3]);
      m.insert('e', named('e', 4), 20); // b leaves, c's value goes
      expect([m.has('b'), m.has('c'), m.get('c'), m.get('d')?.n, m.get('e')?.n]).toEqual([false, true, undefined, 3, 4]);
      m.dropValuesOlderThan(25, 15); // d (10 ms) is 15 old, e (20 ms) only 5
      expect([m.valueCount, m.get('d'), m.get('e')?.n, m.has('d')]).toEqual([1, undefined, 4, true]);
      expect(m.evictOlderThan(29, 20)).toEqual([]); // the rest of the 10 ms run is 19 old
      expect(m.evictOlderThan(30, 20)).toEqual(['c', 'd']);
      expect([m.size, m.valueCount, m.get('e')?.n, m.evicted, m.valuesEvicted]).toEqual([1, 1, 4, 2, 3]);
    });
  }

  it('starts a new run when an insert at the same millisecond follows the drop of every value', () => {
    const m = new TimeBoundMap<string, number>(4);
    m.insert('a', 1, 10);
    m.dropValuesOlderThan(10, 0); // every value gone: the value cursor stands past the last run
    m.insert('b', 2, 10);
    expect([m.get('a'), m.get('b'), m.valueCount]).toEqual([undefined, 2, 1]);
    m.dropValuesOlderThan(15, 5); // b's value is 5 old
    expect([m.get('b'), m.has('b'), m.valueCount]).toEqual([undefined, true, 0]);
  });

  for (const mapIndexMax of [0, 1_500]) { // the Map index holding exactly as many keys as it may
    it(`keeps answering after its lists are compacted, with the times of what is left (${mapIndexMax === 0 ? 'array' : 'map'} index)`, () => {
      const hexId = (i: number): string => i.toString(16).padStart(64, '0');
      const m = new TimeBoundMap<string, number>(1_500, 1_500, undefined, mapIndexMax);
      for (let i = 0; i < 4_000; i++) m.insert(hexId(i), i, Math.floor(i / 3)); // three per millisecond
      expect([m.size, m.evicted]).toEqual([1_500, 2_500]);
      expect([m.has(hexId(2_499)), m.get(hexId(2_500)), m.get(hexId(3_999))]).toEqual([false, 2_500, 3_999]);
      // entries 2,500..2,501 were inserted at 833 ms, 2,502..2,504 at 834 ms: a retention of 500 at 1,334 ms takes both runs
      expect(m.evictOlderThan(1_334, 500)).toEqual([hexId(2_500), hexId(2_501), hexId(2_502), hexId(2_503), hexId(2_504)]);
      expect([m.size, m.has(hexId(2_504)), m.get(hexId(2_505)), m.indexKind]).toEqual([1_495, false, 2_505, mapIndexMax === 0 ? 'array' : 'map']);
    });
  }

  it('finds keys that share one index slot, past the probe limit, and forgets them when they leave', () => {
    const keyOf = (value: number): number => value / 2;
    const m = new TimeBoundMap<number, number>(2 * PROBES_MAX, PROBES_MAX, keyOf, 0);
    expect(m.indexKind).toBe('array');
    const keys = Array.from({ length: 4 * PROBES_MAX }, (_, i) => colliding(i));
    keys.forEach((key, i) => m.insert(key, key * 2, i));
    const live = keys.slice(2 * PROBES_MAX);
    expect(keys.slice(0, 2 * PROBES_MAX).filter((key) => m.has(key))).toEqual([]);
    expect(live.map((key) => m.get(key))).toEqual(live.map((key, i) => (i < PROBES_MAX ? undefined : key * 2)));
    expect(live.every((key) => m.has(key))).toBe(true);
    expect(m.evictOlderThan(4 * PROBES_MAX - 1, PROBES_MAX)).toEqual(live.slice(0, PROBES_MAX)); // inserted at ms 64..95
    expect(live.map((key) => m.has(key))).toEqual(live.map((_, i) => i >= PROBES_MAX));
  });

  for (const mapIndexMax of [0, MAP_INDEX_MAX]) {
    it(`does not find a key that left in the index slot it left behind, even the key undefined (map index up to ${mapIndexMax} keys)`, () => {
      const m = new TimeBoundMap<string | undefined, number>(2, 2, undefined, mapIndexMax);
      m.insert(undefined, 1, 0);
      m.insert('b', 2, 0);
      m.insert('c', 3, 0); // undefined leaves for the capacity; its slot is cleared to undefined
      expect([m.has(undefined), m.get(undefined), m.has('b'), m.evicted]).toEqual([false, undefined, true, 1]);
    });
  }

  it(`moves from the Map index to the array index at key ${MAP_INDEX_MAX + 1}, answers the same across the move and keeps the array`, () => {
    const hexId = (i: number): string => i.toString(16).padStart(64, '0');
    const m = new TimeBoundMap<string, number>(4_096, 512);
    for (let i = 0; i < MAP_INDEX_MAX; i++) m.insert(hexId(i), i, i);
    expect(m.evictOlderThan(MAP_INDEX_MAX, MAP_INDEX_MAX)).toEqual([hexId(0)]); // the Map index forgets a key that left
    m.insert(hexId(MAP_INDEX_MAX), MAP_INDEX_MAX, MAP_INDEX_MAX);
    expect([m.indexKind, m.size]).toEqual(['map', MAP_INDEX_MAX]);
    const answers = (): unknown[] => Array.from({ length: MAP_INDEX_MAX + 2 }, (_, i) => [m.has(hexId(i)), m.get(hexId(i))]);
    const before = answers();
    expect(before[0]).toEqual([false, undefined]);
    expect(before[1]).toEqual([true, undefined]); // value dropped past the 512 value capacity
    expect(before[MAP_INDEX_MAX]).toEqual([true, MAP_INDEX_MAX]);
    m.insert(hexId(MAP_INDEX_MAX + 1), MAP_INDEX_MAX + 1, MAP_INDEX_MAX + 1);
    expect(m.indexKind).toBe('array');
    const after = [...before.slice(0, MAP_INDEX_MAX + 1), [true, MAP_INDEX_MAX + 1]];
    after[MAP_INDEX_MAX - 511] = [true, undefined]; // the new value pushed the oldest held value out
    expect(answers()).toEqual(after);
    expect(m.evictOlderThan(4 * MAP_INDEX_MAX, 1).length).toBe(MAP_INDEX_MAX + 1); // all leave
    expect([m.size, m.indexKind, m.has(hexId(5))]).toEqual([0, 'array', false]);
    m.insert(hexId(5), 5, 4 * MAP_INDEX_MAX); // a key may come back once it left
    expect([m.get(hexId(5)), m.indexKind]).toEqual([5, 'array']);
  });

  it('refuses a value that names another key, and a key not equal to itself', () => {
    const m = new TimeBoundMap<number, number>(4, 4, (value) => value / 2);
    expect(() => m.insert(1, 3, 0)).toThrow('plumtree-cache: value stored under another key');
    expect(() => new TimeBoundMap<number, number>(4).insert(Number.NaN, 1, 0)).toThrow('plumtree-cache: a key not equal to itself');
    expect(m.size).toBe(0);
    for (const bad of [-1, 0.5]) expect(() => new TimeBoundMap(4, 4, undefined, bad)).toThrow(`plumtree-cache: bad map index bound ${bad}`);
  });

  it('notices a Map index out of step with its entries', () => {
    const m = new TimeBoundMap<string, number>(4);
    m.insert('a', 1, 0);
    (m as unknown as { positions: Map<string, number> }).positions.delete('a'); // a fault no method makes
    expect(() => m.insert('b', 2, 0)).toThrow('plumtree-cache: index out of step with the entries');
  });
});

describe('time-bound map memory (what it lets go of)', () => {
  // A node of a long run at one message a second keeps 90 s of ids: its table must hold about
  // that, not a thousand spent slots (docs/performance.md, round 42).
  for (const mapIndexMax of [0, MAP_INDEX_MAX]) {
    it(`holds lists of about twice the live entries through a long run at a low rate (${mapIndexMax === 0 ? 'array' : 'map'} index)`, () => {
      const m = new TimeBoundMap<number, number>(50_000, 50_000, undefined, mapIndexMax);
      let most = 0;
      for (let s = 0; s < 3_600; s++) {
        m.insert(s, s, s * 1_000);
        m.evictOlderThan(s * 1_000, 90_000);
        most = Math.max(most, m.storedSlots);
      }
      expect([m.size, m.has(3_510), m.has(3_509), m.evicted]).toEqual([90, true, false, 0]);
      expect(most).toBeLessThanOrEqual(2 * 90 + 64);
    });
  }

  // At an all-nodes burst's peak every node holds a payload per message; a value kept after its
  // entry left (by age or capacity) or after the value capacity dropped it would hold that
  // payload until the slot is compacted away, as many inserts later as the table holds.
  for (const keyOf of [undefined, (value: { key: number }): number => value.key]) {
    it(`holds no reference to a value that left or was dropped (${keyOf ? 'keys read from values' : 'keys beside values'})`, async () => {
      v8.setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const m = new TimeBoundMap<number, { key: number }>(3, 2, keyOf);
      const n = new TimeBoundMap<number, { key: number }>(2, 2, keyOf);
      const refs = ((): WeakRef<{ key: number }>[] => {
        const values = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((key) => ({ key }));
        m.insert(0, values[0], 0);
        m.insert(1, values[1], 0);
        m.insert(2, values[2], 10); // the value capacity drops 0's value
        m.evictOlderThan(15, 10); // age evicts 0, and 1 with its value
        m.insert(3, values[3], 20);
        m.dropValuesOlderThan(30, 15); // 2's value is 20 old: dropped (3's is 10 old: kept)
        m.insert(4, values[4], 30);
        m.insert(5, values[5], 30); // the key capacity evicts 2; the value capacity drops 3's value
        n.insert(6, values[6], 0);
        n.insert(7, values[7], 0);
        n.insert(8, values[8], 0); // the key capacity evicts 6 with its value
        return values.map((v) => new WeakRef(v));
      })();
      expect([m.size, m.valueCount, m.has(3), m.get(4)?.key, m.get(5)?.key, n.size, n.get(7)?.key, n.get(8)?.key]).toEqual([3, 2, true, 4, 5, 2, 7, 8]);
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true, true, true, false, false, true, false, false]);
    });
  }
});
