/**
 * `meshsim experiment` (SPEC §10.5). Goal: an experiment file expands to exactly the points
 * and runs it promises, every point is validated before anything runs (one line naming the
 * field), and the results are a pure function of (point, seed): byte-identical across worker
 * counts and equal to running that point's scenario directly. Method: field-path and parser
 * units; the metrics flattening over a real run report; then the built CLI on a 2 × 2 × 2
 * experiment of a tiny one-mesh scenario with 1 and 2 workers, checked against in-process runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenarioJson } from '../../src/cli/scenario-file.js';
import { parseExperimentJson, type Experiment } from '../../src/experiment/experiment-file.js';
import { parseFieldPath, withFieldAt } from '../../src/experiment/field-path.js';
import { LEFT_OUT_METRIC, RUN_METRICS_MAX, runMetrics, VIEW_TOPICS_MAX } from '../../src/experiment/run-metrics.js';
import { ExperimentSummary } from '../../src/experiment/summary.js';
import { findScenario } from '../../src/catalog/registry.js';
import { runScenario, type RunReport } from '../../src/scenario/runner.js';
import { cli, expectUsageError, requireBuiltCli } from '../support/cli.js';

const BASE = { name: 'tiny', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 2 } }] }, durationMs: 3000, healWindowMs: 20000 };
const FILE = { base: BASE, axes: { 'topology.meshes.0.roles.gateway': [2, 3], durationMs: [3000, 4000] }, seeds: '1..2' };

function parsed(value: unknown): Experiment {
  const r = parseExperimentJson(value, 'x');
  if (!r.ok) throw new Error(r.error);
  return r.experiment;
}

function problem(value: unknown): string {
  const r = parseExperimentJson(value, 'x');
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.error;
}

describe('field paths', () => {
  it('set a value at a dotted path in a copy, creating missing objects, indexing existing array elements', () => {
    const set = withFieldAt(BASE, parseFieldPathOk('topology.meshes.0.roles.gateway'), 7);
    expect(set.ok && (set.value.topology as typeof BASE.topology).meshes[0].roles.gateway).toBe(7);
    expect(BASE.topology.meshes[0].roles.gateway).toBe(2);
    const nested = withFieldAt(BASE, parseFieldPathOk('node.hyparview.activeViewCapacity'), 4);
    expect(nested.ok && nested.value.node).toEqual({ hyparview: { activeViewCapacity: 4 } });
    expect(withFieldAt(BASE, parseFieldPathOk('topology.meshes.1.roles'), {})).toEqual({ ok: false, error: 'topology.meshes has no element 1 (it has 1)' });
    expect(withFieldAt(BASE, parseFieldPathOk('durationMs.x'), 1)).toEqual({ ok: false, error: 'durationMs is not an object or array, so it has no field x' });
  });

  it('reject malformed paths', () => {
    expect(parseFieldPath('a..b').ok).toBe(false);
    expect(parseFieldPath('0.a').ok).toBe(false);
    expect(parseFieldPath('a b').ok).toBe(false);
  });

  it('reject names every object inherits, and never write past an object\'s own fields', () => {
    // `__proto__.hasOwnProperty` wrote into Object.prototype for the whole process.
    for (const path of ['__proto__', '__proto__.hasOwnProperty', 'topology.__proto__.bridges', 'constructor.prototype.x', 'node.prototype']) {
      expect(parseFieldPath(path), path).toEqual({ ok: false, error: expect.stringMatching(/names "(__proto__|constructor|prototype)", which is no field of a scenario file$/) });
    }
    const set = withFieldAt(BASE, ['__proto__', 'polluted'], 1); // below the parser, as a caller of withFieldAt might
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(set.ok && Object.getPrototypeOf(set.value)).toBe(Object.prototype);
    expect(problem({ base: BASE, axes: { '__proto__.durationMs': [1000, 2000] } })).toMatch(/^axes: field path "__proto__\.durationMs" names "__proto__"/);
  });
});

function parseFieldPathOk(path: string): readonly string[] {
  const p = parseFieldPath(path);
  if (!p.ok) throw new Error(p.error);
  return p.segments;
}

describe('experiment files', () => {
  it('expand to every combination, last axis fastest, each point a valid scenario with its values applied', () => {
    const e = parsed(FILE);
    expect(e.points.map((p) => p.values)).toEqual([[2, 3000], [2, 4000], [3, 3000], [3, 4000]]);
    expect(e.seeds).toEqual({ from: 1, to: 2 });
    const third = e.points[2].base;
    expect(third.kind).toBe('file');
    const scenario = third.kind === 'file' ? parseScenarioJson(third.scenario) : null;
    expect(scenario?.ok && scenario.scenario.durationMs).toBe(3000);
    expect(scenario?.ok && scenario.scenario.topology.meshes[0].roles).toEqual([['gateway', 3]]);
  });

  it('name the field of the first problem in one line', () => {
    expect(problem({ ...FILE, extra: 1 })).toMatch(/^unknown field extra/);
    expect(problem({ ...FILE, axes: { durationMs: [1000, 0] } })).toBe('point 2 (durationMs=0): durationMs must be an integer in [1, 86400000]');
    expect(problem({ ...FILE, axes: { durationMs: 5 } })).toBe('axes["durationMs"] must be a non-empty array of values');
    expect(problem({ ...FILE, axes: { durationMs: [{}] } })).toBe('axes["durationMs"][0] must be a string, number, boolean or null');
    expect(problem({ ...FILE, axes: { bogusField: [1] } })).toMatch(/^point 1 \(bogusField=1\): unknown field bogusField/);
    expect(problem({ ...FILE, axes: { 'topology.meshes.3.roles.gateway': [1] } })).toBe('axes["topology.meshes.3.roles.gateway"]: base.topology.meshes has no element 3 (it has 1)');
    expect(problem({ ...FILE, base: { ...BASE, durationMs: -1 } })).toMatch(/^base: durationMs must be/);
    expect(problem({ ...FILE, seeds: '5..1' })).toMatch(/^seeds: /);
    expect(problem({ axes: {} })).toMatch(/^base is missing/);
  });

  it('a registered base scenario varies only its plain run knobs, validated like a scenario file', () => {
    const e = parsed({ base: 'default', axes: { durationMs: [5000, 10000] } });
    expect(e.points.map((p) => p.base)).toEqual([
      { kind: 'named', name: 'default', overrides: { durationMs: 5000 } },
      { kind: 'named', name: 'default', overrides: { durationMs: 10000 } },
    ]);
    expect(problem({ base: 'default', axes: { 'topology.bridges': [1] } })).toMatch(/^axes\["topology.bridges"\]: a registered base scenario can vary only durationMs/);
    expect(problem({ base: 'default', axes: { healWindowMs: [0] } })).toMatch(/healWindowMs must be an integer in \[1,/);
    expect(problem({ base: 'no-such-scenario', axes: {} })).toMatch(/^base: unknown scenario "no-such-scenario"/);
    // A registered chaos scenario whose event a point's shorter main phase would leave out.
    expect(problem({ base: 'kill-node', axes: { durationMs: [30_000, 10_000] } })).toMatch(/^point 2 \(durationMs=10000\): chaos event 0 \(kill_node\) is due at 20000 ms, not inside the main phase/);
  });
});

/** `report` with a `metrics` object of another shape than a run's: runMetrics reads any numeric leaves. */
function withFakeMetrics(report: RunReport, metrics: unknown): RunReport {
  return { ...report, metrics: metrics as RunReport['metrics'] };
}

