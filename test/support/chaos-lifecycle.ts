/**
 * Helpers for the lifecycle primitive tests: run a battery scenario over seeds and assert the
 * green outcome (run passes, the single chaos event passed, evidence names the expected spans).
 */
import { expect } from 'vitest';
import { explain, runChaos, type ChaosRun } from './chaos.js';

/** Run `scenario` for each seed; the run and its one chaos event must pass. */
export function expectGreen(scenario: string, seeds: readonly string[], evidenceNames: readonly string[]): ChaosRun[] {
  return seeds.map((seed) => {
    const run = runChaos(scenario, seed);
    expect(run.report.verdict, explain(run)).toBe('pass');
    expect(run.events).toHaveLength(1);
    expect(run.events[0].verdict, explain(run)).toBe('passed');
    for (const name of evidenceNames) expect(run.events[0].evidence.some((e) => e.includes(name)), `${name} in ${run.events[0].evidence.join(' ')}`).toBe(true);
    return run;
  });
}
