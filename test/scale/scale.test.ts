/**
 * Scale (SPEC §10.1). Goal: the `protocol` profile runs a 1,000-node overlay to a pass — a
 * connected overlay, full active views, every broadcast delivered — and an all-nodes-at-once
 * burst at 1,001 nodes completes without a crash (IHave batches split at the frame limit), with
 * the same trace digest twice. Method: scenario files in the SPEC §10.3 format, run in-process;
 * our own assertions read the report and the nodes' delivery spans, not only the verdict.
 * Long runs (10,000 nodes) are benchmarks (`npm run bench -- scale`), never tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import { runScenario, type RunReport } from '../../src/scenario/runner.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { replayLine } from '../../src/cli/replay-line.js';
import { nodeCount } from '../../src/scenario/topology.js';

function scenario(json: unknown): Scenario {
  const parsed = parseScenarioJson(json);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

function explain(report: RunReport): string {
  return `${report.verdict}\n${report.violations.map((v) => `  [${v.check}] ${v.message}`).join('\n')}\nreplay: ${replayLine(report.replay)}`;
}

const N = 1_001;
const BOOT_MS = N * 5;
const burst = scenario({
  name: 'burst-1001',
  profile: 'protocol',
  topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: N } }], observer: false },
  bootSpacingMs: 5,
  durationMs: BOOT_MS + 4_000,
  healWindowMs: 30_000,
  probeIntervalMs: 0,
  workload: [
    { kind: 'broadcast', sender: 'random', fromMs: BOOT_MS + 500, everyMs: 500, count: 3 },
    { kind: 'broadcast', sender: 'all', fromMs: BOOT_MS + 2_000, count: 1 },
  ],
});

describe('protocol profile at 1,001 nodes, all nodes broadcasting at once', () => {
  const first = runScenario(burst, '1');
  const { report, cluster } = first;

  it('passes: connected overlay, symmetric views, every broadcast and the final probe delivered', () => {
    expect(report.verdict, explain(report)).toBe('pass');
    expect(report.nodes).toEqual({ total: N, live: N });
    const views = report.views['mesh-a'];
    expect(views.subscribers).toBe(N);
    expect(views.min).toBeGreaterThanOrEqual(1);
    expect(views.max).toBeLessThanOrEqual(5);
    expect(views.mean).toBeGreaterThan(4.5);
  });

  it('the all-nodes burst was delivered everywhere, from the nodes own delivery spans', () => {
    // 3 random + 1,001 at once + 1 final probe; each reaches the other N − 1 nodes.
    expect(report.probes.sent).toBe(3 + N + 1);
    expect(report.spansByName['mesh.probe.delivered']).toBe(report.probes.sent * (N - 1));
    // Per-message spans are not kept in memory above 1,000 nodes, but are counted and hashed.
    expect(cluster.telemetry.records.filter((r) => r.name === 'mesh.probe.delivered')).toHaveLength(0);
    expect(report.spansNotRetained).toBeGreaterThan(report.probes.sent * (N - 1));
  });

  it('a burst of 1,001 ids overflows one IHave frame, so batches were split at the frame limit', () => {
    let full = 0;
    for (const p of cluster.plans) full += cluster.app(p.nodeId)!.topicState('mesh-a')!.plumtree.fullIHaveBatches;
    expect(full).toBeGreaterThan(0);
  });

  it('runs no substrate: no Hello-driven spans, digests or heartbeats', () => {
    expect(report.spansByName['mesh.heartbeat']).toBeUndefined();
    expect(cluster.app(cluster.plans[0].nodeId)!.digests.size).toBe(0);
    const traffic = report.traffic.map((r) => r.frameType);
    expect(traffic).not.toContain('Traced');
    expect(traffic).toContain('Gossip');
    expect(traffic).toContain('IHave');
  });

});

describe('determinism at 1,000 nodes', () => {
  const steady = scenario({
    name: 'steady-1000',
    profile: 'protocol',
    topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1_000 } }], observer: false },
    bootSpacingMs: 5,
    durationMs: 8_000,
    healWindowMs: 20_000,
    probeIntervalMs: 0,
    workload: [{ kind: 'broadcast', sender: 'random', fromMs: 5_000, everyMs: 1_000, count: 3 }],
  });

  it('the same seed gives the same trace digest (a different seed differs: test/determinism.test.ts)', () => {
    const a = runScenario(steady, '7').report;
    expect(a.verdict, explain(a)).toBe('pass');
    expect(runScenario(steady, '7').report.traceDigest).toBe(a.traceDigest);
  });
});

describe('the scale bench scenario files', () => {
  it('every file in bench/scenarios parses, and the moonshot is 100,000 protocol nodes', () => {
    const dir = join(import.meta.dirname, '..', '..', 'bench', 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(files).toContain('protocol-100k.json');
    for (const f of files) {
      const parsed = parseScenarioJson(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      expect(parsed.ok ? parsed.scenario.name : parsed.error).toBe(f.replace(/\.json$/, ''));
    }
    const moon = scenario(JSON.parse(readFileSync(join(dir, 'protocol-100k.json'), 'utf8')));
    expect([moon.profile, nodeCount(moon.topology)]).toEqual(['protocol', 100_000]);
  });

  it('the at-once files differ in their node count only: one virtual schedule at every size', () => {
    const dir = join(import.meta.dirname, '..', '..', 'bench', 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('-at-once.json')).sort();
    expect(files).toEqual(['protocol-10k-at-once.json', 'protocol-1k-at-once.json', 'protocol-2k-at-once.json', 'protocol-5k-at-once.json']);
    const schedules = files.map((f) => {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
      expect(nodeCount(scenario(json).topology)).toBe(Number(/^protocol-(\d+)k/.exec(f)![1]) * 1000);
      // Everything but the name, the words and the mesh's size.
      return JSON.stringify({ ...json, name: '', description: '', topology: JSON.stringify(json.topology).replace(/"gateway":\d+/, '') });
    });
    expect(new Set(schedules).size).toBe(1);
    expect(JSON.parse(schedules[0])).toMatchObject({ bootSpacingMs: 0, profile: 'protocol' });
  });
});
