/**
 * The arbitraries and the decoder. Goal: topologies stay within 1–3 meshes and 4–40 nodes;
 * schedules are sorted, reach their maximum length (size 'max'), and shrink toward fewer,
 * earlier, milder events; decoding names only nodes of the seed's planned topology, never the
 * observer, never a node still under an earlier fault, and with 'none' one fault at a time.
 * Method: fast-check over the arbitraries themselves (no simulation runs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArb, NODES_MAX, NODES_MIN, scheduleArb, topologyArb } from '../../src/property/arbitraries.js';
import { decodeCase, FAULT_BUSY_MS, plannedNodes } from '../../src/property/decode.js';
import { faultLengthMs } from '../../src/property/shapes.js';
import { PRIMITIVE_NAMES } from '../../src/primitives/types.js';
import { nodeCount } from '../../src/scenario/topology.js';

describe('arbitraries', () => {
  it('topologies: 1–3 meshes, 4–40 nodes, bridges only between meshes', () => {
    fc.assert(
      fc.property(topologyArb(), (t) => {
        expect(t.meshes.length).toBeGreaterThanOrEqual(1);
        expect(t.meshes.length).toBeLessThanOrEqual(3);
        expect(nodeCount(t)).toBeGreaterThanOrEqual(NODES_MIN);
        expect(nodeCount(t)).toBeLessThanOrEqual(NODES_MAX);
        if (t.meshes.length === 1) expect(t.bridges).toBe(0);
      }),
    );
  });

  it('schedules are sorted and long enough to matter (size max)', () => {
    const lengths = fc.sample(scheduleArb([...PRIMITIVE_NAMES], { eventsMax: 12 }), { numRuns: 200, seed: 3 }).map((s) => {
      expect(s.map((e) => e.atMs)).toEqual([...s.map((e) => e.atMs)].sort((a, b) => a - b));
      return s.length;
    });
    expect(Math.max(...lengths)).toBe(12);
    expect(lengths.filter((n) => n >= 8).length).toBeGreaterThan(40);
  });

  it('a failure needing one late clock_skew shrinks to exactly that: one event, earliest time, mildest other params', () => {
    const result = fc.check(
      fc.property(scheduleArb([...PRIMITIVE_NAMES], { startMs: 15_000, endMs: 120_000 }), (s) => !s.some((e) => e.primitive === 'clock_skew' && e.atMs >= 30_000 && Math.abs(Number(e.params.skewMs)) >= 20_000)),
      { seed: 11, numRuns: 500 },
    );
    expect(result.failed).toBe(true);
    const [shrunk] = result.counterexample!;
    expect(shrunk).toHaveLength(1);
    expect(shrunk[0]).toMatchObject({ primitive: 'clock_skew', atMs: 30_000, targets: [0], params: { durationMs: 6_000 } });
    expect(Math.abs(Number(shrunk[0].params.skewMs))).toBe(20_000);
  });
});

describe('decodeCase', () => {
  it('names planned non-observer nodes, keeps faults off busy nodes, and serializes with overlap none', () => {
    fc.assert(
      fc.property(caseArb([...PRIMITIVE_NAMES]), fc.constantFrom<'per-node' | 'none'>('per-node', 'none'), (c, overlap) => {
        const plans = plannedNodes(c.topology, c.seed);
        const byName = new Map(plans.map((p) => [p.name, p]));
        const file = decodeCase(c, { name: 'x', overlap });
        const busyUntil = new Map<string, number>();
        let allBusyUntil = 0;
        for (const e of file.schedule) {
          expect(new Set(e.targets).size).toBe(e.targets.length);
          if (overlap === 'none') expect(e.atMs).toBeGreaterThanOrEqual(allBusyUntil);
          for (const t of e.targets) {
            expect(byName.get(t)?.role).toBeDefined();
            expect(byName.get(t)!.role).not.toBe('observer');
            expect(e.atMs).toBeGreaterThanOrEqual(busyUntil.get(t) ?? 0);
            busyUntil.set(t, e.atMs + faultLengthMs(e.primitive, e.params) + FAULT_BUSY_MS);
          }
          allBusyUntil = e.atMs + faultLengthMs(e.primitive, e.params) + FAULT_BUSY_MS;
        }
      }),
      { numRuns: 200 },
    );
  });
});
