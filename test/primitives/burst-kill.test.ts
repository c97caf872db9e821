/**
 * BurstKill. Goal: several nodes dying at once (every role kept alive) are each noticed by the
 * survivors (disconnects, neighbour drops, digest pruning) and every topic's overlay stays or
 * becomes connected; the detector goes red when the staleness pruner is switched off.
 * Method: the `burst-kill-3` and `burst-kill-5` battery scenarios over two seeds each, then
 * `burst-kill-3` with a node variant whose pruner never runs.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';

describe('burst_kill', () => {
  it('burst-kill-3', () => {
    for (const run of expectGreen('burst-kill-3', ['1', '2'], ['mesh.peer.disconnected'])) expect(run.events[0].targets).toHaveLength(3);
  });

  it('burst-kill-5', () => {
    for (const run of expectGreen('burst-kill-5', ['1', '2'], ['mesh.peer.disconnected'])) {
      const targets = run.events[0].targets;
      expect(targets).toHaveLength(5);
      expect(new Set(targets).size).toBe(5);
      expect(targets.some((t) => t.startsWith('observer'))).toBe(false);
    }
  });

  it('burst-kill-3 goes red when the staleness pruner is switched off', () => {
    const run = runChaos('burst-kill-3', '1', { disablePruner: true });
    expect(run.events[0].verdict, explain(run)).toBe('failed_timeout');
    expect(run.report.verdict).toBe('fail');
  });
});
