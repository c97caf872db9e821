/**
 * Topology planning at scale (SPEC §2.1, §10.1, §10.3 `topology.observer`). Goal: the default
 * 18-node layout keeps the observer as every node's seed; large layouts spread seeds so that no
 * node is every node's seed (with or without the observer); without the observer a first node
 * of each mesh has no seed and every other node has one of its own mesh. Method: plan with a
 * fixed seed and count, for each node, how many others list it as a seed.
 */
import { describe, expect, it } from 'vitest';
import { RngStreams, SimRng } from '../../src/sim/rng.js';
import { DEFAULT_TOPOLOGY, OBSERVER_SEEDED_PER_MESH, planTopology, type NodePlan, type TopologySpec } from '../../src/scenario/topology.js';

const plan = (spec: TopologySpec): NodePlan[] => planTopology(spec, new SimRng('topology-test'));

function seededBy(plans: readonly NodePlan[]): number[] {
  const counts = plans.map(() => 0);
  for (const p of plans) for (const s of p.seeds) counts[s.index]++;
  return counts;
}

describe('seeds', () => {
  it('the default layout keeps the observer as every node s seed', () => {
    const plans = plan(DEFAULT_TOPOLOGY);
    expect(plans).toHaveLength(19);
    expect(plans[0].role).toBe('observer');
    for (const p of plans.slice(1)) expect(p.seeds[0].index).toBe(0);
  });

  it('at 5,000 nodes with the observer, it seeds only the first nodes of each mesh and nobody seeds everyone', () => {
    const plans = plan({ meshes: [{ meshId: 'a', roles: [['gateway', 2_500]] }, { meshId: 'b', roles: [['broker', 2_499]] }], bridges: 0 });
    expect(plans).toHaveLength(5_000);
    const counts = seededBy(plans);
    expect(counts[0]).toBe(2 * OBSERVER_SEEDED_PER_MESH);
    // Uniform picks among earlier nodes: the busiest seed serves a small share of the cluster.
    expect(Math.max(...counts)).toBeLessThan(plans.length / 20);
    for (const p of plans.slice(1)) {
      expect(p.seeds.length).toBeGreaterThan(0);
      for (const s of p.seeds) expect(s.index).toBeLessThan(p.index);
    }
  });

  it('without the observer, seeds are earlier nodes of the same mesh', () => {
    const plans = plan({ meshes: [{ meshId: 'a', roles: [['gateway', 300]] }], bridges: 2, observer: false });
    expect(plans.some((p) => p.role === 'observer')).toBe(false);
    expect(plans[0].seeds).toEqual([]);
    for (const p of plans.slice(1)) {
      expect(p.seeds.length).toBeGreaterThan(0);
      for (const s of p.seeds) expect(plans[s.index].meshIds).toEqual(expect.arrayContaining([...s.meshIds]));
    }
    const bridges = plans.filter((p) => p.role === 'bridge');
    expect(bridges[0].seeds.map((s) => s.meshIds)).toEqual([['a']]);
    expect(bridges[1].seeds.map((s) => s.meshIds)).toContainEqual(['bridge']);
  });

  it('planning is deterministic', () => {
    const spec: TopologySpec = { meshes: [{ meshId: 'a', roles: [['gateway', 2_000]] }], bridges: 0, observer: false };
    expect(plan(spec)).toEqual(plan(spec));
  });
});

describe('names', () => {
  it('are <role>-<8 hex of the id>, and unique at 100,000 nodes where 8 hex digits collide', () => {
    const small = plan(DEFAULT_TOPOLOGY);
    for (const p of small) expect(p.name).toBe(`${p.role}-${p.nodeId.slice(0, 8)}`);
    // The moonshot's seed: two of its ids share their first 8 hex digits with an earlier node's.
    const plans = planTopology({ meshes: [{ meshId: 'mesh-a', roles: [['gateway', 100_000]] }], bridges: 0, observer: false }, new RngStreams('1').stream('topology'));
    expect(new Set(plans.map((p) => p.name)).size).toBe(plans.length);
    const longer = plans.filter((p) => p.name !== `${p.role}-${p.nodeId.slice(0, 8)}`);
    expect(longer.map((p) => p.name)).toEqual(['gateway-1ebac1a758', 'gateway-b97c3d0851']);
    for (const p of longer) {
      expect(p.name).toBe(`gateway-${p.nodeId.slice(0, 10)}`);
      expect(plans.some((q) => q.index < p.index && q.name === `gateway-${p.nodeId.slice(0, 8)}`)).toBe(true);
    }
  });
});
