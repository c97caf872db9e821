/**
 * ClockSkew. Goal: a node whose wall clock jumps is not judged stale — the pruner measures
 * local receive time — and its heartbeats report the skew; the detector goes red with the known
 * bug of pruning by the sender's wall clock, in both directions of the skew.
 * Method: the `clock-skew-5s`/`clock-skew-60s` battery scenarios over two seeds; then the 60 s
 * skew (ahead, and behind) on nodes with `stalenessBySenderWallClock`.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';
import { runWithOverrides } from '../support/chaos-clocks.js';

/** Red runs settle within seconds of the event: stop the run soon after, without a heal phase. */
const SHORT = { durationMs: 30_000, liveness: false } as const;

describe('clock_skew', () => {
  for (const name of ['clock-skew-5s', 'clock-skew-60s']) {
    it(name, () => {
      expectGreen(name, ['1', '2'], ['mesh.heartbeat']);
    });
  }

  it('passes with the clock behind (negative skew)', () => {
    const run = runWithOverrides('clock-skew-60s', '3', 'clock_skew', { skewMs: -60_000 });
    expect(run.events[0].params.skewMs).toBe(-60_000);
    expect(run.events[0].verdict, explain(run)).toBe('passed');
  });

  it('clock-skew-60s goes red when staleness is judged by the sender wall clock (victim ahead prunes its neighbours)', () => {
    const run = runChaos('clock-skew-60s', '1', { stalenessBySenderWallClock: true }, SHORT);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/pruned its live neighbour/);
    expect(run.report.verdict).toBe('fail');
  });

  it('clock-skew-60s goes red when staleness is judged by the sender wall clock (victim behind is pruned by peers)', () => {
    const run = runWithOverrides('clock-skew-60s', '1', 'clock_skew', { skewMs: -60_000 }, { stalenessBySenderWallClock: true }, SHORT);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/as stale while it was alive/);
  });
});
