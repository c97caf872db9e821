/**
 * KillNode. Goal: a silent death is noticed by the survivors (idle-timeout disconnects, digest
 * pruning) and the overlay repairs; and the detector goes red when pruning is switched off.
 * Method: the `kill-node` battery scenario over a few seeds, then the same with a node variant
 * whose staleness pruner never runs.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';

describe('kill_node', () => {
  it('kill-node', () => {
    for (const run of expectGreen('kill-node', ['1', '2'], [])) {
      expect(run.events[0].evidence.some((e) => e.includes('mesh.staleness.pruned') || e.includes('mesh.peer.disconnected'))).toBe(true);
    }
  });

  it('goes red when the staleness pruner is switched off', () => {
    const run = runChaos('kill-node', '1', { disablePruner: true });
    expect(run.events[0].verdict, explain(run)).toBe('failed_timeout');
    expect(run.report.verdict).toBe('fail');
  });

  it('goes red when lost peers are not reported to the overlay', () => {
    const run = runChaos('kill-node', '2', { disablePeerDown: true });
    expect(run.report.verdict, explain(run)).toBe('fail');
  });
});
