/**
 * Detectors under compound faults (the default layout's --chaos 8 sweep, seed 8). Goal: a probe
 * a detector sends once its own damage is reverted expects no receiver that other chaos events
 * had cut off from the probe's origin when it was sent, and a probe that must reach a victim
 * starts where other events left a path to it; the victim itself is never excused. Method: the
 * five first events of seed 8, fired by hand on the default layout. A restart_node of bridge
 * 48958bc3 (17.9 s) leaves it two mesh-a neighbours, gateway-4b763a78 and the observer; the
 * partition_subset at 31.1 s cuts gateway-4b763a78 and every other link between {observer,
 * bridge-48958bc3} and {gateway-3ca88f6f, registry-a6c1b322, bridge-a5831259} that the kill of
 * compute-fc2ab2b6 (33 s) did not end, and mesh-a's overlay outside the cut is two islands until
 * those connections idle out (~61 s). The restart's probe from its bridge, the partition_pair's
 * closing round from the observer, and the wedge_node's probe to registry-a6c1b322 from the
 * observer all timed out waiting for the other island; now each passes, and the wedged node is
 * shown its probe from an origin in its own island.
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/catalog/registry.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario } from '../../src/scenario/runner.js';
import { chaosLog } from '../support/chaos.js';

const SEED_8_EVENTS = [
  { atMs: 17_922, primitive: 'restart_node', fault: { targets: ['bridge-48958bc3'], params: { downtimeMs: 1_692 } } },
  { atMs: 22_161, primitive: 'partition_pair', fault: { targets: ['gateway-e1e53a40', 'bridge-a5831259'], params: { durationMs: 14_030 } } },
  { atMs: 30_925, primitive: 'wedge_node', fault: { targets: ['registry-a6c1b322'], params: { durationMs: 3_888 } } },
  {
    atMs: 31_066,
    primitive: 'partition_subset',
    fault: { targets: ['gateway-4b763a78', 'broker-4bdfa4bd', 'broker-79b63a86', 'compute-4a498636', 'registry-df3474a7'], params: { size: 5, durationMs: 59_708 } },
  },
  { atMs: 32_976, primitive: 'kill_node', fault: { targets: ['compute-fc2ab2b6'], params: {} } },
] as const;

describe('detectors under compound faults', () => {
  it('probes across a concurrent subset cut expect only the receivers the other events left reachable', () => {
    const scenario = withChaos(findScenario('default')!, { events: SEED_8_EVENTS.map((e) => ({ ...e, fault: { targets: [...e.fault.targets], params: { ...e.fault.params } } })) });
    const { report } = runScenario(scenario, '8');
    const log = chaosLog(report);
    expect(log.map((e) => `${e.primitive} ${e.verdict}`), log.map((e) => `${e.primitive}: ${e.message ?? ''}`).join('; ')).toEqual([
      'restart_node passed',
      'partition_pair passed',
      'wedge_node passed',
      'partition_subset passed',
      'kill_node passed',
    ]);
    // The wedged node got its probe (it is never excused), from a node of its own island.
    const wedge = log.find((e) => e.primitive === 'wedge_node')!;
    expect(wedge.evidence.some((s) => s.startsWith('registry-a6c1b322:mesh.probe.delivered'))).toBe(true);
  });
});
