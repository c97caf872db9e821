/**
 * The Tests tab as HTML. Up to GRID_COLUMNS_MAX seeds it is the plain grid (a row per
 * scenario, a column per seed). Beyond that a column per seed is unusable, so each scenario
 * row is aggregated: its pass and fail counts, its failures first (each with why and the
 * replay command), then a wrapped strip with a square per seed in seed order — or, past
 * STRIP_SQUARES_MAX seeds, a square per bucket of consecutive seeds, red when any of them
 * failed. Rows with failures come first. Static HTML; computes no verdicts.
 */
import { esc } from './html-escape.js';
import { chaosCellText, type TestCell, type TestsGrid } from './tests-grid.js';

export const GRID_COLUMNS_MAX = 16;
export const STRIP_SQUARES_MAX = 2_000;
/** Failures listed in full per scenario; the strip still shows every one. */
export const FAILURES_LISTED_MAX = 100;

export function testsPanel(grid: TestsGrid): string {
  return grid.seeds.length <= GRID_COLUMNS_MAX ? plainGrid(grid) : aggregatedGrid(grid);
}

function plainGrid(grid: TestsGrid): string {
  const byKey = new Map(grid.cells.map((c) => [`${c.scenario}\u0000${c.seed}`, c]));
  const head = `<tr><th>scenario</th>${grid.seeds.map((s) => `<th>seed ${esc(s)}</th>`).join('')}</tr>`;
  const rows = grid.scenarios.map((scenario) => {
    const cells = grid.seeds.map((seed) => {
      const c = byKey.get(`${scenario}\u0000${seed}`);
      if (c === undefined) return '<td class="cell">—</td>';
      const chaos = c.chaos === null ? '' : ` <span class="empty">${esc(chaosCellText(c.chaos))}</span>`;
      return `<td class="cell ${c.verdict}" title="${esc(c.replay)}">${c.verdict}${chaos}${why(c)}</td>`;
    });
    return `<tr class="test-row"><td>${esc(scenario)}</td>${cells.join('')}</tr>`;
  });
  return `<table id="tests-grid"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function why(c: TestCell): string {
  const more = c.violationsMore === undefined ? '' : `<div class="empty">… and ${c.violationsMore} more</div>`;
  return c.verdict === 'fail' ? `<details><summary>why</summary>${c.violations.map((v) => `<div>${esc(v)}</div>`).join('')}${more}<code class="replay">${esc(c.replay)}</code></details>` : '';
}

function aggregatedGrid(grid: TestsGrid): string {
  const byScenario = new Map<string, TestCell[]>(grid.scenarios.map((s) => [s, []]));
  for (const c of grid.cells) byScenario.get(c.scenario)!.push(c);
  const seedIndex = new Map(grid.seeds.map((s, i) => [s, i]));
  const rows = grid.scenarios.map((scenario) => {
    const cells = [...byScenario.get(scenario)!].sort((a, b) => seedIndex.get(a.seed)! - seedIndex.get(b.seed)!);
    const failed = cells.filter((c) => c.verdict === 'fail');
    return { scenario, cells, failed };
  });
  // Failures first: most failed seeds on top, otherwise in first-appearance order (stable sort).
  rows.sort((a, b) => b.failed.length - a.failed.length);
  const head = '<tr><th>scenario</th><th>passed</th><th>failed</th><th>failures (seed: why, replay)</th><th>every seed, in order</th></tr>';
  const body = rows.map(({ scenario, cells, failed }) => {
    const listed = failed.slice(0, FAILURES_LISTED_MAX).map((c) => `<div class="cell fail" title="${esc(c.replay)}">seed ${esc(c.seed)}${why(c)}</div>`);
    if (failed.length > FAILURES_LISTED_MAX) listed.push(`<div class="empty">+${failed.length - FAILURES_LISTED_MAX} more failed seeds (red in the strip)</div>`);
    return `<tr class="test-row${failed.length > 0 ? ' has-fail' : ''}"><td>${esc(scenario)}</td><td class="count pass">${cells.length - failed.length}</td><td class="count${failed.length > 0 ? ' fail' : ''}">${failed.length}</td><td><div class="failures">${listed.join('')}</div></td><td>${strip(cells)}</td></tr>`;
  });
  const note = `<p class="empty">${grid.seeds.length} seeds per scenario: aggregated (failures first; the strip has a square per seed${grid.seeds.length > STRIP_SQUARES_MAX ? `, or per bucket of ${bucketSize(grid.seeds.length)} consecutive seeds, red if any failed` : ''}; hover for seeds).</p>`;
  return `${note}<table id="tests-grid" class="aggregated"><thead>${head}</thead><tbody>${body.join('\n')}</tbody></table>`;
}

function bucketSize(seeds: number): number {
  return Math.ceil(seeds / STRIP_SQUARES_MAX);
}

function strip(cells: readonly TestCell[]): string {
  const size = cells.length > STRIP_SQUARES_MAX ? bucketSize(cells.length) : 1;
  const squares: string[] = [];
  for (let i = 0; i < cells.length; i += size) {
    const bucket = cells.slice(i, i + size);
    const failed = bucket.filter((c) => c.verdict === 'fail').length;
    const title = size === 1 ? `seed ${bucket[0].seed}: ${bucket[0].verdict}` : `seeds ${bucket[0].seed}–${bucket[bucket.length - 1].seed}: ${failed} failed of ${bucket.length}`;
    squares.push(`<i class="sq ${failed > 0 ? 'fail' : 'pass'}" title="${esc(title)}"></i>`);
  }
  return `<div class="strip">${squares.join('')}</div>`;
}
