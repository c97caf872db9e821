/**
 * A node planned without seeds (the first of its mesh when there is no observer, SPEC §2.1) that
 * restarts. Goal: it rejoins through the nodes booted after it, at once, as every other node
 * rejoins through its seeds; its first boot is left as planned (nobody to dial yet), and so is
 * the observer. Method: a 40-node protocol mesh without observer, its first node killed by
 * `kill_node` and restarted when the detection settles; its spans after the restart.
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../src/catalog/chaos-scenarios.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { plannedNodes } from '../src/scenario/topology.js';
import { runScenario } from '../src/scenario/runner.js';

describe('a seedless node that restarts', () => {
  it('joins again through the next nodes of its mesh within a second, and is back in the overlay', () => {
    const parsed = parseScenarioJson({
      name: 'first-node-restarts', profile: 'protocol', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 40 } }], observer: false },
      bootSpacingMs: 5, durationMs: 80_000, healWindowMs: 30_000,
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const plans = plannedNodes(parsed.scenario.topology, '3');
    const first = plans[0];
    expect(first.seeds).toEqual([]);
    const scenario = withChaos(parsed.scenario, { events: [{ atMs: 10_000, primitive: 'kill_node', fault: { targets: [first.name], params: {} } }] });
    const { report, cluster } = runScenario(scenario, '3');
    const records = cluster.telemetry.records;
    const ready = records.filter((r) => r.name === 'mesh.node.ready' && r.node === first.name);
    expect(ready.map((r) => r.attrs.incarnation)).toEqual([1, 2]);
    const restartMs = ready[1].endMs;
    const nameOf = new Map(plans.map((p) => [p.nodeId, p.name]));
    // No join at the first boot: nobody to dial.
    expect(records.some((r) => r.name === 'mesh.gossip.join' && r.node === first.name && r.endMs < restartMs)).toBe(false);
    const joins = records.filter((r) => r.name === 'mesh.gossip.join' && r.node === first.name && r.endMs >= restartMs);
    expect(joins.length).toBeGreaterThan(0);
    expect(joins[0].endMs - restartMs).toBeLessThan(1_000);
    expect([plans[1].name, plans[2].name]).toContain(nameOf.get(String(joins[0].attrs.peerId)));
    const up = records.find((r) => r.name === 'mesh.gossip.neighbor_up' && r.node === first.name && r.endMs >= restartMs)!;
    expect(up.endMs - restartMs).toBeLessThan(1_000);
    expect(report.verdict, report.violations.map((v) => v.message).join('; ')).toBe('pass');
  });
});
