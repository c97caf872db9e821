/**
 * The transport's lent chunks (chunk-pool.ts). Goal: a chunk's memory is handed out again only
 * after every chunk carved beside it came back, a chunk is zero-filled when lent, a chunk not
 * lent by the pool is ignored, and a chunk returned twice is an error. Method: random sequences
 * of lends and returns (fast-check) against a list of the chunks still out, checking that no two
 * of them share a byte and that each is as its writer left it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { runScheduleFile } from '../src/property/replay.js';
import { loadScheduleFile } from '../src/property/schedule.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { runScenario } from '../src/scenario/runner.js';
import { LENT_CHUNK_BYTES_MAX, chunkPoolStats, lendChunk, returnChunk, setChunkPoisoning } from '../src/sim/network/chunk-pool.js';

afterEach(() => setChunkPoisoning(false));

const SEEDS_DIR = join(import.meta.dirname, '..', 'seeds');

const overlap = (a: Uint8Array, b: Uint8Array): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;

describe('chunk-pool', () => {
  it('never lends a byte that is still out, and lends zero-filled chunks', () => {
    const op = fc.oneof(
      fc.record({ lend: fc.integer({ min: 1, max: 9000 }) }),
      fc.record({ give: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), fc.boolean(), (ops, poison) => {
        setChunkPoisoning(poison);
        const out: { chunk: Uint8Array; mark: number }[] = [];
        let marks = 0;
        for (const o of ops) {
          if ('lend' in o) {
            const chunk = lendChunk(o.lend);
            expect(chunk.length).toBe(o.lend);
            expect(chunk.every((b) => b === 0)).toBe(true);
            for (const held of out) expect(overlap(chunk, held.chunk)).toBe(false);
            const mark = (marks++ % 250) + 1;
            chunk.fill(mark); // the writer's bytes, which must stay as written until returned
            out.push({ chunk, mark });
          } else if (out.length > 0) {
            const [given] = out.splice(o.give % out.length, 1);
            returnChunk(given.chunk);
          }
          for (const held of out) expect(held.chunk.every((b) => b === held.mark)).toBe(true);
        }
        for (const held of out) returnChunk(held.chunk);
      }),
      { seed: 31, numRuns: 200 },
    );
  });

  /** Lends chunks of the largest size until one starts a slab, and returns that one. */
  const slabStart = (): Uint8Array => {
    for (;;) {
      const c = lendChunk(LENT_CHUNK_BYTES_MAX);
      if (c.byteOffset === 0) return c;
      returnChunk(c);
    }
  };

  it('reuses a slab once all its chunks are back, not before', () => {
    const mine = [slabStart(), ...Array.from({ length: 7 }, () => lendChunk(LENT_CHUNK_BYTES_MAX))];
    const slab = mine[0].buffer;
    expect(mine.every((c) => c.buffer === slab)).toBe(true); // eight of 8 KiB fill a 64 KiB slab
    const others: Uint8Array[] = [];
    const lendMore = (): boolean => {
      const more = Array.from({ length: 9 }, () => lendChunk(LENT_CHUNK_BYTES_MAX)); // at least one new slab
      others.push(...more);
      return more.some((c) => c.buffer === slab);
    };
    expect(lendMore()).toBe(false);
    for (const c of mine.slice(1)) returnChunk(c);
    expect(lendMore()).toBe(false); // one chunk of it is still out
    const reusedBefore = chunkPoolStats.slabsReused;
    returnChunk(mine[0]);
    expect(lendMore()).toBe(true);
    expect(chunkPoolStats.slabsReused).toBeGreaterThan(reusedBefore);
    for (const c of others) returnChunk(c);
  });

  it('frees a slab whose chunks all came back while it was being carved, once it is not', () => {
    const mine = [slabStart(), ...Array.from({ length: 7 }, () => lendChunk(LENT_CHUNK_BYTES_MAX))];
    const slab = mine[0].buffer;
    for (const c of mine) returnChunk(c); // all back while their slab is still the current one
    const later = Array.from({ length: 17 }, () => lendChunk(LENT_CHUNK_BYTES_MAX));
    expect(later.some((c) => c.buffer === slab)).toBe(true);
    for (const c of later) returnChunk(c);
  });

  it('poisons a returned chunk in the poisoning mode, and leaves it alone otherwise', () => {
    const kept = lendChunk(100);
    kept.fill(7);
    returnChunk(kept);
    expect(kept.every((b) => b === 7)).toBe(true);
    setChunkPoisoning(true);
    const poisoned = lendChunk(100);
    poisoned.fill(7);
    returnChunk(poisoned);
    expect(poisoned.every((b) => b === 7)).toBe(false);
  });

  it('ignores chunks it did not lend, and lends none larger than its bound', () => {
    const own = new Uint8Array(100).fill(3);
    const returned = chunkPoolStats.chunksReturned;
    returnChunk(own);
    expect(chunkPoolStats.chunksReturned).toBe(returned);
    const large = lendChunk(LENT_CHUNK_BYTES_MAX + 1);
    expect(large.byteLength).toBe(large.buffer.byteLength); // a buffer of its own
    returnChunk(large);
    expect(chunkPoolStats.chunksReturned).toBe(returned);
  });

  it('in the poisoning mode, refuses a chunk returned twice while others of its slab are out', () => {
    setChunkPoisoning(true);
    for (let i = 0; i < 9; i++) returnChunk(lendChunk(LENT_CHUNK_BYTES_MAX)); // a slab taken in the poisoning mode
    const a = lendChunk(100);
    const b = lendChunk(100);
    returnChunk(a);
    expect(() => returnChunk(a)).toThrow(/returned twice/);
    returnChunk(b); // the other chunk still goes back
  });

  it('refuses a chunk returned twice once its slab is free', () => {
    const a = lendChunk(100);
    for (let i = 0; i < 9; i++) returnChunk(lendChunk(LENT_CHUNK_BYTES_MAX)); // the slab of `a` is no longer the current one
    returnChunk(a);
    expect(() => returnChunk(a)).toThrow(/returned twice/);
  });
});

