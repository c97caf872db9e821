/**
 * SlowLink. Goal: added latency on a connected pair's link is slowness, not death — nobody
 * idles the pair out below the idle timeout — and broadcasts from the pair still reach every
 * subscriber. The detector goes red when the transport's idle timeout is shorter than the
 * added delay (an over-eager liveness check declares the slow peer dead).
 * Method: `slow-link-100ms`/`slow-link-500ms` over two seeds; then `slow-link-500ms` on a
 * network whose keep-alive is 200 ms and idle timeout 400 ms (the delay step opens a 500 ms
 * silence), while `slow-link-100ms` on that same network stays green.
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario } from '../../src/scenario/runner.js';
import { plannedNodes } from '../../src/scenario/topology.js';
import { chaosLog, expectGreen, explain, runChaos } from '../support/chaos.js';
import { isolateAt, TIGHT_IDLE_NETWORK } from '../support/chaos-links.js';
import { withoutObserver } from '../support/scenario-file.js';

describe('slow_link', () => {
  for (const name of ['slow-link-100ms', 'slow-link-500ms']) {
    it(name, () => {
      expectGreen(name, ['1', '2'], ['mesh.probe.delivered']);
    });
  }

  it('slow-link-500ms goes red when the idle timeout is shorter than the added latency', () => {
    const run = runChaos('slow-link-500ms', '1', undefined, { ...TIGHT_IDLE_NETWORK, durationMs: 25_000, liveness: false });
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/dead \(idle timeout\) over a slow link/);
    const control = runChaos('slow-link-100ms', '1', undefined, { ...TIGHT_IDLE_NETWORK, durationMs: 45_000, liveness: false });
    expect(control.events[0].verdict, explain(control)).toBe('passed');
  });

  it('a subscriber the pair\'s probes never reach keeps the detection from passing, and the timeout names it', () => {
    const base = withoutObserver('slow-link-unheard', 'protocol', [12], 0, 60_000);
    const plans = plannedNodes(base.topology, '1');
    const chaotic = withChaos(base, { events: [{ atMs: 10_000, primitive: 'slow_link', fault: { targets: [plans[2].name, plans[7].name], params: { latencyMs: 100, durationMs: 10_000 } } }] });
    // Cut off from everyone outside the chaos engine, just before the damage: nothing excuses it.
    const { report } = runScenario({ ...chaotic, extensions: [...(chaotic.extensions ?? []), isolateAt(plans[5].nodeId, 9_000)], liveness: false }, '1');
    const [e] = chaosLog(report);
    expect(e.verdict).toBe('failed_timeout');
    const timeout = report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toContain(`still missing: probe deliveries: ${plans[5].name} (mesh-a)`);
  });
});