describe('run metrics', () => {
  it('flatten the numeric leaves of the report, including any `metrics` object, sorted, arrays skipped', () => {
    const { report } = runScenario(findScenario('gossip-swarm-forms')!, '1', { durationMs: 3000 });
    const withMetrics = withFakeMetrics(report, { broadcasts: { reliability: { mean: 0.5, min: 0 } }, list: [1, 2], label: 'x', zeta: 3 });
    const m = runMetrics(withMetrics);
    expect(m.pass).toBe(report.verdict === 'pass' ? 1 : 0);
    expect(m.events).toBe(report.events);
    expect(m['probes.deliveries']).toBe(report.probes.deliveries);
    expect(m['views.mesh-a.mean']).toBe(report.views['mesh-a'].mean);
    expect(m['metrics.broadcasts.reliability.mean']).toBe(0.5);
    expect(m['metrics.zeta']).toBe(3);
    expect(Object.keys(m).some((k) => k.startsWith('metrics.list') || k === 'metrics.label')).toBe(false);
    expect(Object.keys(m)).toEqual(Object.keys(m).sort());
  });

  it('above VIEW_TOPICS_MAX topics, views over all topics, and the metrics object still whole', () => {
    // A run of 1,024 meshes: 1,025 per-topic view metrics filled RUN_METRICS_MAX first, and
    // every broadcast metric (reliability, hops, RMR) was left out without a word.
    const { report } = runScenario(findScenario('gossip-swarm-forms')!, '1', { durationMs: 3000 });
    const views: Record<string, { min: number; mean: number; max: number; subscribers: number }> = {};
    for (let i = 0; i < 1024; i++) views[`m${i}`] = { min: 3, mean: 4, max: 5, subscribers: 4 };
    views.m7 = { min: 1, mean: 2.5, max: 4, subscribers: 8 };
    views.bridge = { min: 0, mean: 0, max: 0, subscribers: 0 }; // no subscriber: no say
    const m = runMetrics({ ...withFakeMetrics(report, { summary: { reliability: { mean: 0.97 }, rmr: { max: 2.5 } } }), views });
    expect(Object.keys(m).filter((k) => k.startsWith('views.'))).toEqual(['views.max', 'views.mean', 'views.min']);
    expect([m['views.min'], m['views.max']]).toEqual([1, 5]);
    expect(m['views.mean']).toBe(Math.round(((1023 * 4 * 4 + 8 * 2.5) / (1023 * 4 + 8)) * 1000) / 1000);
    expect([m['metrics.summary.reliability.mean'], m['metrics.summary.rmr.max']]).toEqual([0.97, 2.5]);
    // Up to VIEW_TOPICS_MAX topics, one metric each, as before.
    const few = Object.fromEntries(Object.entries(views).slice(0, VIEW_TOPICS_MAX));
    expect(Object.keys(runMetrics({ ...report, views: few })).filter((k) => k.startsWith('views.'))).toHaveLength(VIEW_TOPICS_MAX);
  });

  it('past RUN_METRICS_MAX, the metrics left out are counted, not dropped without a word', () => {
    const { report } = runScenario(findScenario('gossip-swarm-forms')!, '1', { durationMs: 3000 });
    const before = Object.keys(runMetrics(withFakeMetrics(report, {}))).length;
    expect(runMetrics(withFakeMetrics(report, {}))[LEFT_OUT_METRIC]).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i]));
    const m = runMetrics(withFakeMetrics(report, { many }));
    expect(Object.keys(m)).toHaveLength(RUN_METRICS_MAX + 1);
    expect(m[LEFT_OUT_METRIC]).toBe(300 - (RUN_METRICS_MAX - before));
    // The first ones kept, in key order; the last ones left out.
    expect(m['metrics.many.k000']).toBe(0);
    expect(m['metrics.many.k299']).toBeUndefined();
  });

  it('summarise mean, min and max per point over seeds', () => {
    const s = new ExperimentSummary((p) => [p]);
    s.add({ point: 2, seed: '1', verdict: 'pass', traceDigest: 'a', violations: [], metrics: { pass: 1, x: 1 } });
    s.add({ point: 1, seed: '1', verdict: 'fail', traceDigest: 'b', violations: [], metrics: { pass: 0, x: 4 } });
    s.add({ point: 2, seed: '2', verdict: 'fail', traceDigest: 'c', violations: [], metrics: { pass: 0, x: 2 } });
    expect(s.points()).toEqual([
      { point: 1, values: [1], runs: 1, passed: 0, metrics: { pass: { n: 1, mean: 0, min: 0, max: 0 }, x: { n: 1, mean: 4, min: 4, max: 4 } } },
      { point: 2, values: [2], runs: 2, passed: 1, metrics: { pass: { n: 2, mean: 0.5, min: 0, max: 1 }, x: { n: 2, mean: 1.5, min: 1, max: 2 } } },
    ]);
  });
});

