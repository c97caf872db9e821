/**
 * FirewallInbound. Goal: a node whose inbound connections are dropped stays in the mesh through
 * the connections it dials out (probes from and to it are delivered, its heartbeat shows peers,
 * nobody prunes it); and the detector goes red when its outbound connections are not kept.
 * Method: the `firewall-inbound` battery scenario over two seeds; then the same with a
 * stateless firewall double that also blocks the node's own outbound connections, alone and
 * with a concurrent kill elsewhere (which must not excuse it).
 */
import { describe, expect, it } from 'vitest';
import { BATTERY_EVENT_AT_MS } from '../../src/catalog/chaos-scenarios.js';
import { chaosExtension } from '../../src/primitives/engine.js';
import { expectGreen, explain, runChaos, scenarioNamed } from '../support/chaos.js';
import { statelessFirewall } from '../support/chaos-links.js';

describe('firewall_inbound', () => {
  it('firewall-inbound', () => {
    for (const run of expectGreen('firewall-inbound', ['1', '2'], [])) {
      const e = run.events[0];
      // Shown in the mesh only after its inbound connections had time to idle out.
      expect(e.waitedMs).toBeGreaterThan(30_000);
      expect(e.evidence.some((s) => s.startsWith(`${e.targets[0]}:mesh.heartbeat`))).toBe(true);
      expect(e.evidence.some((s) => s.startsWith(`${e.targets[0]}:mesh.probe.delivered`))).toBe(true);
    }
  });

  it('firewall-inbound goes red when the node\'s outbound connections are not kept', () => {
    const base = scenarioNamed('firewall-inbound');
    const run = runChaos('firewall-inbound', '1', undefined, { extensions: [statelessFirewall(), ...(base.extensions ?? [])] });
    expect(run.events).toHaveLength(1);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/fell out of the mesh|not shown in the mesh/);
    expect(run.report.verdict).toBe('fail');
  });

  it('a concurrent fault that leaves the victim a path excuses nothing', () => {
    // The same broken firewall, with a node elsewhere killed a second later: the detector now
    // weighs the other fault's cuts before blaming a prune, and must still blame this one.
    const events = [
      { atMs: BATTERY_EVENT_AT_MS, primitive: 'firewall_inbound' as const },
      { atMs: BATTERY_EVENT_AT_MS + 1_000, primitive: 'kill_node' as const },
    ];
    const run = runChaos('firewall-inbound', '1', undefined, { extensions: [statelessFirewall(), chaosExtension({ events })] });
    expect(run.events.map((e) => e.primitive)).toEqual(['firewall_inbound', 'kill_node']);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/fell out of the mesh/);
  });
});
