/**
 * The run summary's speed-up (src/cli/format.ts). Goal: a run slower than real time still reads
 * as a speed-up, not 0x (a 5,000-node burst: 74 virtual s in 55 minutes printed "0x").
 * Method: the printed form held to figures.
 */
import { describe, expect, it } from 'vitest';
import { runJson, speedupText, type CliRunResult } from '../src/cli/format.js';
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
