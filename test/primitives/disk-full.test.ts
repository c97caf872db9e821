/**
 * DiskFull. Goal: a full data dir makes writes fail with a span while the node keeps serving
 * (heartbeats, probe deliveries), and writes succeed again once the ballast is gone; the
 * detector goes red when the node never retries a failed write, and its timeout names the
 * recovery span it waited for.
 * Method: the `disk-full` battery scenario over two seeds, then the same with the
 * `disableDiskRetry` node variant.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';

describe('disk_full', () => {
  it('disk-full', () => {
    for (const run of expectGreen('disk-full', ['1', '2'], ['mesh.disk.write_failed', 'mesh.disk.write_recovered', 'mesh.heartbeat', 'mesh.probe.delivered'])) {
      const e = run.events[0];
      expect(e.params).toEqual({ durationMs: 15_000 });
      // Recovery is a write after the ballast was removed.
      expect(e.waitedMs).toBeGreaterThanOrEqual(15_000);
      expect(e.evidence.every((s) => s.startsWith(`${e.targets[0]}:`) || s.includes('mesh.probe.delivered'))).toBe(true);
    }
  });

  it('disk-full goes red when failed writes are never retried', () => {
    const run = runChaos('disk-full', '1', { disableDiskRetry: true });
    expect(run.events[0].verdict, explain(run)).toBe('failed_timeout');
    expect(run.report.verdict).toBe('fail');
    // The timeout names the recovery it waited for.
    const timeout = run.report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toMatch(new RegExp(`still missing: ${run.events[0].targets[0]}: mesh\\.disk\\.write_recovered after its write_failed at \\d+ ms`));
  });
});
