/**
 * HTML report and its data (issue: make chaos visible). Goal: the report is one self-contained
 * file whose four tabs show what the trace says — and the topology over time is a series of
 * immutable, structurally shared snapshots that agree with the cluster's real views. Method: run
 * the kill-node scenario once, rebuild the topology from its spans and compare with the live
 * nodes and with a brute-force replay; render the report and check its structure, its embedded
 * data, that nothing in it points at the network, and that it is a pure function of the run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeTopology,
  renderReportHtml,
  runReportData,
  snapshotAt,
  testsGridOf,
  testsReportData,
  topologySnapshots,
  topologyStateAt,
  type ReportData,
  type TestCell,
  type TopologyNode,
  type TopologySnapshot,
} from '../../src/report/index.js';
import { findScenario } from '../../src/catalog/registry.js';
import { runScenario, type RunOutcome } from '../../src/scenario/runner.js';
import { replayLine } from '../../src/cli/replay-line.js';

let outcome: RunOutcome;
let nodes: TopologyNode[];
let snapshots: TopologySnapshot[];
let data: ReportData;
let html: string;

beforeAll(() => {
  outcome = runScenario(findScenario('kill-node')!, '5');
  nodes = outcome.cluster.plans.map((p) => ({ name: p.name, nodeId: p.nodeId, role: p.role, meshId: p.meshId, topics: p.meshIds }));
  snapshots = topologySnapshots(outcome.cluster.telemetry.records, nodes);
  data = runReportData(outcome, { replay: replayLine(outcome.report.replay), tests: testsGridOf([cell('kill-node', '5', 'pass')]) });
  html = renderReportHtml(data);
});

function cell(scenario: string, seed: string, verdict: 'pass' | 'fail'): TestCell {
  const replay = `npx meshsim run --scenario ${scenario} --seed ${seed}`;
  return { scenario, seed, verdict, replay, violations: verdict === 'fail' ? ['liveness: overlay split'] : [], virtualMs: 1000, chaos: null };
}

/** Views at `atMs` by replaying the spans from scratch, without immer or sharing. */
function bruteForceViews(atMs: number): Map<string, string[]> {
  const nameOf = new Map(nodes.map((n) => [n.nodeId, n.name]));
  const views = new Map<string, Set<string>>();
  for (const r of outcome.cluster.telemetry.records) {
    if (r.endMs > atMs) break;
    const clear = (node: string): void => {
      for (const key of [...views.keys()]) if (key.endsWith(`|${node}`)) views.delete(key);
    };
    if (r.name === 'mesh.node.ready') clear(r.node);
    if (r.name === 'chaos.primitive.applied' && ['kill_node', 'burst_kill', 'restart_node'].includes(String(r.attrs.name))) String(r.attrs.targets).split(',').forEach(clear);
    if (r.name === 'mesh.gossip.neighbor_up' || r.name === 'mesh.gossip.neighbor_down') {
      const key = `${r.attrs.topic}|${r.node}`;
      const set = views.get(key) ?? new Set<string>();
      const peer = nameOf.get(String(r.attrs.peerId))!;
      if (r.name === 'mesh.gossip.neighbor_up') set.add(peer);
      else set.delete(peer);
      views.set(key, set);
    }
  }
  return new Map([...views].filter(([, s]) => s.size > 0).map(([k, s]) => [k, [...s].sort()]));
}

function flatten(s: TopologySnapshot): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const topic of Object.keys(s.views).sort()) {
    for (const node of Object.keys(s.views[topic]).sort()) if (s.views[topic][node].length > 0) out.set(`${topic}|${node}`, [...s.views[topic][node]]);
  }
  return out;
}