/**
 * Whole runs with every returned chunk poisoned at once: a chunk returned while something could
 * still read it (a reader that keeps views, a deferred read, a retransmission) would decode as
 * garbage there, and the trace would change. Each run must give the same trace digest as
 * without poisoning.
 */
describe('chunk-pool: returned chunks are never read again, in whole runs', () => {
  const digestOf = (run: () => string, poison: boolean): string => {
    setChunkPoisoning(poison);
    try {
      return run();
    } finally {
      setChunkPoisoning(false);
    }
  };
  const seedsWith = (primitive: string): string[] =>
    readdirSync(SEEDS_DIR).filter((f) => f.endsWith('.json') && readFileSync(join(SEEDS_DIR, f), 'utf8').includes(`"${primitive}"`)).sort();

  // A wedged node (reads deferred), lossy links (retransmissions), restarts and NAT shifts.
  it.each([...new Set([...seedsWith('wedge_node'), ...seedsWith('lossy_link')])].slice(0, 2))('%s', (name) => {
    const loaded = loadScheduleFile(join(SEEDS_DIR, name));
    if (!loaded.ok) throw new Error(loaded.error);
    const run = (): string => {
      const r = runScheduleFile(loaded.file, loaded.base === undefined ? {} : { base: loaded.base });
      if (!r.ok) throw new Error(r.error);
      return r.outcome.report.traceDigest;
    };
    const returned = chunkPoolStats.chunksReturned;
    expect(digestOf(run, true)).toBe(digestOf(run, false));
    expect(chunkPoolStats.chunksReturned - returned).toBeGreaterThan(10_000);
  });

  it('an all-nodes burst of 150 nodes (full IHave frames, packed and joined chunks)', () => {
    const parsed = parseScenarioJson({
      name: 'burst-150',
      profile: 'protocol',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 150 } }], bridges: 0, observer: false },
      bootSpacingMs: 5,
      durationMs: 12_000,
      healWindowMs: 20_000,
      probeIntervalMs: 0,
      workload: [{ kind: 'broadcast', sender: 'all', fromMs: 8_000, count: 1 }],
    });
    if (!parsed.ok) throw new Error(parsed.error);
    // The digest and the frames counted by type (read from the frames after they are sent).
    const run = (): string => {
      const { report } = runScenario(parsed.scenario, '3');
      expect(report.verdict).toBe('pass');
      return `${report.traceDigest} ${JSON.stringify(report.traffic)}`;
    };
    const lent = chunkPoolStats.chunksLent;
    const returned = chunkPoolStats.chunksReturned;
    expect(digestOf(run, true)).toBe(digestOf(run, false));
    // Nearly every lent chunk came back: all but those on the wire when the runs ended.
    const lentInRuns = chunkPoolStats.chunksLent - lent;
    expect(lentInRuns).toBeGreaterThan(10_000);
    expect(lentInRuns - (chunkPoolStats.chunksReturned - returned)).toBeLessThan(lentInRuns / 100);
  });
});
