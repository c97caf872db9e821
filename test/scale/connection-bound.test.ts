/**
 * The bound on a node's connections (tables-bounded). Goal: it holds a node that refills its
 * active view from scratch, which may ask a whole passive view's worth of candidates in one
 * round, each refused request's connection open for the unused-connection grace; and a node
 * whose neighbours go one after another, each loss starting a round while the last one's
 * refused connections are still open; it is not views + seeds + a few. Method: a 100-node
 * protocol mesh under six random chaos events (seed 7: a NAT shift whose target lost its five
 * neighbours in about 5 s), and two meshes of 500 under eight (seed 2: a NAT shift whose
 * target's five old paths idled out over 6.4 s, the last four within 1.4 s); the nodes'
 * connections sampled every second against the bound without the rounds, with one, and with one
 * per active slot.
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { HYPARVIEW_DEFAULTS } from '../../src/protocol/hyparview-types.js';
import { withoutAckIdleRestart } from '../support/chaos.js';
import { scenarioOf } from '../support/scenario-file.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { Cluster } from '../../src/scenario/cluster.js';
import type { Scenario } from '../../src/scenario/scenario.js';

/** The run, with the most connections any node held at a per-second sample, whose they were, and that node's seeds. */
function peakConnections(scenario: Scenario, seed: string) {
  let cluster: Cluster | undefined;
  let peak = 0;
  let peakOf = '';
  const { report } = runScenario(scenario, seed, {
    onStart: (c) => void (cluster = c),
    onProgress: (p) => {
      if (p.pace !== 'second') return;
      for (const plan of cluster!.plans) {
        const n = cluster!.app(plan.nodeId)?.peers.connectionCount() ?? 0;
        if (n > peak) [peak, peakOf] = [n, plan.name];
      }
    },
  });
  const shifted = (report.chaos as { log: { primitive: string; targets: string[] }[] }).log.filter((e) => e.primitive === 'nat_shift').map((e) => e.targets[0]);
  return { report, peak, peakOf, shifted, seeds: cluster!.plans.find((x) => x.name === peakOf)!.seeds.length };
}

const { activeViewCapacity: a, passiveViewCapacity: p } = HYPARVIEW_DEFAULTS;

describe('a node refilling its active view from scratch', () => {
  it('holds more connections than its views for a moment, within one refill round of them', () => {
    const base = scenarioOf({
      name: 'p100', profile: 'protocol', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 100 } }], observer: false },
      bootSpacingMs: 5, durationMs: 120_000, healWindowMs: 60_000,
    });
    const { report, peak, peakOf, shifted, seeds } = peakConnections(withChaos(withoutAckIdleRestart(base), { random: { count: 6 } }), '7');
    expect(shifted[0]).toBe(peakOf);
    expect(peak).toBeGreaterThan(a + p + seeds + 8);
    expect(peak).toBeLessThanOrEqual(a + 2 * p + seeds + 8);
    expect(report.verdict, report.violations.map((v) => v.message).join('; ')).toBe('pass');
  }, 60_000);

  it('whose neighbours go one after another holds a round per neighbour lost, within one per active slot', () => {
    const base = scenarioOf({
      name: 'b1k', profile: 'protocol',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 500 } }, { meshId: 'mesh-b', roles: { gateway: 500 } }], bridges: 2, observer: false },
      bootSpacingMs: 5, durationMs: 120_000, healWindowMs: 30_000,
    });
    const { report, peak, peakOf, shifted, seeds } = peakConnections(withChaos(withoutAckIdleRestart(base), { random: { count: 8 } }), '2');
    expect(shifted).toContain(peakOf);
    expect(peak).toBeGreaterThan(a + 2 * p + seeds + 8); // more than one round
    expect(peak).toBeLessThanOrEqual(a + p + a * p + seeds + 8);
    expect(report.verdict, report.violations.map((v) => v.message).join('; ')).toBe('pass');
  }, 60_000);
});
