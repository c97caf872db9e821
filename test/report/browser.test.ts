/**
 * End-to-end: the HTML report of a chaos-soak-9prim-1min run in a real headless Chromium
 * (Debian's `chromium`, driven by playwright-core through executablePath). Goal: what an
 * operator sees is what the trace says — each tab renders the expected number of rows and
 * events, hovering shows a span's attributes, zoom and the topology slider work, and clicking a
 * chaos event (a failed one when there is one) moves the Timeline to it. Screenshots are saved to
 * artifacts/ as test artifacts. Skips, saying why, only when no Chromium is installed
 * (.ci/run installs it, so CI runs this).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml, runReportData, testCellOf, testsGridOf, type ReportData, type RunSection } from '../../src/report/index.js';
import { findScenario } from '../../src/catalog/registry.js';
import { runScenario } from '../../src/scenario/runner.js';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import { replayLine } from '../../src/cli/replay-line.js';
import { CHROMIUM_ARGS, findChromium } from '../support/chromium.js';

const SCENARIO = 'chaos-soak-9prim-1min';
const SEED = '2';
const ARTIFACTS = resolve('artifacts');

const executablePath = findChromium();
if (executablePath === null) {
  console.warn('browser.test: SKIPPED — no Chromium at /usr/bin/chromium or `chromium` on PATH (apt-get install chromium; .ci/run does this)');
}

/** Opens a written report in a fresh headless Chromium profile; the page must load without a script error. */
/** A report open in headless Chromium; `close` ends the browser and removes its profile. */
interface OpenReport {
  readonly page: Page;
  close(): Promise<void>;
}

/** Writes `html` to `artifacts/<name>` and opens it in Chromium, with no page error on load. */
async function openReport(name: string, html: string): Promise<OpenReport> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  writeFileSync(file, html);
  const profileDir = mkdtempSync(join(tmpdir(), 'meshsim-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profileDir, {
    executablePath: executablePath!,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    offline: true,
  });
  const close = async (): Promise<void> => {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true });
  };
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  expect(errors).toEqual([]);
  return { page, close };
}

describe.skipIf(executablePath === null)(`HTML report in headless Chromium (${SCENARIO} seed ${SEED})`, () => {
  let run: RunSection;
  let report: OpenReport | undefined;
  let page: Page;

  beforeAll(async () => {
    const scenario = findScenario(SCENARIO);
    expect(scenario, `${SCENARIO} is registered`).toBeDefined();
    const outcome = runScenario(scenario!, SEED);
    const data: ReportData = runReportData(outcome, { tests: testsGridOf([testCellOf(outcome.report, replayLine(outcome.report.replay))]) });
    run = data.run!;
    report = await openReport(`report-${SCENARIO}-seed-${SEED}.html`, renderReportHtml(data));
    page = report.page;
  }, 60_000);

  afterAll(async () => {
    await report?.close();
  });

  it('Timeline: a row per node and per chaos event, every event drawn, hover shows span attributes', async () => {
    expect(await page.getAttribute('body', 'data-active-tab')).toBe('timeline');
    expect(await page.locator('#timeline .row-label').count()).toBe(run.nodes.length + run.chaos.length);
    expect(await page.locator('#timeline .bar').count()).toBe(run.chaos.length);
    expect(await page.locator('#timeline .ev').count()).toBe(run.timeline.events.length);
    // A connection event with no other event of its row nearby, so nothing covers it.
    const { events, names, endMs } = run.timeline;
    const gapMs = endMs / 100;
    const i = events.findIndex((e, k) => names[e[3]] === 'mesh.peer.connected' && events.every((o, j) => j === k || o[1] !== e[1] || Math.abs(o[0] - e[0]) > gapMs));
    expect(i).toBeGreaterThanOrEqual(0);
    await page.hover(`#timeline .ev[data-e="${i}"]`);
    const tip = await page.textContent('#tooltip');
    expect(await page.isVisible('#tooltip')).toBe(true);
    expect(tip).toContain('mesh.peer.connected');
    expect(tip).toContain(run.timeline.rows[events[i][1]].label);
    expect(tip).toContain(`peerId=${/peerId=(\S+)/.exec(events[i][4])![1]}`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-timeline.png') });
  });

  it('Timeline zooms in and pans', async () => {
    const span = async (): Promise<[number, number]> => [Number(await page.getAttribute('#timeline', 'data-view-start-ms')), Number(await page.getAttribute('#timeline', 'data-view-end-ms'))];
    const [s0, e0] = await span();
    await page.click('#zoom-in');
    const [s1, e1] = await span();
    expect(e1 - s1).toBeLessThan((e0 - s0) * 0.6);
    const box = (await page.locator('#timeline').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 200, box.y + 40, { steps: 4 });
    await page.mouse.up();
    const [s2, e2] = await span();
    expect(s2).toBeGreaterThan(s1);
    expect(e2 - s2).toBe(e1 - s1);
    await page.click('#zoom-reset');
  });

  it('Chaos: a row per event; clicking one (a failed one if any) moves the Timeline to it', async () => {
    await page.click('nav [data-tab="chaos"]');
    expect(await page.locator('#chaos-table tbody tr').count()).toBe(run.chaos.length);
    expect(run.chaos.length).toBeGreaterThanOrEqual(4);
    const failed = run.chaos.filter((c) => c.verdict !== 'passed');
    expect(await page.locator('#chaos-table code.replay').count()).toBe(failed.length);
    await page.screenshot({ path: join(ARTIFACTS, 'report-chaos.png'), fullPage: true });
    const target = failed[0] ?? run.chaos[0];
    await page.click(`.chaos-row[data-chaos-id="${target.id}"] td:nth-child(3)`);
    expect(await page.getAttribute('body', 'data-active-tab')).toBe('timeline');
    const start = Number(await page.getAttribute('#timeline', 'data-view-start-ms'));
    const end = Number(await page.getAttribute('#timeline', 'data-view-end-ms'));
    expect(start).toBeLessThanOrEqual(target.atMs);
    expect(end).toBeGreaterThanOrEqual(target.revertedAtMs ?? target.atMs);
    expect(end - start).toBeLessThan(run.timeline.endMs);
    expect(await page.locator(`#timeline .bar.selected[data-c="${target.id}"]`).count()).toBe(1);
    expect(await page.textContent('#timeline .row-label.selected')).toBe(`#${target.id} ${target.primitive}`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-timeline-focused.png') });
  });

  it('Tests: the run as a scenario × seed grid', async () => {
    await page.click('nav [data-tab="tests"]');
    expect(await page.locator('#tests-grid .test-row').count()).toBe(1);
    expect(await page.locator(`#tests-grid td.cell.${run.verdict}`).count()).toBe(1);
    expect(await page.textContent('#tests-grid thead')).toContain(`seed ${SEED}`);
  });

  it('Topology: every node drawn, active-view links at the end, none before boot', async () => {
    await page.click('nav [data-tab="topology"]');
    expect(await page.locator('#topology .node').count()).toBe(run.nodes.length);
    expect(await page.inputValue('#topo-topic')).toBe('mesh-a');
    expect(Number(await page.getAttribute('#topology', 'data-edges'))).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('#topology', 'data-members'))).toBe(run.nodes.filter((n) => n.topics.includes('mesh-a')).length);
    await page.screenshot({ path: join(ARTIFACTS, 'report-topology.png') });
    await page.fill('#topo-time', '0');
    expect(Number(await page.getAttribute('#topology', 'data-edges'))).toBe(0);
    await page.selectOption('#topo-topic', 'bridge');
    expect(Number(await page.getAttribute('#topology', 'data-members'))).toBe(run.nodes.filter((n) => n.topics.includes('bridge')).length);
  });

  it('a killed node is drawn killed: a cross on the Topology, a down band on its Timeline row', async () => {
    const kill = run.chaos.find((c) => ['kill_node', 'burst_kill', 'restart_node'].includes(c.primitive));
    expect(kill, 'the soak kills a node').toBeDefined();
    await page.selectOption('#topo-topic', 'mesh-a');
    await page.fill('#topo-time', String(Math.ceil((kill!.atMs + 1) / 100) * 100));
    const killed = Number(await page.getAttribute('#topology', 'data-killed'));
    expect(killed).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#topology .killed-mark').count()).toBe(killed);
    expect(await page.textContent('#topo-time-label')).toContain(`(${killed} killed)`);
    await page.click('nav [data-tab="timeline"]');
    expect(await page.locator('#timeline .down-span').count()).toBe(run.timeline.downs.length);
    expect(run.timeline.downs.length).toBeGreaterThanOrEqual(kill!.targets.length);
  });
});

