/**
 * PartitionPair. Goal: when two neighbours cannot reach each other, traffic between them finds
 * other paths, and after the repair nothing is lost for good; and the detector goes red when
 * no other path exists. Method: the `partition-pair` battery scenario over two
 * seeds; then a two-node mesh whose observer is dead, so the pair has no detour and the
 * partition-time probe can only cross once the link heals.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';
import { withoutDetours } from '../support/chaos-links.js';

describe('partition_pair', () => {
  it('partition-pair', () => {
    for (const run of expectGreen('partition-pair', ['1', '2'], [])) {
      const [a, b] = run.events[0].targets;
      // Both ends received the other's partition-time probe.
      expect(run.events[0].evidence.some((e) => e.startsWith(`${a}:mesh.probe.delivered`))).toBe(true);
      expect(run.events[0].evidence.some((e) => e.startsWith(`${b}:mesh.probe.delivered`))).toBe(true);
    }
  });

  it('partition-pair goes red when the pair has no other path', () => {
    // Two-node mesh, observer dead: the partition-time probe can only cross once the link heals.
    const run = runChaos('partition-pair', '1', undefined, withoutDetours('partition-pair'));
    expect(run.events).toHaveLength(1);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/found no other path/);
    expect(run.report.verdict).toBe('fail');
  });
});
