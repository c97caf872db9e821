/**
 * The shared conformance suite every chaos primitive runs (hono style: one interface, one
 * suite). Goal: each implemented primitive (1) is deterministic per seed — same targets, same
 * verdict, same trace; (2) its revert restores baseline behaviour — after heal a broadcast
 * reaches every live subscriber; (3) leaves no table growing across repeated apply/revert.
 * Method: the primitive's battery scenario run twice with one seed, and a small 7-node cluster
 * in which the primitive fires four times while per-node table sizes are sampled after each.
 */
import { describe, expect, it } from 'vitest';
import { chaosExtension } from '../../src/primitives/engine.js';
import { implementedPrimitives } from '../../src/primitives/registry.js';
import type { PrimitiveName } from '../../src/primitives/types.js';
import { cacheSize, receivedIdCount, pendingGraftCount } from '../../src/protocol/plumtree.js';
import type { Cluster } from '../../src/scenario/cluster.js';
import { allScenarios } from '../../src/catalog/registry.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { RunExtension, Scenario } from '../../src/scenario/scenario.js';
import { SIX_NODE_TOPOLOGY } from '../../src/catalog/workload-scenarios.js';
import { chaosLog, explain } from '../support/chaos.js';

/** The first battery scenario that exercises `primitive` alone. */
function batteryFor(primitive: PrimitiveName): Scenario {
  const s = allScenarios().find((x) => x.name === primitive.replace(/_/g, '-') || x.name.startsWith(`${primitive.replace(/_/g, '-')}-`));
  if (s === undefined) throw new Error(`no battery scenario for ${primitive}`);
  return s;
}

interface TableSample {
  readonly atMs: number;
  readonly connections: number;
  readonly digests: number;
  readonly plumtree: number;
  readonly endpointConnections: number;
}

function sampleTables(cluster: Cluster): TableSample {
  let connections = 0;
  let digests = 0;
  let plumtree = 0;
  let endpointConnections = 0;
  for (const p of cluster.plans) {
    const app = cluster.app(p.nodeId);
    if (app === undefined) continue;
    connections += app.peers.connectionCount();
    digests += app.digests.size;
    for (const m of p.meshIds) {
      const st = app.topicState(m);
      if (st) plumtree += cacheSize(st.plumtree) + receivedIdCount(st.plumtree) + pendingGraftCount(st.plumtree);
    }
    endpointConnections += cluster.network.endpointOf(p.nodeId)?.connections().length ?? 0;
  }
  return { atMs: cluster.scheduler.nowMs, connections, digests, plumtree, endpointConnections };
}

const REPEATS = 4;
const REPEAT_EVERY_MS = 60_000;

function repeatedScenario(primitive: PrimitiveName, samples: TableSample[]): Scenario {
  const sampler = (ctx: { cluster: Cluster }): RunExtension => ({
    start: () => {
      for (let i = 1; i <= REPEATS; i++) ctx.cluster.scheduler.at(i * REPEAT_EVERY_MS + 15_000, () => samples.push(sampleTables(ctx.cluster)));
    },
    finish: () => {},
    violations: () => [],
    report: () => ({}),
  });
  return {
    name: `conformance-${primitive}`,
    description: `${primitive} applied and reverted ${REPEATS} times`,
    topology: SIX_NODE_TOPOLOGY,
    durationMs: (REPEATS + 1) * REPEAT_EVERY_MS,
    extensions: [
      chaosExtension({ events: Array.from({ length: REPEATS }, (_, i) => ({ atMs: (i + 1) * REPEAT_EVERY_MS - 40_000, primitive })) }),
      sampler,
    ],
  };
}

describe.each(implementedPrimitives())('conformance: %s', (primitive) => {
  it('same seed gives the same targets, verdict and trace', () => {
    const scenario = batteryFor(primitive);
    const a = runScenario(scenario, '11').report;
    const b = runScenario(scenario, '11').report;
    expect(chaosLog(a).map((e) => [e.targets, e.params, e.verdict, e.waitedMs])).toEqual(chaosLog(b).map((e) => [e.targets, e.params, e.verdict, e.waitedMs]));
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(chaosLog(a)).toHaveLength(1);
  });

  it('revert restores baseline: after heal a broadcast reaches every live subscriber', () => {
    const { report } = runScenario(batteryFor(primitive), '12');
    const run = { report, events: chaosLog(report) };
    expect(report.violations.filter((v) => v.check === 'full-delivery'), explain(run)).toEqual([]);
    expect(report.verdict, explain(run)).toBe('pass');
  });

  it('no table grows across repeated apply/revert', () => {
    const samples: TableSample[] = [];
    const { report } = runScenario(repeatedScenario(primitive, samples), '13');
    const run = { report, events: chaosLog(report) };
    expect(samples).toHaveLength(REPEATS);
    expect(report.violations.filter((v) => v.check === 'tables-bounded'), explain(run)).toEqual([]);
    const first = samples[0];
    const last = samples[samples.length - 1];
    // Healed state after the 4th repetition is no bigger than after the 1st, up to churn noise.
    expect(last.connections, JSON.stringify(samples)).toBeLessThanOrEqual(first.connections * 1.5 + 6);
    expect(last.endpointConnections, JSON.stringify(samples)).toBeLessThanOrEqual(first.endpointConnections * 1.5 + 6);
    expect(last.digests, JSON.stringify(samples)).toBeLessThanOrEqual(first.digests + 2);
    expect(last.plumtree, JSON.stringify(samples)).toBeLessThanOrEqual(first.plumtree * 1.5 + 50);
  });
});
