/**
 * FirewallInbound. Goal: a node whose inbound connections are dropped stays in the mesh through
 * the connections it dials out (probes from and to it are delivered, its heartbeat shows peers,
 * nobody prunes it); and the detector goes red when its outbound connections are not kept.
 * Method: the `firewall-inbound` battery scenario over two seeds; then the same with a
 * stateless firewall double that also blocks the node's own outbound connections.
 */
import { describe, expect, it } from 'vitest';
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
});
