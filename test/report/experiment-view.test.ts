/**
 * End-to-end: the Experiment tab of an experiment report in headless Chromium (Debian's
 * `chromium` via playwright-core, like browser.test.ts). Goal: the charts the operator sees are
 * the experiment's data: one uPlot chart per metric, one line per combination of the other axes,
 * switching the x axis and filtering metrics redraw them, the Tests grid holds a row per point,
 * and the page logs no error. Method: run a real 2 × 2 × 2 experiment of a tiny scenario
 * in-process (the worker's own function), summarise it as the CLI does, render and load the
 * file offline. Skips, saying why, only when no Chromium is installed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentJson, pointLabel } from '../../src/experiment/experiment-file.js';
import { ExperimentSummary, metricNames } from '../../src/experiment/summary.js';
import runPoint from '../../src/experiment/worker.js';
import { renderReportHtml } from '../../src/report/html.js';
import { experimentReportData, type ReportData } from '../../src/report/report-data.js';
import { testsGridOf, type TestCell } from '../../src/report/tests-grid.js';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';

const ARTIFACTS = resolve('artifacts');
const FILE = {
  name: 'tiny-grid',
  base: { name: 'tiny', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 2 } }] }, durationMs: 3000, healWindowMs: 20000 },
  axes: { 'topology.meshes.0.roles.gateway': [2, 3], durationMs: [3000, 4000] },
};
const SEEDS = ['1', '2'];

const executablePath = findChromium();
if (executablePath === null) console.warn('experiment-view.test: SKIPPED — no Chromium at /usr/bin/chromium or `chromium` on PATH');

/** The report `meshsim experiment --report` writes for FILE × SEEDS, built in-process. */
function experimentReport(): ReportData {
  const parsed = parseExperimentJson(FILE, 'x');
  if (!parsed.ok) throw new Error(parsed.error);
  const e = parsed.experiment;
  const summary = new ExperimentSummary((k) => e.points[k - 1].values);
  const cells: TestCell[] = [];
  for (const point of e.points) {
    for (const seed of SEEDS) {
      const line = runPoint({ point: point.index, base: point.base, seed });
      summary.add(line);
      cells.push({ scenario: `#${point.index} ${pointLabel(e.axes, point.values)}`, seed, verdict: line.verdict, replay: `replay ${point.index} ${seed}`, violations: line.violations, virtualMs: 0, chaos: null });
    }
  }
  const points = summary.points();
  const section = { name: e.name, description: '', base: e.baseName, seeds: '1..2', axes: e.axes.map((a) => ({ path: a.path, values: a.values })), metrics: metricNames(points), points };
  return experimentReportData('meshsim experiment: tiny-grid', section, testsGridOf(cells));
}

describe('Experiment report file', () => {
  it('is self-contained: uPlot and its stylesheet inline, nothing fetched; the only URL is the library banner', () => {
    const html = renderReportHtml(experimentReport());
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect([...html.matchAll(/href="([^"]*)"/g)].every((m) => m[1].startsWith('#'))).toBe(true);
    expect([...html.matchAll(/https?:\/\/[^\s"')]*/g)].map((m) => m[0])).toEqual(['https://github.com/leeoniya/uPlot']);
    expect(html).toContain('/*! https://github.com/leeoniya/uPlot');
  });
});

describe.skipIf(executablePath === null)('Experiment view in headless Chromium', () => {
  let data: ReportData;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    data = experimentReport();
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'report-experiment.html');
    writeFileSync(file, renderReportHtml(data));
    profileDir = mkdtempSync(join(tmpdir(), 'meshsim-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, { executablePath: executablePath!, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 }, offline: true });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    await page.goto(pathToFileURL(file).href);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
  });

  it('opens on the Experiment tab with one chart per metric, each a line per other-axis value', async () => {
    const experiment = data.experiment!;
    expect(await page.getAttribute('body', 'data-active-tab')).toBe('experiment');
    expect(experiment.metrics).toContain('events');
    expect(Number(await page.getAttribute('#exp-charts', 'data-charts'))).toBe(experiment.metrics.length);
    expect(await page.locator('#exp-charts .exp-chart canvas').count()).toBe(experiment.metrics.length);
    expect(await page.getAttribute('#exp-charts', 'data-x')).toBe('topology.meshes.0.roles.gateway');
    // x = gateways: one line per durationMs value, each with mean, max and min series.
    expect(await page.getAttribute('.exp-chart[data-metric="events"]', 'data-series')).toBe('2');
    expect(await page.locator('.exp-chart[data-metric="events"] .u-legend .u-series').count()).toBe(2 * 3);
    expect(await page.locator('.exp-chart[data-metric="events"] .u-legend .u-series:visible').count()).toBe(2);
    expect(await page.textContent('.exp-chart[data-metric="events"] .u-legend')).toContain('durationMs=4000');
    expect(await page.locator('#exp-points tbody tr').count()).toBe(4);
    await page.screenshot({ path: join(ARTIFACTS, 'report-experiment.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the x axis and the metric filter redraw the charts', async () => {
    await page.selectOption('#exp-x', '1');
    expect(await page.getAttribute('#exp-charts', 'data-x')).toBe('durationMs');
    await page.fill('#exp-filter', 'views');
    const views = data.experiment!.metrics.filter((m) => m.includes('views'));
    expect(views.length).toBeGreaterThan(0);
    expect(await page.locator('#exp-charts .exp-chart').count()).toBe(views.length);
    expect(errors).toEqual([]);
  });

  it('the Tests grid has a row per point', async () => {
    await page.click('nav [data-tab="tests"]');
    expect(await page.locator('#tests-grid .test-row').count()).toBe(4);
    expect(errors).toEqual([]);
  });
});
