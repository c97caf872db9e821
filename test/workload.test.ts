/**
 * Scenario workloads (SPEC §10.3) end to end. Goal: broadcast entries send probes at the given
 * times from the given senders and every live node delivers them; a failure entry kills the
 * given share of live nodes at once, and its mode decides how peers learn — `crash` under
 * `deadPeer: close` is heard within a link latency, `vanish` is silent. Method: small scenario
 * files run in-process; assertions read the nodes' own spans (probe deliveries, peer
 * disconnects with their reason), not the harness's bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { runScenario } from '../src/scenario/runner.js';
import type { Scenario } from '../src/scenario/scenario.js';
import { plannedNodes } from '../src/scenario/topology.js';
import { withChaos } from '../src/catalog/chaos-scenarios.js';

function scenario(json: Record<string, unknown>): Scenario {
  const parsed = parseScenarioJson({ name: 'workload', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 12 } }] }, probeIntervalMs: 0, ...json });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

describe('broadcast entries', () => {
  it('send at the given times from a fixed sender, padded to sizeBytes, delivered by every node', () => {
    const { report, cluster } = runScenario(scenario({ durationMs: 20_000, workload: [{ kind: 'broadcast', sender: 'fixed', fromMs: 10_000, everyMs: 1_000, count: 3, sizeBytes: 600 }] }), '3');
    expect(report.verdict, JSON.stringify(report.violations)).toBe('pass');
    const sent = cluster.telemetry.query.find({ name: 'mesh.probe.sent' }).filter((s) => s.endMs < 20_000);
    expect(sent.map((s) => s.endMs)).toEqual([10_000, 11_000, 12_000]);
    expect(new Set(sent.map((s) => s.node)).size).toBe(1);
    for (const s of sent) expect(Number(s.attrs.sizeBytes)).toBeGreaterThanOrEqual(598);
    for (const s of sent) {
      const deliveries = cluster.telemetry.query.find({ name: 'mesh.probe.delivered', attrs: { probeId: s.attrs.probeId } });
      expect(deliveries).toHaveLength(12); // 13 nodes with the observer, minus the sender
      expect(Math.min(...deliveries.map((d) => Number(d.attrs.hop)))).toBe(1);
    }
  });
});

describe('failure entries', () => {
  const killAt = 15_000;
  const run = (mode: 'crash' | 'vanish') =>
    runScenario(scenario({ durationMs: 20_000, network: { deadPeer: 'close' }, workload: [{ kind: 'failure', atMs: killAt, count: 3, mode }] }), '5');

  it('a crash under deadPeer close is heard by peers within one link latency (+ jitter)', () => {
    const { report, cluster } = run('crash');
    expect(report.workload).toMatchObject({ failures: [{ atMs: killAt, killed: 3, mode: 'crash' }] });
    const resets = cluster.telemetry.query.find({ name: 'mesh.peer.disconnected', sinceMs: killAt, untilMs: killAt + 15, attrs: { reason: 'reset' } });
    expect(resets.length).toBeGreaterThan(0);
    expect(report.nodes.live).toBe(10);
  });

  it('a vanish is silent even under deadPeer close: nobody hears it before the idle timeout', () => {
    const { report, cluster } = run('vanish');
    expect(report.workload).toMatchObject({ failures: [{ atMs: killAt, killed: 3, mode: 'vanish' }] });
    expect(cluster.telemetry.query.find({ name: 'mesh.peer.disconnected', sinceMs: killAt, untilMs: killAt + 1_000, attrs: { reason: 'reset' } })).toHaveLength(0);
  });

  it('leave a node a chaos event is acting on to that event: its detector judges it', () => {
    // A random layout under --chaos 12 with a 30 % crash failure: the failure killed a registry
    // firewalled 18 s before, and its event failed "stopped while firewalled". Here every live
    // node is asked to fail while one is firewalled: all but that one do; the share is still of
    // every live node.
    const base = scenario({ durationMs: 40_000, workload: [{ kind: 'failure', atMs: killAt, fraction: 1, mode: 'crash' }] });
    const victim = plannedNodes(base.topology, '5').find((p) => p.role === 'gateway')!;
    const { report, cluster } = runScenario(withChaos(base, { events: [{ atMs: 10_000, primitive: 'firewall_inbound', fault: { targets: [victim.name], params: { durationMs: 20_000 } } }] }), '5');
    const [failure] = cluster.telemetry.query.find({ name: 'workload.failure' });
    const killed = String(failure.attrs.targets).split(',');
    expect(killed).toHaveLength(12); // the 13 live nodes (12 gateways and the observer) but the victim
    expect(killed).not.toContain(victim.name);
    expect(report.workload).toMatchObject({ failures: [{ atMs: killAt, killed: 12, mode: 'crash' }] });
    expect(cluster.host(victim.nodeId).status).toBe('running');
  });
});