describe('topology snapshots', () => {
  it('end where the cluster is: each live node\'s active view per topic, down nodes empty', () => {
    const last = snapshots[snapshots.length - 1];
    const c = outcome.cluster;
    for (const n of nodes) {
      const app = c.app(n.nodeId);
      for (const topic of n.topics) {
        const live = app === undefined ? [] : app.activeView(topic).map((id) => c.nameOf(id)).sort();
        expect(last.views[topic][n.name] ?? [], `${n.name} on ${topic}`).toEqual(live);
      }
      expect(last.down.includes(n.name)).toBe(app === undefined);
    }
  });

  it('agree with a brute-force replay of the spans at any time', () => {
    const endMs = outcome.report.virtualMs;
    for (let t = 0; t <= endMs; t += 7_919) expect(flatten(snapshotAt(snapshots, t))).toEqual(bruteForceViews(t));
  });

  it('are frozen: the past cannot be rewritten', () => {
    const s = snapshots[Math.floor(snapshots.length / 2)];
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.views)).toBe(true);
    const topic = Object.keys(s.views)[0];
    expect(Object.isFrozen(s.views[topic])).toBe(true);
    expect(() => {
      (s.views as Record<string, unknown>)[topic] = {};
    }).toThrow(TypeError);
  });

  it('share every unchanged topic with the previous snapshot', () => {
    let shared = 0;
    let total = 0;
    for (let i = 1; i < snapshots.length; i++) {
      for (const topic of Object.keys(snapshots[i].views)) {
        total++;
        if (snapshots[i].views[topic] === snapshots[i - 1].views[topic]) shared++;
      }
      expect(snapshots[i].atMs).toBeGreaterThan(snapshots[i - 1].atMs);
    }
    expect(snapshots.length).toBeGreaterThan(50);
    expect(shared / total).toBeGreaterThan(0.5);
  });

  it('encode as changes and keyframes that decode back to every snapshot: views, down and killed nodes', () => {
    const enc = encodeTopology(outcome.cluster.telemetry.records, nodes);
    // The same snapshots: one per virtual ms in which the state changed.
    expect(enc.snapshots.map((row) => row[0])).toEqual(snapshots.map((s) => s.atMs));
    expect(enc.keyframes.length).toBeGreaterThan(1); // the decoder starts from later keyframes too
    const byIndex = (list: readonly number[]): string[] => list.flatMap((flag, i) => (flag === 1 ? [enc.nodes[i]] : []));
    snapshots.forEach((snapshot, i) => {
      const state = topologyStateAt(enc, i);
      expect(state.atMs).toBe(snapshot.atMs);
      enc.topics.forEach((topic, ti) => {
        enc.nodes.forEach((name, ni) => {
          expect(enc.views[state.states[ti][ni]].map((j) => enc.nodes[j])).toEqual(snapshot.views[topic][name] ?? []);
        });
      });
      expect(byIndex(state.down).sort()).toEqual([...snapshot.down].sort());
      expect(byIndex(state.killed).sort()).toEqual([...snapshot.killed].sort());
    });
  });
});

