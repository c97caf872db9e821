/**
 * The report's topology recorded as a run goes. Goal: above 1,000 nodes a run keeps no
 * neighbour spans in memory, yet its Topology tab still shows every node's active view, as the
 * nodes themselves hold it at the end; where every span is kept, recording as the run goes gives
 * exactly what reading the kept spans afterwards gives. Method: a 1,001-node protocol run (the
 * kept spans lack the links; the recorded topology is checked against each node's live view)
 * and a small chaos run, both with `RunOptions.onStart`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeRun } from '../../src/cli/run-command.js';
import { writeRunOutputs } from '../../src/cli/report-output.js';
import { encodeTopology, recordTopology, runReportData, topologyStateAt, type ReportData, type TopologyRecorder, type TopologyNode } from '../../src/report/index.js';
import { findScenario } from '../../src/catalog/registry.js';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { Cluster } from '../../src/scenario/cluster.js';

const nodesOf = (cluster: Cluster): TopologyNode[] => cluster.plans.map((p) => ({ name: p.name, nodeId: p.nodeId, role: p.role, meshId: p.meshId, topics: p.meshIds }));

const big = ((): ReturnType<typeof parseScenarioJson> => parseScenarioJson({
  name: 'recorded-1001', profile: 'protocol', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1_001 } }], observer: false },
  bootSpacingMs: 2, durationMs: 4_000, healWindowMs: 20_000, probeIntervalMs: 0,
}))();

describe('the topology recorded as the run goes', () => {
  it('above 1,000 nodes has the links the kept spans lack: every node\'s own active view at the end', () => {
    const parsed = big;
    if (!parsed.ok) throw new Error(parsed.error);
    let recorder: TopologyRecorder | undefined;
    const outcome = runScenario(parsed.scenario, '3', { onStart: (cluster) => void (recorder = recordTopology(cluster)) });
    const { cluster } = outcome;
    expect(outcome.report.spansNotRetained).toBeGreaterThan(0);
    const run = runReportData(outcome, { topology: recorder }).run!;
    const enc = run.topology;
    const end = topologyStateAt(enc, enc.snapshots.length - 1);
    const nameOf = new Map(cluster.plans.map((p) => [p.nodeId, p.name]));
    const ti = enc.topics.indexOf('mesh-a');
    let links = 0;
    for (const plan of cluster.plans) {
      const i = enc.nodes.indexOf(plan.name);
      const live = cluster.app(plan.nodeId)!.activeView('mesh-a').map((id) => nameOf.get(id)!).sort();
      expect(enc.views[end.states[ti][i]].map((j) => enc.nodes[j]).sort()).toEqual(live);
      expect(end.down[i]).toBe(0);
      links += live.length;
    }
    expect(links).toBeGreaterThan(2 * 1_001); // HyParView's views are full: about 4-5 peers a node
    // Read from the kept spans alone, the same run shows no link at all.
    const fromKept = encodeTopology(cluster.telemetry.records, nodesOf(cluster));
    expect(fromKept.views).toEqual([[]]);
  }, 60_000);

  it('where every span is kept, equals the topology read from the spans afterwards', () => {
    let recorder: TopologyRecorder | undefined;
    const outcome = runScenario(findScenario('kill-node')!, '5', { onStart: (cluster) => void (recorder = recordTopology(cluster)) });
    const fromKept = encodeTopology(outcome.cluster.telemetry.records, nodesOf(outcome.cluster));
    expect(recorder!.encoded()).toEqual(fromKept);
    expect(fromKept.snapshots.length).toBeGreaterThan(50);
  });

  it('is what `meshsim run --report` writes', () => {
    if (!big.ok) throw new Error(big.error);
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-topology-'));
    try {
      const reportPath = join(dir, 'r.html');
      const result = executeRun({ scenario: big.scenario, scenarioRef: 'x.json', seed: '3', seedPicked: false, json: true, outputs: { reportPath } });
      expect(result.topology).toBeDefined();
      const written = writeRunOutputs(result.outcome!, { reportPath }, { replay: result.replay, description: '', topology: result.topology });
      expect(written.errors).toEqual([]);
      const page = readFileSync(reportPath, 'utf8');
      const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)![1]) as ReportData;
      expect(data.run!.topology.views.length).toBeGreaterThan(1_000); // distinct views of 1,001 nodes
      expect(data.run!.spansNotKept).toBe(result.report.spansNotRetained); // the Timeline says what it cannot show
      expect(data.run!.spansNotKept).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
