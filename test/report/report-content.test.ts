/**
 * What the report and the result lines say beyond the verdict, found missing by an audit of the
 * report as a new user. Goal: a run whose chaos events were mostly skipped says how many (the
 * header and Chaos tab showed "3" for `--chaos 30`, with no reason); a cell or a sweep or
 * experiment line that shows a few of a run's violations says how many more there were; a sweep
 * line of a run without chaos carries `chaos: null` as the README lists it; the Tests grid puts
 * seeds in seed order (a shard's strided runs came 2, 1, 3); an experiment's cells carry their
 * runs' chaos counts. Method: short runs through the runner and the report's data builders;
 * two through the built CLI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { renderReportHtml } from '../../src/report/html.js';
import { runReportData } from '../../src/report/report-data.js';
import { testCellOf, testCellOfLine, testsGridOf, type TestCell } from '../../src/report/tests-grid.js';
import { testsPanel } from '../../src/report/tests-panel.js';
import { runScenario, shownViolations } from '../../src/scenario/runner.js';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { cli, requireBuiltCli } from '../support/cli.js';

const TINY = { name: 'tiny3', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 3 } }], observer: false }, durationMs: 30_000, healWindowMs: 30_000 };
/** One byte per Plumtree message: every digest is refused, and the run fails with dozens of violations. */
const FAILING = { name: 'fail', topology: { meshes: [{ meshId: 'm', roles: { gateway: 4, broker: 2 } }] }, durationMs: 10_000, node: { plumtree: { maxMessageSizeBytes: 1 } } };

function scenario(file: object): Scenario {
  const parsed = parseScenarioJson(file);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'meshsim-report-content-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chaos events that were skipped', () => {
  it('are counted in the header, the Chaos tab and the Tests cell', () => {
    const outcome = runScenario(withChaos(scenario(TINY), { random: { count: 30 } }), '5');
    const chaos = outcome.report.chaos as { events: number; skipped: number };
    expect(chaos.skipped).toBeGreaterThan(0);
    const data = runReportData(outcome, { tests: testsGridOf([testCellOf(outcome.report, 'replay')]) });
    expect(data.run?.chaosSkipped).toBe(chaos.skipped);
    const html = renderReportHtml(data);
    expect(html).toContain(`chaos events <b>${chaos.events}</b> (${chaos.skipped} more skipped: no fitting target when due)`);
    expect(html).toContain(`${chaos.skipped} more chaos events were skipped: no fitting target when due`);
    expect(html).toMatch(new RegExp(`\\d+/${chaos.events}, ${chaos.skipped} skipped</span>`));
  });
});

describe('violations beyond those shown', () => {
  it('are counted, listed or not', () => {
    const { report } = runScenario(scenario(FAILING), '3');
    const found = report.violations.length + Object.values(report.violationsNotListed ?? {}).reduce((n, k) => n + k, 0);
    expect(found).toBeGreaterThan(10);
    const shown = shownViolations(report, 3);
    expect(shown.violations).toHaveLength(3);
    expect(shown.violationsMore).toBe(found - 3);
    const cell = testCellOf(report, 'replay');
    expect(cell.violationsMore).toBe(found - 5);
    expect(testsPanel(testsGridOf([cell]))).toContain(`<div class="empty">… and ${found - 5} more</div>`);
    // A sweep line shows 3 and counts the rest; its cell shows those 3 and counts the rest too.
    const line = { ...cell, violations: shown.violations, violationsMore: shown.violationsMore };
    expect(testCellOfLine(line).violationsMore).toBe(found - 3);
    const passing = runScenario(scenario(TINY), '1').report;
    expect(shownViolations(passing, 3)).toEqual({ violations: [] });
  });

  it('in the sweep and experiment lines of the CLI, with chaos null for a run without chaos', async () => {
    const file = join(dir, 'fail.json');
    writeFileSync(file, JSON.stringify(FAILING));
    const sweep = await cli('sweep', '--scenario', file, '--seeds', '3..3', '--workers', '1', '--json');
    const seedLine = JSON.parse(sweep.stdout.split('\n')[0]);
    expect(seedLine.violations).toHaveLength(3);
    expect(seedLine.violationsMore).toBeGreaterThan(7);
    expect(seedLine.chaos).toBeNull();
    const experiment = join(dir, 'exp.json');
    writeFileSync(experiment, JSON.stringify({ name: 'e', base: FAILING, axes: {}, seeds: '3..3' }));
    const exp = await cli('experiment', experiment, '--workers', '1', '--json');
    const runLine = JSON.parse(exp.stdout.split('\n')[0]);
    expect(runLine.violationsMore).toBe(seedLine.violationsMore);
  });
});

describe('the Tests grid', () => {
  it('orders seeds as numbers, whatever order the runs came in', () => {
    const cell = (seed: string): TestCell => ({ scenario: 's', seed, verdict: 'pass', replay: 'r', violations: [], virtualMs: 0, chaos: null });
    expect(testsGridOf(['10', '2', '1', '3'].map(cell)).seeds).toEqual(['1', '2', '3', '10']);
  });

  it("an experiment's cells carry their runs' chaos counts", async () => {
    const experiment = join(dir, 'kn.json');
    writeFileSync(experiment, JSON.stringify({ name: 'kn', base: 'kill-node', axes: { healWindowMs: [30_000] }, seeds: '1..1' }));
    const html = join(dir, 'kn.html');
    const r = await cli('experiment', experiment, '--workers', '1', '--report', html);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<td class="cell pass"[^>]*>pass <span class="empty">1\/1<\/span>/);
  });
});
