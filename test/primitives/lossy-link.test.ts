/**
 * LossyLink. Goal: packet loss on a connected pair's link costs retransmissions (and Plumtree
 * IHave/Graft repair), not deliveries and not the connection: every probe from the pair reaches
 * every subscriber, and nobody idles the pair out. The detector goes red when the transport's
 * idle timeout is shorter than the silences that retransmission leaves.
 * Method: `lossy-link-10pct`/`lossy-link-25pct` over two seeds; then `lossy-link-25pct` on a
 * network with a 200 ms keep-alive and a 400 ms idle timeout.
 */
import { describe, expect, it } from 'vitest';
import { explain, runChaos } from '../support/chaos.js';

const TIGHT_IDLE = { network: { keepAliveMs: 200, idleTimeoutMs: 400, dialTimeoutMs: 150 } } as const;

describe('lossy_link', () => {
  for (const name of ['lossy-link-10pct', 'lossy-link-25pct']) {
    it(name, () => {
      for (const seed of ['1', '2']) {
        const run = runChaos(name, seed);
        expect(run.report.verdict, explain(run)).toBe('pass');
        expect(run.events).toHaveLength(1);
        expect(run.events[0].verdict, explain(run)).toBe('passed');
        expect(run.events[0].evidence.some((e) => e.includes('mesh.probe.delivered'))).toBe(true);
      }
    });
  }

  it('lossy-link-25pct goes red when the idle timeout is shorter than retransmission gaps', () => {
    const run = runChaos('lossy-link-25pct', '1', undefined, { ...TIGHT_IDLE, durationMs: 25_000, liveness: false });
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/dead \(idle timeout\) over a lossy link/);
  });
});
