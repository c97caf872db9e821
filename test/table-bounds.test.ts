/**
 * Table bounds derived from the configuration (src/scenario/table-bounds.ts). Goal: an
 * all-nodes burst is counted as what it is, every message in every table at once, so 2,000
 * nodes broadcasting together do not trip "message cache 2000 > 1998" (seen in a 2,000-node
 * burst); rates keep their slack. Method: bounds of scenarios with and without the burst.
 */
import { describe, expect, it } from 'vitest';
import { tableBounds } from '../src/scenario/table-bounds.js';
import type { Cluster } from '../src/scenario/cluster.js';
import type { Scenario } from '../src/scenario/scenario.js';
import type { WorkloadEntry } from '../src/scenario/workload.js';

function bounds(nodes: number, workload: WorkloadEntry[]) {
  const scenario = {
    name: 'b',
    description: 'b',
    durationMs: 60_000,
    profile: 'protocol',
    topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', nodes]] }], bridges: 0, observer: false },
    probeIntervalMs: 0,
    workload,
  } as unknown as Scenario;
  const plans = Array.from({ length: nodes }, (_, i) => ({ bootAtMs: i * 5, meshIds: ['mesh-a'], seeds: [] }));
  return tableBounds(scenario, { plans } as unknown as Cluster);
}

const steady = { kind: 'broadcast', sender: 'random', fromMs: 1_000, everyMs: 1_000, count: 120 } as unknown as WorkloadEntry;
const burst = { kind: 'broadcast', sender: 'all', fromMs: 20_000, everyMs: 1, count: 1 } as unknown as WorkloadEntry;

describe('table bounds with an all-nodes burst', () => {
  for (const n of [1_001, 2_000, 10_000]) {
    it(`${n} nodes: the burst adds exactly ${n} entries to the cache and id bounds`, () => {
      const without = bounds(n, [steady]);
      const withBurst = bounds(n, [steady, burst]);
      expect(withBurst.plumtreeCache - without.plumtreeCache).toBe(n);
      expect(withBurst.plumtreeIds - without.plumtreeIds).toBe(n);
      expect(withBurst.plumtreeCache).toBeGreaterThan(n);
    });
  }

  it('a steady rate keeps its slack: 1 broadcast/s fills 30 s of cache twice over', () => {
    const b = bounds(100, [steady]);
    const none = bounds(100, []);
    expect(b.plumtreeCache - none.plumtreeCache).toBe(60);
  });
});