describe.skipIf(executablePath === null)('HTML report of a run with more meshes than fit side by side', () => {
  let run: RunSection;
  let report: OpenReport | undefined;
  let page: Page;

  beforeAll(async () => {
    // 8 meshes of 3 gateways, two bridges, the observer: each mesh is drawn alone, while its topic is chosen.
    const parsed = parseScenarioJson({
      name: 'eight-meshes', profile: 'protocol', bootSpacingMs: 5, durationMs: 15_000, healWindowMs: 30_000,
      topology: { meshes: Array.from({ length: 8 }, (_, i) => ({ meshId: `m${i + 1}`, roles: { gateway: 3 } })), bridges: 2 },
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const outcome = runScenario(parsed.scenario, '1');
    run = runReportData(outcome).run!;
    report = await openReport('report-eight-meshes-seed-1.html', renderReportHtml({ title: 'eight meshes', run, tests: null }));
    page = report.page;
  }, 60_000);

  afterAll(async () => {
    await report?.close();
  });

  it('Topology: the chosen mesh alone with the bridges and the observer; another topic, another mesh', async () => {
    await page.click('nav [data-tab="topology"]');
    const drawnFor = (topic: string) => run.nodes.filter((n) => n.role === 'observer' || n.role === 'bridge' || n.meshId === topic).length;
    expect(await page.inputValue('#topo-topic')).toBe('m1');
    for (const topic of ['m1', 'm8']) {
      await page.selectOption('#topo-topic', topic);
      expect(await page.locator('#topology .node').count()).toBe(drawnFor(topic));
      expect(await page.locator('#topology circle.group').count()).toBe(1);
      expect(await page.locator('#topology .group-label').textContent()).toBe(topic);
      expect(Number(await page.getAttribute('#topology', 'data-members'))).toBe(run.nodes.filter((n) => n.topics.includes(topic)).length);
      expect(Number(await page.getAttribute('#topology', 'data-edges'))).toBeGreaterThan(0);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'report-topology-eight-meshes.png') });
    await page.selectOption('#topo-topic', 'bridge');
    expect(await page.locator('#topology .node').count()).toBe(drawnFor('bridge'));
    expect(await page.locator('#topology circle.group').count()).toBe(0);
  });
});
