/**
 * The bound on a node's connections (tables-bounded). Goal: it holds a node that refills its
 * active view from scratch, which may ask a whole passive view's worth of candidates in one
 * round, each refused request's connection open for the unused-connection grace; it is not
 * views + seeds + a few. Method: a 100-node protocol mesh under six random chaos events (seed
 * 25: a NAT shift whose target lost its five neighbours in about 5 s); the target's connections
 * sampled every second against the bound without the round and with it.
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { HYPARVIEW_DEFAULTS } from '../../src/protocol/hyparview-types.js';
import { scenarioOf } from '../support/scenario-file.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { Cluster } from '../../src/scenario/cluster.js';

describe('a node refilling its active view from scratch', () => {
  it('holds more connections than its views for a moment, within one refill round of them', () => {
    const base = scenarioOf({
      name: 'p100', profile: 'protocol', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 100 } }], observer: false },
      bootSpacingMs: 5, durationMs: 120_000, healWindowMs: 60_000,
    });
    let cluster: Cluster | undefined;
    let peak = 0;
    let peakOf = '';
    const { report } = runScenario(withChaos(base, { random: { count: 6 } }), '25', {
      onStart: (c) => void (cluster = c),
      onProgress: (p) => {
        if (p.pace !== 'second') return;
        for (const plan of cluster!.plans) {
          const n = cluster!.app(plan.nodeId)?.peers.connectionCount() ?? 0;
          if (n > peak) [peak, peakOf] = [n, plan.name];
        }
      },
    });
    const shifted = (report.chaos as { log: { primitive: string; targets: string[] }[] }).log.find((e) => e.primitive === 'nat_shift');
    expect(peakOf).toBe(shifted?.targets[0]);
    const { activeViewCapacity: a, passiveViewCapacity: p } = HYPARVIEW_DEFAULTS;
    const seeds = cluster!.plans.find((x) => x.name === peakOf)!.seeds.length;
    expect(peak).toBeGreaterThan(a + p + seeds + 8);
    expect(peak).toBeLessThanOrEqual(a + 2 * p + seeds + 8);
    expect(report.verdict, report.violations.map((v) => v.message).join('; ')).toBe('pass');
  }, 60_000);
});
