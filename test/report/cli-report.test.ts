/**
 * CLI surface of the reports. Goal: `meshsim run --report/--otlp` writes both files (and keeps
 * `--json` stdout to one object), `meshsim battery` runs scenarios × seeds with a text grid, one
 * JSON object or an HTML Tests grid and the right exit code, and bad options are one-line usage
 * errors before any run starts. Method: spawn the BUILT cli (`npm test` builds it) with short
 * durations, in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportData } from '../../src/report/index.js';
import { ROOT, cli, expectUsageError, requireBuiltCli } from '../support/cli.js';

const embedded = (page: string): ReportData => JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)![1]) as ReportData;

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'meshsim-report-cli-'));
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('report options', () => {
  it('a run loads the OpenTelemetry packages only to write OTLP (they are some 220 module files)', () => {
    // The built run path, as `meshsim run` imports it, then one OTLP export; the CommonJS module
    // cache says what was loaded.
    const script = `
      import { createRequire } from 'node:module';
      const dist = ${JSON.stringify(join(ROOT, 'dist', 'src'))};
      await import(dist + '/cli/run-command.js');
      const { runScenario } = await import(dist + '/scenario/runner.js');
      const { findScenario } = await import(dist + '/catalog/registry.js');
      const otel = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry')).length;
      const { cluster } = runScenario({ ...findScenario('default'), durationMs: 2000 }, '1');
      const before = otel();
      const { otlpJsonOfRun } = await import(dist + '/report/otlp.js');
      otlpJsonOfRun(cluster.telemetry);
      console.log(before, otel());`;
    const [before, after] = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim().split(' ').map(Number);
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
  });

  it('the text summary of a run lists its chaos events with their verdicts, as the engine logged them', async () => {
    const [text, json] = await Promise.all([cli('run', '--scenario', 'kill-node', '--seed', '5'), cli('run', '--scenario', 'kill-node', '--seed', '5', '--json')]);
    const log = (JSON.parse(json.stdout) as { chaos: { log: { id: number; primitive: string; targets: string[]; verdict: string }[] } }).chaos.log;
    expect(log).toHaveLength(1);
    expect(text.stdout).toContain(`chaos events (1: ${log[0].verdict === 'passed' ? 1 : 0} passed`);
    expect(text.stdout).toMatch(new RegExp(`\\n  #1\\s+20\\.000 s\\s+kill_node\\s+${log[0].targets[0]}\\s+${log[0].verdict}\\s`));
    const quiet = await cli('run', '--scenario', 'default', '--seed', '1', '--duration', '3s');
    expect(quiet.stdout).not.toContain('chaos events');
  });

  it('run --json --report --otlp writes both files; stdout stays one JSON object, notes go to stderr', async () => {
    const html = join(dir, 'run.html');
    const otlp = join(dir, 'run.json');
    const r = await cli('run', '--seed', '3', '--duration', '5s', '--json', '--report', html, '--otlp', otlp);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { spans: number; replay: string };
    expect(r.stderr).toMatch(/^otlp: .*run\.json \(\d+ spans, \d+ resources, [\d.]+ KiB\)\nreport: .*run\.html \([\d.]+ KiB\)\n$/);
    const data = embedded(readFileSync(html, 'utf8'));
    expect(data.run!.seed).toBe('3');
    expect(data.run!.spans).toBe(json.spans);
    expect(data.run!.replay).toBe(json.replay);
    expect(data.tests!.cells).toHaveLength(1);
    const doc = JSON.parse(readFileSync(otlp, 'utf8')) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    expect(doc.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans))).toHaveLength(json.spans);
  });

  it('a report path in a missing directory is bad usage before the run', async () => {
    expectUsageError(await cli('run', '--seed', '3', '--report', join(dir, 'missing', 'x.html')), /^meshsim: --report: directory .* does not exist/);
  });
});

describe.concurrent('meshsim battery', () => {
  it('runs scenarios × seeds and prints the grid; --report writes the Tests grid', async () => {
    const html = join(dir, 'battery.html');
    const r = await cli('battery', '--scenarios', 'default,gossip-swarm-forms', '--seeds', '2', '--duration', '3s', '--report', html);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^(pass|FAIL) {2}\S+ seed \d/.test(l))).toHaveLength(4);
    expect(r.stdout).toMatch(/scenario\s+seed 1\s+seed 2/);
    const counts = /(\d+) passed, (\d+) failed/.exec(r.stdout)!;
    expect(Number(counts[1]) + Number(counts[2])).toBe(4);
    expect(r.status).toBe(Number(counts[2]) === 0 ? 0 : 1);
    const data = embedded(readFileSync(html, 'utf8'));
    expect(data.run).toBeNull();
    expect(data.tests!.scenarios).toEqual(['default', 'gossip-swarm-forms']);
    expect(data.tests!.seeds).toEqual(['1', '2']);
    expect(data.tests!.cells.every((c) => c.replay === `npx meshsim run --scenario ${c.scenario} --seed ${c.seed} --duration 3000ms`)).toBe(true);
  });

  it('--json prints one object with every cell', async () => {
    const r = await cli('battery', '--scenarios', 'default', '--seeds', '2', '--duration', '3s', '--json');
    const out = JSON.parse(r.stdout) as { passed: number; failed: number; cells: { seed: string; verdict: string }[] };
    expect(out.cells.map((c) => c.seed)).toEqual(['1', '2']);
    expect(out.passed + out.failed).toBe(2);
  });

  it('--chaos N adds chaos to every run: each cell is `meshsim run --chaos N`, digest and replay', async () => {
    const r = await cli('battery', '--scenarios', 'kill-node,gossip-swarm-forms', '--seeds', '2', '--chaos', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { chaos: number; cells: { scenario: string; seed: string; replay: string; traceDigest: string }[] };
    expect(out.chaos).toBe(2);
    expect(out.cells).toHaveLength(4);
    const runs = await Promise.all(out.cells.map((c) => cli('run', '--scenario', c.scenario, '--seed', c.seed, '--chaos', '2', '--json')));
    for (const [i, c] of out.cells.entries()) {
      expect(c.replay).toBe(`npx meshsim run --scenario ${c.scenario} --seed ${c.seed} --chaos 2`);
      expect(c.traceDigest).toBe((JSON.parse(runs[i].stdout) as { traceDigest: string }).traceDigest);
    }
    expectUsageError(await cli('battery', '--chaos', 'x'), /^meshsim: --chaos must be/);
    const text = await cli('battery', '--scenarios', 'gossip-swarm-forms', '--chaos', '2');
    expect(text.stdout).toMatch(/^1 passed, 0 failed \(every run with --chaos 2\)$/m);
  });

  it('sweep --report writes the Tests grid of its seeds', async () => {
    const html = join(dir, 'sweep.html');
    const r = await cli('sweep', '--scenario', 'default', '--seeds', '1..3', '--workers', '1', '--duration', '3s', '--json', '--report', html);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; verdict?: string });
    expect(lines.filter((l) => l.type === 'seed')).toHaveLength(3);
    expect(r.stderr).toMatch(/report: .*sweep\.html/);
    const data = embedded(readFileSync(html, 'utf8'));
    expect(data.tests!.scenarios).toEqual(['default']);
    expect(data.tests!.seeds).toEqual(['1', '2', '3']);
    expect(data.tests!.cells.map((c) => c.verdict)).toEqual(lines.filter((l) => l.type === 'seed').map((l) => l.verdict));
  });

  it('bad --seeds or an unknown scenario is one-line bad usage', async () => {
    for (const args of [['--seeds', '0'], ['--seeds', 'x'], ['--scenarios', 'nope']]) {
      expectUsageError(await cli('battery', ...args), /^meshsim: --(seeds|scenarios): /);
    }
  });
});
