/**
 * The self-contained HTML report: one file with inline CSS, inline script and the report data
 * as embedded JSON — nothing is fetched, so it opens offline and attaches to a CI run as-is.
 * The Chaos table is rendered here and the Tests grid in tests-panel (static HTML); the Timeline and Topology are
 * drawn by the inline script from the data. An experiment report adds the Experiment tab,
 * whose charts are drawn by the inlined uPlot. Output depends only on the data (no clock).
 */
import type { ChaosRow } from './chaos-events.js';
import { experimentPanel } from './experiment-panel.js';
import { EXPERIMENT_SCRIPT } from './experiment-script.js';
import { esc } from './html-escape.js';
import { REPORT_SCRIPT } from './html-script.js';
import { REPORT_CSS } from './html-style.js';
import type { ReportData, RunSection } from './report-data.js';
import { gridCounts } from './tests-grid.js';
import { testsPanel } from './tests-panel.js';
import { MESH_SHOWN_MAX, MESHES_SIDE_BY_SIDE_MAX } from './topology-layout.js';
import { uplotLibrary } from './vendor-uplot.js';

export function renderReportHtml(data: ReportData): string {
  const run = data.run;
  const experiment = data.experiment ?? null;
  const tabs = [...(experiment === null ? [] : ['Experiment']), 'Timeline', 'Chaos', 'Tests', 'Topology'];
  const chartLibrary = experiment === null ? null : uplotLibrary();
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="meshsim">`,
    `<title>${esc(data.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    ...(chartLibrary === null ? [] : [`<style>${chartLibrary.css}</style>`]),
    '</head><body>',
    header(data),
    '<nav>',
    ...tabs.map((t) => `<button type="button" data-tab="${t.toLowerCase()}">${t}</button>`),
    '</nav>',
    ...(experiment === null ? [] : [`<section class="panel" id="tab-experiment">${experimentPanel(experiment)}</section>`]),
    `<section class="panel" id="tab-timeline">${run === null ? noRun() : timelinePanel(run)}</section>`,
    `<section class="panel" id="tab-chaos">${run === null ? noRun() : chaosPanel(run)}</section>`,
    `<section class="panel" id="tab-tests">${data.tests === null ? '<p class="empty">No tests grid: produced from a single run. Run <code>meshsim battery --report FILE.html</code> for scenarios × seeds.</p>' : testsPanel(data.tests)}</section>`,
    `<section class="panel" id="tab-topology">${run === null ? noRun() : topologyPanel(run)}</section>`,
    '<div id="tooltip" hidden></div>',
    `<script type="application/json" id="report-data">${jsonForScript(data)}</script>`,
    ...(chartLibrary === null ? [] : [`<script>${chartLibrary.script}</script>`, `<script>${EXPERIMENT_SCRIPT}</script>`]),
    `<script>${REPORT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

function header(data: ReportData): string {
  const run = data.run;
  const parts: string[] = [];
  if (run !== null) {
    parts.push(`<span>scenario <b>${esc(run.scenario)}</b></span>`, `<span>seed <b>${esc(run.seed)}</b></span>`);
    parts.push(`<span>verdict <b class="verdict ${run.verdict === 'pass' ? 'passed' : 'failed_assertion'}">${run.verdict}</b></span>`);
    parts.push(`<span>virtual time <b>${(run.virtualMs / 1000).toFixed(3)} s</b></span>`, `<span>spans <b>${run.spans}</b></span>`);
    const skipped = run.chaosSkipped === undefined ? '' : ` (${run.chaosSkipped} more skipped: no fitting target when due)`;
    parts.push(`<span>chaos events <b>${run.chaos.length}</b>${skipped}</span>`);
    if (run.replay !== null) parts.push(`<span>replay <code>${esc(run.replay)}</code></span>`);
  }
  if (data.tests !== null) {
    const { passed, failed } = gridCounts(data.tests);
    parts.push(`<span>tests <b>${passed} passed, ${failed} failed</b></span>`);
  }
  const violations = run !== null && run.violations.length > 0 ? `<details><summary>${run.violationsFound ?? run.violations.length} violation(s)</summary><ul>${run.violations.map((v) => `<li>${esc(v)}</li>`).join('')}</ul></details>` : '';
  return `<header><h1>${esc(data.title)}</h1><div class="summary">${parts.join('')}</div>${violations}</header>`;
}

function noRun(): string {
  return '<p class="empty">This report holds no single run (it was produced from a battery, sweep or experiment); see the Tests tab.</p>';
}

function timelinePanel(run: RunSection): string {
  const legend = run.timeline.kinds
    .map((k, i) => `<label><input type="checkbox" checked data-kind="${i}"><svg width="10" height="10"><circle class="k-${k}" cx="5" cy="5" r="4"/></svg>${k}</label>`)
    .join('');
  return [
    '<div class="toolbar"><button type="button" id="zoom-in" title="zoom in">+</button><button type="button" id="zoom-out" title="zoom out">&minus;</button>',
    '<button type="button" id="zoom-reset">reset</button><span id="tl-range"></span>',
    `<span class="legend">${legend}</span></div>`,
    '<div id="tl-wrap"><svg id="timeline"></svg></div>',
    '<p class="empty">Wheel to zoom, drag to pan, hover an event for its span attributes. Chaos rows span apply → revert; the black tick is the detection. A grey band on a node\'s row: killed by chaos, until it is ready again.</p>',
  ].join('');
}

function chaosPanel(run: RunSection): string {
  const skipped = run.chaosSkipped === undefined ? '' : `<p class="empty">${run.chaosSkipped} more chaos event${run.chaosSkipped === 1 ? ' was' : 's were'} skipped: no fitting target when due (every candidate already under a fault, or none left running).</p>`;
  if (run.chaos.length === 0) return `<p class="empty">No chaos events in this run.</p>${skipped}`;
  const head = '<tr><th>#</th><th>time</th><th>primitive</th><th>targets</th><th>verdict</th><th>waited</th><th>reverted</th><th>deadline</th><th>evidence</th></tr>';
  const rows = run.chaos.map((c) => chaosRow(c, run.replay)).join('\n');
  return `${skipped}<table id="chaos-table"><thead>${head}</thead><tbody>\n${rows}\n</tbody></table>`;
}

function chaosRow(c: ChaosRow, replay: string | null): string {
  const failed = c.verdict !== 'passed' && c.verdict !== 'unobserved';
  const evidence = c.evidence.length === 0 ? '<span class="empty">none</span>' : `<ul class="evidence">${c.evidence.map((e) => `<li title="${esc(e.attrs)}">${esc(e.node)} <b>${esc(e.name)}</b> @ ${ms(e.atMs)}</li>`).join('')}</ul>`;
  const failure = failed
    ? `<div>${c.message === null ? '' : `${esc(c.message)}<br>`}${replay === null ? '' : `replay: <code class="replay">${esc(replay)}</code>`}</div>`
    : '';
  const deadline = c.deadlineMs === null ? '' : `<span title="${esc(c.deadlineFormula ?? '')}">${ms(c.deadlineMs)}</span>`;
  return (
    `<tr class="chaos-row v-row-${esc(c.verdict)}" data-chaos-id="${c.id}">` +
    `<td><a class="goto" href="#timeline:chaos-${c.id}">#${c.id}</a></td><td>${ms(c.atMs)}</td><td>${esc(c.primitive)}</td>` +
    `<td>${esc(c.targets.join(', '))}</td><td><span class="verdict ${esc(c.verdict)}">${esc(c.verdict)}</span>${failure}</td>` +
    `<td>${ms(c.waitedMs)}</td><td>${c.revertedAtMs === null ? '—' : ms(c.revertedAtMs)}</td><td>${deadline}</td><td>${evidence}</td></tr>`
  );
}

function topologyPanel(run: RunSection): string {
  // Open on the first ordinary mesh rather than the bridge or admin topic.
  const first = run.groups[0]?.meshId ?? run.topology.topics[0];
  const topics = run.topology.topics.map((t) => `<option value="${esc(t)}"${t === first ? ' selected' : ''}>${esc(t)}</option>`).join('');
  const endMs = run.timeline.endMs;
  return [
    `<div class="toolbar"><label>topic <select id="topo-topic">${topics}</select></label>`,
    `<label>virtual time <input type="range" id="topo-time" min="0" max="${endMs}" step="100" value="${endMs}"></label>`,
    '<span id="topo-time-label"></span></div>',
    '<svg id="topology" viewBox="0 0 1000 560"></svg>',
    `<p class="empty">Active views of the chosen topic: solid = both ends list each other, dashed = one-way. Square = observer, diamond = bridge, grey = down (not booted yet or left), red cross = killed by chaos. Meshes are grouped in dashed circles (with more than ${MESHES_SIDE_BY_SIDE_MAX} meshes, the chosen topic's mesh alone, the bridges on the right); a mesh of more than ${MESH_SHOWN_MAX} nodes is sampled (every k-th node in boot order is drawn, with the links among drawn nodes; the counts above cover every node).</p>`,
  ].join('');
}

/** JSON safe inside a script element: no `</script>`, no HTML comment openers, no JS line breaks. */
function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(value % 1000 === 0 ? 0 : 3)} s` : `${value} ms`;
}
