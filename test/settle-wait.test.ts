/**
 * The settle wait after the main phase. Goal: the runner waits for pending work until the latest
 * deadline its extensions report, re-read when the wait runs out, so a detection that lengthened
 * its deadline while it waited (a kill's prune of a digest another chaos event held on its way,
 * src/primitives/held-digest.ts) is given that time; deadlines that did not move end the wait as
 * before. Method: a stub extension on a short fault-free run whose pending deadline moves (or
 * not) while the runner waits, and the run-budget violation the runner reports when it stops
 * waiting first.
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import { runScenario } from '../src/scenario/runner.js';
import type { RunContext, RunExtension, Scenario } from '../src/scenario/scenario.js';

/** Pending until `firstMs`; from `movesAtMs` on (if given), until `thenMs`; settled at `settlesAtMs`. */
function stub(firstMs: number, settlesAtMs: number, moves?: { atMs: number; thenMs: number }) {
  return (ctx: RunContext): RunExtension => {
    const now = () => ctx.cluster.scheduler.nowMs;
    return {
      start: () => {},
      finish: () => {},
      settled: () => now() >= settlesAtMs,
      pendingUntilMs: () => (moves !== undefined && now() >= moves.atMs ? moves.thenMs : firstMs),
      violations: () => [],
      report: () => ({}),
    };
  };
}

function run(extension: (ctx: RunContext) => RunExtension) {
  const base = findScenario('default')!;
  const scenario: Scenario = { ...base, durationMs: 5_000, liveness: false, extensions: [extension] };
  return runScenario(scenario, '1').report;
}

describe('settle wait', () => {
  it('waits for a pending deadline that moved while it waited', () => {
    const report = run(stub(10_000, 19_000, { atMs: 9_000, thenMs: 20_000 }));
    expect(report.violations.filter((v) => v.check === 'run-budget')).toEqual([]);
    expect(report.virtualMs).toBeGreaterThanOrEqual(19_000);
  });

  it('stops at the latest deadline plus slack when it did not move', () => {
    const report = run(stub(10_000, 19_000));
    expect(report.violations.filter((v) => v.check === 'run-budget').map((v) => v.message)).toEqual(['extensions did not settle: virtual-time-budget at 12000 ms']);
  });
});
