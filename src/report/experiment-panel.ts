/**
 * The Experiment tab's static part: what ran (base, axes, seeds), the controls of the charts
 * (x axis, metric filter), the chart container the browser script fills, and a table of the
 * points with their pass counts. Static HTML from the data; the charts are the script's job.
 */
import type { ExperimentSection } from './experiment-data.js';
import { esc } from './html-escape.js';

export function experimentPanel(e: ExperimentSection): string {
  const axes = e.axes.map((a, i) => `<option value="${i}">${esc(a.path)}</option>`).join('');
  const about = [
    `<p>Experiment <b>${esc(e.name)}</b> on base scenario <b>${esc(e.base)}</b>, seeds ${esc(e.seeds)}: ${e.points.length} point(s) × seeds.${e.description === '' ? '' : ` ${esc(e.description)}`}</p>`,
  ];
  const controls =
    e.axes.length === 0
      ? '<p class="empty">No axes: the experiment has one point, so there is nothing to chart; see the table below.</p>'
      : `<div class="toolbar"><label>x axis <select id="exp-x">${axes}</select></label><label>metric <input type="search" id="exp-filter" placeholder="filter, e.g. views"></label><span id="exp-note"></span></div><div id="exp-charts"></div>`;
  return [...about, controls, pointsTable(e)].join('');
}

function pointsTable(e: ExperimentSection): string {
  const head = `<tr><th>point</th>${e.axes.map((a) => `<th>${esc(a.path)}</th>`).join('')}<th>runs</th><th>passed</th></tr>`;
  const rows = e.points.map((p) => {
    const cls = p.passed === p.runs ? 'pass' : 'fail';
    return `<tr><td>#${p.point}</td>${p.values.map((v) => `<td>${esc(JSON.stringify(v))}</td>`).join('')}<td>${p.runs}</td><td class="cell ${cls}">${p.passed}/${p.runs}</td></tr>`;
  });
  return `<h3>Points</h3><table id="exp-points"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}
