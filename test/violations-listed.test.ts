/**
 * Which violations a failed run lists (src/scenario/runner.ts, ViolationLog).
 *
 * Goal: one check's flood does not hide the others, and what is not listed is counted. The log
 * kept the first 50 violations, in the order the checks ran: 1,000 nodes started at once and
 * checked 1 ms into their heal window listed 50 `views-symmetric` and said nothing of the
 * overlay split around 80 of them, or of the rest.
 * Method: that run, through the runner and the CLI's text; the unlisted counts' text alone.
 */
import { describe, expect, it } from 'vitest';
import { formatRunText } from '../src/cli/format.js';
import { renderReportHtml, runReportData } from '../src/report/index.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import { notListedLines, runScenario, ViolationLog } from '../src/scenario/runner.js';

const unsettled = parseScenarioJson({
  name: 'unsettled-1k', profile: 'protocol', topology: { meshes: [{ meshId: 'a', roles: { gateway: 1_000 } }], observer: false },
  bootSpacingMs: 0, durationMs: 200, healWindowMs: 1, probeIntervalMs: 0,
});

describe('violations listed', () => {
  it('at most 10 of one check, every check that failed, and the rest counted', () => {
    if (!unsettled.ok) throw new Error(unsettled.error);
    const outcome = runScenario(unsettled.scenario, '1');
    const { report } = outcome;
    expect(report.verdict).toBe('fail');
    const byCheck = new Map<string, number>();
    for (const v of report.violations) byCheck.set(v.check, (byCheck.get(v.check) ?? 0) + 1);
    expect(byCheck.get('views-symmetric')).toBe(10);
    expect(byCheck.get('overlay-connected')).toBe(1);
    expect(report.violations.find((v) => v.check === 'overlay-connected')!.message).toMatch(/^a overlay is split: \d+ of 1000 unreachable/);
    const notListed = report.violationsNotListed ?? {};
    expect(Object.keys(notListed)).toEqual(['views-symmetric']);
    expect(notListed['views-symmetric']).toBeGreaterThan(0);
    const text = formatRunText({ report, description: '', wallMs: 1, replay: 'r' });
    const total = report.violations.length + notListed['views-symmetric'];
    expect(text).toContain(`verdict: FAIL (${total} violations; ${report.violations.length} listed)\n`);
    expect(text).toContain(`  … and ${notListed['views-symmetric']} more views-symmetric violations, not listed\n`);
    // The HTML report: the same count, the listed ones and the line for the rest.
    const html = renderReportHtml(runReportData(outcome));
    expect(html).toContain(`<summary>${total} violation(s)</summary>`);
    expect(html).toContain(`<li>… and ${notListed['views-symmetric']} more views-symmetric violations, not listed</li>`);
  });

  it('are each listed or counted once, however often a check reports them', () => {
    const log = new ViolationLog();
    const a = Array.from({ length: 30 }, (_, i) => ({ check: 'a', message: `a${i}` }));
    const b = [{ check: 'b', message: 'b0' }, { check: 'b', message: 'b1' }];
    for (let poll = 0; poll < 3; poll++) log.add([...a, ...b]);
    expect(log.list.map((v) => v.message)).toEqual([...a.slice(0, 10), ...b].map((v) => v.message));
    expect(log.notListedReport()).toEqual({ violationsNotListed: { a: 20 } });
    expect(new ViolationLog().notListedReport()).toEqual({});
  });

  it('say when their counting stopped', () => {
    expect(notListedLines([['a', 1], ['b', 7]])).toEqual(['… and 1 more a violation, not listed', '… and 7 more b violations, not listed']);
    expect(notListedLines([['a', 60_000], ['b', 40_000]])[1]).toBe('… and 40000 more b violations, not listed (counting stopped at 100000)');
  });
});
