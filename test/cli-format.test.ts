/**
 * The run summary's speed-up (src/cli/format.ts). Goal: a run slower than real time still reads
 * as a speed-up, not 0x (a 5,000-node burst: 74 virtual s in 55 minutes printed "0x").
 * And the view table of a run with many meshes: topics in name order with numbers read as
 * numbers (`m2` before `m10`), and above TOPICS_SHOWN topics only the smallest views, with what
 * the others span (a run of 1,024 meshes printed 1,024 rows).
 * Method: the printed form held to figures.
 */
import { describe, expect, it } from 'vitest';
import { naturalOrder, runJson, speedupText, TOPICS_SHOWN, viewLines, type CliRunResult } from '../src/cli/format.js';
import type { RunReport } from '../src/scenario/runner.js';

describe('speed-up as printed', () => {
  it('is whole from 10x, and two significant digits below (never 0x for a slow run)', () => {
    expect([speedupText(420.4), speedupText(10), speedupText(9.96), speedupText(3.44), speedupText(74_000 / 3_294_043)]).toEqual(['420x', '10x', '10x', '3.4x', '0.022x']);
    expect(speedupText(0)).toBe('0x');
  });

  it('--json gives one decimal from 1x, and two significant digits below (never 0)', () => {
    const run = (virtualMs: number, wallMs: number): CliRunResult => ({
      report: { seed: '1', scenario: 's', verdict: 'pass', virtualMs } as unknown as RunReport, description: '', wallMs, replay: '',
    });
    expect([runJson(run(74_000, 3_294_043)).speedup, runJson(run(300_000, 714)).speedup, runJson(run(1_000, 800)).speedup]).toEqual([0.022, 420.2, 1.3]);
  });
});

describe('active views per topic as printed', () => {
  const view = (min: number, mean: number, max: number) => ({ min, mean, max, subscribers: 10 });

  it('orders names with numbers read as numbers', () => {
    const names = ['m10', 'mesh-b', 'm2', 'bridge', 'm1', 'admin', 'm01', 'm100', 'mesh-a', 'm9x', 'm9'];
    expect([...names].sort(naturalOrder)).toEqual(['admin', 'bridge', 'm01', 'm1', 'm2', 'm9', 'm9x', 'm10', 'm100', 'mesh-a', 'mesh-b']);
    expect(naturalOrder('m123456789012345678901', 'm99')).toBeGreaterThan(0);
  });

  it(`lists every topic up to ${TOPICS_SHOWN}, in that order`, () => {
    const lines = viewLines({ m10: view(5, 5, 5), m2: view(4, 4.5, 5), bridge: view(1, 1, 1) });
    expect(lines.slice(0, 2)).toEqual(['', 'active view size per topic']);
    expect(lines[2]!.split('\n').map((l) => l.trim().split(/ +/)[0])).toEqual(['topic', 'bridge', 'm2', 'm10']);
    expect(lines).toHaveLength(3);
  });

  it(`beyond ${TOPICS_SHOWN} topics, the ${TOPICS_SHOWN} smallest views and what the others span`, () => {
    const views: Record<string, ReturnType<typeof view>> = {};
    for (let i = 0; i < 1024; i++) views[`m${i}`] = view(5, 5, 5);
    views.m7 = view(2, 4.1, 5); // the least minimum
    views.m700 = view(3, 4.9, 5);
    views.m70 = view(3, 4.5, 5); // the same minimum, a smaller mean: before m700
    views.m999 = view(5, 5, 6); // not shown: its minimum is full; its max shows in the others' span
    const lines = viewLines(views);
    expect(lines[1]).toBe(`active view size per topic (1024 topics: the ${TOPICS_SHOWN} with the smallest views)`);
    const rows = lines[2]!.split('\n').slice(1).map((l) => l.trim().split(/ +/)[0]);
    expect(rows).toHaveLength(TOPICS_SHOWN);
    // The three smaller views are shown; the rest of the 50 are the full topics first in name order.
    expect(rows.slice(0, 6)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(rows).toContain('m7');
    expect(rows).toContain('m70');
    expect(rows).toContain('m700');
    expect(rows).not.toContain('m999');
    expect(rows).toEqual([...rows].sort(naturalOrder));
    expect(lines[3]).toBe(`  … ${1024 - TOPICS_SHOWN} more, each with views of 5 to 6 (every topic: --json)`);
  });
});
