/**
 * Broadcast metrics (SPEC §10.4). Goal: reliability, missed, LDH, mean hop, RMR and latency
 * come out exactly for a delivery tree we build by hand, counting only nodes that were live
 * subscribers at send time, and the overlay snapshot counts components and dead entries.
 * Method: a real (unbooted) cluster whose telemetry we feed the spans and payload tallies a
 * tree would produce — A sends; B gets it at hop 1; C and D at hop 2 from B; D also receives a
 * duplicate; E never does; F (not expected) delivers too — then a short real run for the
 * snapshots and the run report's `metrics`.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/scenario/cluster.js';
import { MetricsCollector, percentile, percentileOf } from '../src/scenario/metrics.js';
import type { ProbeRecord } from '../src/scenario/checker.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { runScenario } from '../src/scenario/runner.js';
import type { RunMetrics } from '../src/scenario/metrics.js';

describe('per-broadcast metrics from delivery evidence', () => {
  const cluster = new Cluster({ seed: 'metrics', topology: { meshes: [{ meshId: 'm', roles: [['gateway', 6]] }], bridges: 0, observer: false } });
  const [a, b, c, d, e, f] = cluster.plans;
  const records: ProbeRecord[] = [];
  const metrics = new MetricsCollector(cluster, () => records);
  const tel = cluster.telemetry;
  const at = (ms: number, fn: () => void) => cluster.scheduler.at(ms, fn);
  const deliver = (node: string, hop: number) => tel.emit(node, 'mesh.probe.delivered', { topic: 'm', probeId: 'p1', origin: a.nodeId, from: '', hop });

  at(100, () => {
    records.push({ probeId: 'p1', meshId: 'm', origin: a.nodeId, sentAtMs: 100, expected: [a, b, c, d, e].map((p) => p.nodeId) });
    tel.emit(a.name, 'mesh.probe.sent', { topic: 'm', probeId: 'p1', messageId: 'id1', sizeBytes: 100 });
  });
  at(110, () => { tel.tally('mesh.gossip.payload_received', 'id1'); deliver(b.name, 1); });
  at(125, () => { tel.tally('mesh.gossip.payload_received', 'id1'); deliver(c.name, 2); });
  at(140, () => { tel.tally('mesh.gossip.payload_received', 'id1'); deliver(d.name, 2); });
  at(150, () => tel.tally('mesh.gossip.payload_received', 'id1')); // a duplicate at D
  at(160, () => { tel.tally('mesh.gossip.payload_received', 'id1'); deliver(f.name, 3); }); // F was not expected
  at(170, () => tel.tally('mesh.gossip.payload_received', 'other-id')); // another message
  cluster.scheduler.runFor(1_000);
  const [m] = metrics.finish().broadcasts;

  it('reliability counts the sender and expected nodes only', () => {
    expect(m).toMatchObject({ expected: 5, reached: 4, missed: 1, reliability: 0.8 });
  });

  it('LDH is the largest hop and mean hop the mean over expected deliveries', () => {
    expect(m.ldh).toBe(2);
    expect(m.meanHop).toBeCloseTo(5 / 3, 3);
  });

  it('RMR = payloads received / (reached − 1) − 1, duplicates and unexpected receipts included', () => {
    // 5 receipts of id1 (B, C, D twice, F) over reached − 1 = 3.
    expect(m.rmr).toBeCloseTo(5 / 3 - 1, 3);
  });

  it('latency percentiles over expected deliveries', () => {
    expect(m.latencyMs).toEqual({ p50: 25, p99: 40, max: 40 });
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([], 0.99)).toBe(0);
    // The histogram form gives the same answers as the sorted list.
    expect(percentileOf([1, 2, 3, 4], [1, 1, 1, 1], 0.5)).toBe(percentile([1, 2, 3, 4], 0.5));
    expect(percentileOf([10, 20], [99, 1], 0.99)).toBe(percentile([...Array(99).fill(10), 20], 0.99));
    expect(percentileOf([10, 20], [98, 2], 0.99)).toBe(percentile([...Array(98).fill(10), 20, 20], 0.99));
  });
});

describe('metrics of a real run', () => {
  const parsed = parseScenarioJson({
    name: 'metrics-run', profile: 'protocol', topology: { meshes: [{ meshId: 'm', roles: { gateway: 30 } }], observer: false },
    bootSpacingMs: 10, durationMs: 12_000, probeIntervalMs: 0, overlayEveryMs: 5_000,
    workload: [{ kind: 'broadcast', sender: 'random', fromMs: 2_000, everyMs: 1_000, count: 5 }, { kind: 'failure', atMs: 9_000, count: 5, mode: 'vanish' }],
  });
  if (!parsed.ok) throw new Error(parsed.error);
  const { report } = runScenario(parsed.scenario, '4');
  const m = report.metrics;

  it('the protocol-profile run passes (no substrate checks apply to it)', () => {
    expect(report.verdict, JSON.stringify(report.violations)).toBe('pass');
  });

  it('every workload broadcast before the failure reached every expected node', () => {
    const workload = m.broadcasts.filter((b) => b.sentAtMs < 9_000);
    expect(workload).toHaveLength(5);
    for (const b of workload) expect(b).toMatchObject({ expected: 30, reached: 30, reliability: 1 });
    expect(m.summary.ldh.max).toBeGreaterThanOrEqual(2);
  });

  it('snapshots: periodic, right after the failure (dead entries still in views), and at the end', () => {
    expect(m.overlay.map((s) => [s.reason, s.atMs])).toEqual([['periodic', 5_000], ['failure', 9_000], ['periodic', 10_000], ['end', report.virtualMs]]);
    const failure = m.overlay[1];
    expect(failure.live).toBe(25);
    expect(failure.deadActiveEntries).toBeGreaterThan(0);
    const end = m.overlay[3];
    expect(end).toMatchObject({ components: 1, largestComponentShare: 1, isolated: 0, deadActiveEntries: 0 });
    expect(end.activeView.max).toBeLessThanOrEqual(5);
  });
});