describe('HTML report', () => {
  const embedded = (page: string): ReportData => JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)![1]) as ReportData;

  it('has the four tabs and their panels', () => {
    expect([...html.matchAll(/<button type="button" data-tab="(\w+)">/g)].map((m) => m[1])).toEqual(['timeline', 'chaos', 'tests', 'topology']);
    for (const id of ['tab-timeline', 'tab-chaos', 'tab-tests', 'tab-topology', 'timeline', 'chaos-table', 'tests-grid', 'topology', 'topo-time', 'topo-topic']) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it('embeds the report data: a timeline row per node and per chaos event, events from the trace', () => {
    const d = embedded(html);
    expect(d).toEqual(JSON.parse(JSON.stringify(data)));
    const tl = d.run!.timeline;
    expect(tl.rows).toHaveLength(nodes.length + 1);
    expect(tl.bars).toHaveLength(1);
    const counts = outcome.report.spansByName;
    const connected = tl.names.indexOf('mesh.peer.connected');
    expect(tl.events.filter((e) => e[3] === connected)).toHaveLength(counts['mesh.peer.connected']);
    expect(tl.events.filter((e) => tl.names[e[3]] === 'mesh.heartbeat')).toHaveLength(counts['mesh.heartbeat']);
    expect(tl.events.every((e) => e[0] >= 0 && e[0] <= tl.endMs)).toBe(true);
  });

  it('lists each chaos event with time, primitive, targets, verdict, waited time and evidence', () => {
    const log = (outcome.report.chaos as { log: { atMs: number; targets: string[]; evidence: string[] }[] }).log;
    const rows = [...html.matchAll(/<tr class="chaos-row[^"]*" data-chaos-id="(\d+)">(.*?)<\/tr>/gs)];
    expect(rows).toHaveLength(log.length);
    const [, id, body] = rows[0];
    expect(id).toBe('1');
    expect(body).toContain('kill_node');
    expect(body).toContain(log[0].targets[0]);
    expect(body).toContain('class="verdict passed"');
    expect(body).toContain('href="#timeline:chaos-1"');
    expect([...body.matchAll(/<li /g)]).toHaveLength(log[0].evidence.length);
    expect(data.run!.chaos[0].evidence.map((e) => `${e.node}:${e.name}@${e.atMs}`)).toEqual(log[0].evidence);
  });

  it('shows the replay command on a failed chaos row', () => {
    const run = data.run!;
    const failed: ReportData = { ...data, run: { ...run, chaos: [{ ...run.chaos[0], verdict: 'failed_timeout' }] } };
    const page = renderReportHtml(failed);
    const row = /<tr class="chaos-row[^"]*" data-chaos-id="1">(.*?)<\/tr>/s.exec(page)![1];
    expect(row).toContain('class="verdict failed_timeout"');
    expect(row).toContain(`<code class="replay">${run.replay}</code>`);
    expect(renderReportHtml(data)).not.toContain('<code class="replay">');
  });

  it('is self-contained: no network URL anywhere, no external script, stylesheet or image', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect([...html.matchAll(/href="([^"]*)"/g)].every((m) => m[1].startsWith('#'))).toBe(true);
    expect(Buffer.byteLength(html)).toBeLessThan(1024 * 1024);
  });

  it('is a pure function of the run', () => {
    expect(renderReportHtml(runReportData(outcome, { replay: replayLine(outcome.report.replay), tests: testsGridOf([cell('kill-node', '5', 'pass')]) }))).toBe(html);
  });

  it('renders a battery grid of scenarios × seeds with pass/fail and replay commands, and no run tabs', () => {
    const grid = testsGridOf([cell('kill-node', '1', 'pass'), cell('kill-node', '2', 'fail'), cell('default', '1', 'pass'), cell('default', '2', 'pass')]);
    const page = renderReportHtml(testsReportData('battery', grid));
    expect([...page.matchAll(/<tr class="test-row">/g)]).toHaveLength(2);
    expect([...page.matchAll(/<td class="cell pass"/g)]).toHaveLength(3);
    expect([...page.matchAll(/<td class="cell fail"/g)]).toHaveLength(1);
    expect(page).toContain('<th>seed 1</th><th>seed 2</th>');
    expect(page).toContain('<code class="replay">npx meshsim run --scenario kill-node --seed 2</code>');
    expect(page).toContain('3 passed, 1 failed');
    expect(page).not.toContain('id="chaos-table"');
  });

  it('aggregates a grid of 1,200 seeds: failing scenarios first, their failures listed with replay, a square per seed', () => {
    const seeds = Array.from({ length: 1200 }, (_, i) => String(i + 1));
    const failing = new Set(['7', '300', '1200']);
    const cells = [...seeds.map((s) => cell('default', s, 'pass')), ...seeds.map((s) => cell('kill-node', s, failing.has(s) ? 'fail' : 'pass'))];
    const page = renderReportHtml(testsReportData('sweep', testsGridOf(cells)));
    expect([...page.matchAll(/<tr class="test-row[^"]*"><td>([^<]+)<\/td>/g)].map((m) => m[1])).toEqual(['kill-node', 'default']);
    expect([...page.matchAll(/<div class="cell fail"[^>]*>seed (\d+)/g)].map((m) => m[1])).toEqual(['7', '300', '1200']);
    expect(page).toContain('<code class="replay">npx meshsim run --scenario kill-node --seed 300</code>');
    expect([...page.matchAll(/<i class="sq (pass|fail)"/g)]).toHaveLength(2400);
    expect([...page.matchAll(/<i class="sq fail" title="seed (\d+): fail"/g)].map((m) => m[1])).toEqual(['7', '300', '1200']);
    expect(page).not.toContain('<th>seed 1</th>');
    expect(page).toContain('2397 passed, 3 failed');
  });

  it('past 2,000 seeds a square stands for a bucket of consecutive seeds, red when any failed', () => {
    const seeds = Array.from({ length: 5000 }, (_, i) => String(i + 1));
    const page = renderReportHtml(testsReportData('sweep', testsGridOf(seeds.map((s) => cell('default', s, s === '4001' ? 'fail' : 'pass')))));
    const squares = [...page.matchAll(/<i class="sq (pass|fail)" title="([^"]*)"/g)];
    expect(squares).toHaveLength(Math.ceil(5000 / 3));
    expect(squares.filter((m) => m[1] === 'fail').map((m) => m[2])).toEqual(['seeds 4000–4002: 1 failed of 3']);
  });
});
