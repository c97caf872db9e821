/**
 * DiskFull. Goal: a full data dir makes writes fail with a span while the node keeps serving
 * (heartbeats, probe deliveries), and writes succeed again once the ballast is gone; the
 * detector goes red when the node never retries a failed write, and its timeout names the
 * recovery span it waited for.
 * Method: the `disk-full` battery scenario over two seeds, then the same with the
 * `disableDiskRetry` node variant.
 *
 * And a victim other chaos events cut off from every origin for as long as its disk is full is
 * owed no probe delivery (nothing could reach it), only the heartbeat; the same cut made outside
 * the chaos engine excuses nothing. Found as the default layout's `--chaos 20`, seed 343: every
 * live neighbour of compute-99cc8da5 had been killed by other events, and the connection to the
 * last one idled out only after the disk was drained. A round sent once such a cut is over owes
 * the delivery, whatever the rounds before it found (a cut outside the engine after the heal).
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/catalog/registry.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { PROBE_FLIGHT_MS } from '../../src/primitives/reach.js';
import { runScenario } from '../../src/scenario/runner.js';
import { plannedNodes } from '../../src/scenario/topology.js';
import { chaosLog, expectGreen, explain, runChaos } from '../support/chaos.js';
import { isolateAt } from '../support/chaos-links.js';
import { withoutObserver } from '../support/scenario-file.js';
import type { ChaosEventPlan } from '../../src/primitives/engine.js';

describe('disk_full', () => {
  it('disk-full', () => {
    for (const run of expectGreen('disk-full', ['1', '2'], ['mesh.disk.write_failed', 'mesh.disk.write_recovered', 'mesh.heartbeat', 'mesh.probe.delivered'])) {
      const e = run.events[0];
      expect(e.params).toEqual({ durationMs: 15_000 });
      // Recovery is a write after the ballast was removed.
      expect(e.waitedMs).toBeGreaterThanOrEqual(15_000);
      expect(e.evidence.every((s) => s.startsWith(`${e.targets[0]}:`) || s.includes('mesh.probe.delivered'))).toBe(true);
    }
  });

  it('disk-full goes red when failed writes are never retried', () => {
    const run = runChaos('disk-full', '1', { disableDiskRetry: true });
    expect(run.events[0].verdict, explain(run)).toBe('failed_timeout');
    expect(run.report.verdict).toBe('fail');
    // The timeout names the recovery it waited for.
    const timeout = run.report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toMatch(new RegExp(`still missing: ${run.events[0].targets[0]}: mesh\\.disk\\.write_recovered after its write_failed at \\d+ ms`));
  });

  describe('a victim other events cut off from every origin while full', () => {
    const base = findScenario('default')!;
    const plans = plannedNodes(base.topology, '1');
    const victim = plans.find((p) => p.role === 'gateway' && p.meshIds.join() === 'mesh-a')!;
    // The victim and two nodes of the other mesh: alone on its side of the cut on its own mesh.
    const others = plans.filter((p) => p.role !== 'bridge' && p.meshIds.join() === 'mesh-b').slice(0, 2);
    const diskFull = { atMs: 20_000, primitive: 'disk_full' as const, fault: { targets: [victim.name], params: { durationMs: 15_000 } } };
    const cut = { atMs: 19_000, primitive: 'partition_subset' as const, fault: { targets: [victim.name, ...others.map((p) => p.name)], params: { size: 3, durationMs: 30_000 } } };
    const diskFullOf = (report: ReturnType<typeof runScenario>['report']) => chaosLog(report).find((e) => e.primitive === 'disk_full')!;

    it('is owed the heartbeat, not a probe delivery', () => {
      const { report } = runScenario(withChaos(base, { events: [cut, diskFull] }), '1');
      const e = diskFullOf(report);
      expect(e.verdict, e.message).toBe('passed');
      expect(e.evidence.some((s) => s.startsWith(`${victim.name}:mesh.heartbeat`))).toBe(true);
      expect(e.evidence.some((s) => s.includes('mesh.probe.delivered'))).toBe(false);
    });

    it('the same cut made outside the chaos engine excuses nothing', () => {
      const chaotic = withChaos(base, { events: [diskFull] });
      const { report } = runScenario({ ...chaotic, extensions: [...(chaotic.extensions ?? []), isolateAt(victim.nodeId, cut.atMs)] }, '1');
      const e = diskFullOf(report);
      expect(e.verdict).toBe('failed_assertion');
      expect(e.message).toBe(`${victim.name} stopped serving while its disk was full: no probe delivered`);
    });

    // The disk fills 4 s before the cut heals (49 s; other events' cuts count until 5 s after the
    // revert): the rounds at 45.5 and 51 s find the victim cut off, the one at 56.5 s does not.
    const lateDiskFull = { ...diskFull, atMs: 45_000 };

    it('a round sent once the cut is over owes the delivery, though the rounds before it were excused', () => {
      const chaotic = withChaos(base, { events: [cut, lateDiskFull] });
      // Cut off again at 49.5 s, outside the chaos engine: nothing excuses the 56.5 s round.
      const { report } = runScenario({ ...chaotic, extensions: [...(chaotic.extensions ?? []), isolateAt(victim.nodeId, 49_500)] }, '1');
      const e = diskFullOf(report);
      expect(e.verdict).toBe('failed_assertion');
      expect(e.message).toBe(`${victim.name} stopped serving while its disk was full: no probe delivered`);
    });

    it('without the later cut the same schedule passes, with a probe delivered after the heal', () => {
      const { report } = runScenario(withChaos(base, { events: [cut, lateDiskFull] }), '1');
      const e = diskFullOf(report);
      expect(e.verdict, e.message).toBe('passed');
      const delivered = e.evidence.find((s) => s.startsWith(`${victim.name}:mesh.probe.delivered@`));
      expect(Number(delivered?.split('@')[1])).toBeGreaterThan(cut.atMs + 30_000);
    });

    it('the default layout under --chaos 20, seed 343, where it was found', () => {
      // The seed check now rejoins a node stranded on a topic through its seed (src/mesh/node.ts,
      // strandedFrom), which brings this one back while full; the case runs with that rule off,
      // as the seed check was when it was found.
      const { report, cluster } = runScenario(withChaos({ ...base, variantOf: () => ({ disableStrandedRejoin: true }) }, { random: { count: 20 } }), '343');
      const e = chaosLog(report).find((x) => x.primitive === 'disk_full' && x.targets[0] === 'compute-99cc8da5')!;
      expect(e.verdict, e.message).toBe('passed');
      expect(report.verdict).toBe('pass');
      // The case is the one meant: no probe reached it while full, and its last neighbour,
      // killed by another event before the apply, idled out only after the drain.
      const q = cluster.telemetry.query;
      const recovered = q.first({ name: 'mesh.disk.write_recovered', node: 'compute-99cc8da5', sinceMs: e.atMs })!;
      expect(q.find({ name: 'mesh.probe.delivered', node: 'compute-99cc8da5', sinceMs: e.atMs, untilMs: recovered.endMs })).toEqual([]);
      const kill = chaosLog(report).find((x) => x.primitive === 'kill_node' && x.atMs < e.atMs && x.targets[0] === 'broker-14ad3efc')!;
      expect(kill).toBeDefined();
      const idled = q.first({ name: 'mesh.peer.disconnected', node: 'compute-99cc8da5', sinceMs: e.atMs, attrs: { peerId: cluster.idOfName('broker-14ad3efc'), reason: 'idle-timeout' } })!;
      expect(idled.endMs).toBeGreaterThan(recovered.endMs);
    });
  });

  it('a round whose receiver other events cut off while its probe was in flight owes nothing', () => {
    // mesh-five-types-present-chaos under --chaos 20, seed 2983: within 1.4 s of registry-4911ac91's
    // disk filling, three burst kills, a kill and two firewalls took most of mesh-a. The first
    // round's probe, sent when the registry could still be reached, left 14 ms before a burst kill
    // took the relays it needed; every later round found it cut off from every origin. Read at
    // the send alone, that first round owed the delivery: "stopped serving while its disk was
    // full: no probe delivered".
    const { report, cluster } = runScenario(withChaos(findScenario('mesh-five-types-present-chaos')!, { random: { count: 20 } }), '2983');
    const log = chaosLog(report);
    const e = log.find((x) => x.primitive === 'disk_full' && x.targets[0] === 'registry-4911ac91')!;
    expect(e.verdict, e.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    const q = cluster.telemetry.query;
    const recovered = q.first({ name: 'mesh.disk.write_recovered', node: 'registry-4911ac91', sinceMs: e.atMs })!;
    expect(q.find({ name: 'mesh.probe.delivered', node: 'registry-4911ac91', sinceMs: e.atMs, untilMs: recovered.endMs })).toEqual([]);
    const first = q.first({ name: 'mesh.probe.sent', sinceMs: e.atMs })!;
    const burst = log.find((x) => x.primitive === 'burst_kill' && x.atMs > first.endMs)!;
    expect(burst.atMs - first.endMs).toBeLessThanOrEqual(PROBE_FLIGHT_MS);
  });

  it('a delivery of the round in flight that comes just before the recovery counts, though no poll fell between them', () => {
    // nat-shift under --chaos 20, seed 658: compute-9880c7d1's every mesh-b link was cut by
    // other events while full; it rejoined at 50.7 s. The round sent at 55.57 s reached it at
    // 55.59 s, the recovery came at 55.70 s, and the poll after it, at 56.07 s, no longer read
    // the round: "stopped serving while its disk was full: no probe delivered".
    const { report, cluster } = runScenario(withChaos(findScenario('nat-shift')!, { random: { count: 20 } }), '658');
    const e = chaosLog(report).find((x) => x.primitive === 'disk_full' && x.targets[0] === 'compute-9880c7d1')!;
    expect(e.verdict, e.message).toBe('passed');
    const q = cluster.telemetry.query;
    const recovered = q.first({ name: 'mesh.disk.write_recovered', node: 'compute-9880c7d1', sinceMs: e.atMs })!;
    const delivered = e.evidence.find((s) => s.startsWith('compute-9880c7d1:mesh.probe.delivered@'))!;
    const deliveredAtMs = Number(delivered.split('@')[1]);
    expect(deliveredAtMs).toBeLessThanOrEqual(recovered.endMs);
    expect(recovered.endMs - deliveredAtMs).toBeLessThan(500);
  });
});

describe('disk_full: every other node cut off by another event', () => {
  it('owes no probe while no origin could send one', () => {
    // Found by random layouts under chaos (six nodes, no observer, seed 47503, --chaos 19): a
    // partition_subset took the five others of the victim's mesh 5.6 s before its disk filled.
    // No round could find an origin, so none was sent, and the detection failed at the recovery
    // ("no probe delivered").
    const base = withoutObserver('alone-outside', 'full', [6], 0, 90_000);
    const [victim, ...others] = plannedNodes(base.topology, '1').map((p) => p.name);
    const events: ChaosEventPlan[] = [
      { atMs: 10_000, primitive: 'partition_subset', fault: { targets: others, params: { size: 5, durationMs: 50_000 } } },
      { atMs: 15_000, primitive: 'disk_full', fault: { targets: [victim], params: { durationMs: 15_000 } } },
    ];
    const { report } = runScenario(withChaos(base, { events }), '1');
    const disk = chaosLog(report).find((e) => e.primitive === 'disk_full')!;
    expect(disk.verdict, disk.message).toBe('passed');
    expect(disk.evidence.some((x) => x.startsWith(`${victim}:mesh.heartbeat`))).toBe(true);
    expect(disk.evidence.some((x) => x.includes(':mesh.probe.delivered'))).toBe(false);
  });
});