describe('meshsim experiment (built CLI)', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'meshsim-experiment-'));
    file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(FILE));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('2 axes × 2 seeds: the expected rows, byte-identical with 1 and 2 workers, each equal to running its point directly', async () => {
    const [one, two] = await Promise.all([cli('experiment', file, '--json', '--workers', '1'), cli('experiment', file, '--json', '--workers', '2')]);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    // Not a terminal: no progress bar, nothing on stderr.
    expect(one.stderr + two.stderr).toBe('');
    const runLines = (out: string): string[] => out.trimEnd().split('\n').filter((l) => l.startsWith('{"type":"run"'));
    expect(runLines(one.stdout)).toHaveLength(8);
    expect(runLines(two.stdout)).toEqual(runLines(one.stdout));
    const rows = runLines(one.stdout).map((l) => JSON.parse(l) as { point: number; at: Record<string, number>; seed: string; verdict: string; traceDigest: string; metrics: Record<string, number> });
    expect(rows.map((r) => [r.point, r.seed])).toEqual([[1, '1'], [1, '2'], [2, '1'], [2, '2'], [3, '1'], [3, '2'], [4, '1'], [4, '2']]);
    expect(rows[5].at).toEqual({ 'topology.meshes.0.roles.gateway': 3, durationMs: 3000 });
    const points = parsed(FILE).points;
    for (const r of [rows[0], rows[5]]) {
      const base = points[r.point - 1].base;
      const scenario = base.kind === 'file' ? parseScenarioJson(base.scenario) : null;
      const direct = runScenario(scenario!.ok ? scenario!.scenario : findScenario('default')!, r.seed).report;
      expect(r.traceDigest).toBe(direct.traceDigest);
      expect(r.metrics).toEqual(runMetrics(direct));
    }
    expect(new Set(rows.map((r) => r.traceDigest)).size).toBe(8);
    const summary = JSON.parse(one.stdout.trimEnd().split('\n').at(-1)!) as { type: string; runs: number; points: { point: number; runs: number; metrics: Record<string, { mean: number; min: number; max: number }> }[] };
    expect(summary.type).toBe('summary');
    expect(summary.runs).toBe(8);
    const events = rows.filter((r) => r.point === 4).map((r) => r.metrics.events);
    expect(summary.points[3].metrics.events).toEqual({ n: 2, mean: (events[0] + events[1]) / 2, min: Math.min(...events), max: Math.max(...events) });
  });

  it('--shard splits the runs into disjoint strided parts; --point runs one point', async () => {
    const [a, b, p] = await Promise.all([
      cli('experiment', file, '--json', '--workers', '1', '--shard', '1/3'),
      cli('experiment', file, '--json', '--workers', '1', '--shard', '3/3'),
      cli('experiment', file, '--json', '--workers', '1', '--point', '3', '--seeds', '2..2', '--report', join(dir, 'point3.html')),
    ]);
    expect(p.stderr).toMatch(/^report: .*point3\.html \([\d.]+ KiB\)\n$/);
    const page = readFileSync(join(dir, 'point3.html'), 'utf8');
    const embedded = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)![1]) as { experiment: { points: { point: number; runs: number }[]; metrics: string[] } };
    expect(embedded.experiment.points.map((x) => [x.point, x.runs])).toEqual([[3, 1]]);
    expect(embedded.experiment.metrics).toContain('events');
    expect(page).toContain('id="tab-experiment"');
    const pairs = (out: string): string[] => out.trimEnd().split('\n').filter((l) => l.startsWith('{"type":"run"')).map((l) => { const r = JSON.parse(l) as { point: number; seed: string }; return `${r.point}/${r.seed}`; });
    expect(pairs(a.stdout)).toEqual(['1/1', '2/2', '4/1']);
    expect(pairs(b.stdout)).toEqual(['2/1', '3/2']);
    expect(pairs(p.stdout)).toEqual(['3/2']);
  });

  it('text mode prints the summary tables', async () => {
    const r = await cli('experiment', file, '--workers', '1', '--point', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^experiment: x|^experiment: tiny/);
    expect(r.stdout).toMatch(/\nevents \(over seeds\)\n  topology\.meshes\.0\.roles\.gateway\s+durationMs\s+seeds\s+mean\s+min\s+max\n  2\s+3000\s+2\s/);
  });

  it('a bad file or option is one line naming the problem, exit 2, before anything runs', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...FILE, axes: { 'node.hyperview': [1] } }));
    const noSeeds = join(dir, 'no-seeds.json');
    writeFileSync(noSeeds, JSON.stringify({ base: BASE, axes: {} }));
    const [r1, r2, r3, r4] = await Promise.all([
      cli('experiment', bad),
      cli('experiment', noSeeds),
      cli('experiment', file, '--point', '9'),
      cli('experiment', join(dir, 'missing.json')),
    ]);
    expectUsageError(r1, /bad\.json: point 1 \(node\.hyperview=1\): unknown field node\.hyperview/);
    expectUsageError(r2, /no seeds \(set "seeds"/);
    expectUsageError(r3, /--point must be an integer from 1 to 4/);
    expectUsageError(r4, /cannot read experiment file \(ENOENT\)/);
  });
});
