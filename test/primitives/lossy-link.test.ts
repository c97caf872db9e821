/**
 * LossyLink. Goal: packet loss on a connected pair's link costs retransmissions (and Plumtree
 * IHave/Graft repair), not deliveries and not the connection: every probe from the pair reaches
 * every subscriber, and nobody idles the pair out. The detector goes red when the transport's
 * idle timeout is shorter than the silences that retransmission leaves.
 * Method: `lossy-link-10pct`/`lossy-link-25pct` over two seeds; then `lossy-link-25pct` on a
 * network with a 200 ms keep-alive and a 400 ms idle timeout.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, runChaos } from '../support/chaos.js';
import { TIGHT_IDLE_NETWORK } from '../support/chaos-links.js';

describe('lossy_link', () => {
  for (const name of ['lossy-link-10pct', 'lossy-link-25pct']) {
    it(name, () => {
      expectGreen(name, ['1', '2'], ['mesh.probe.delivered']);
    });
  }

  it('lossy-link-25pct goes red when the idle timeout is shorter than retransmission gaps', () => {
    const run = runChaos('lossy-link-25pct', '1', undefined, { ...TIGHT_IDLE_NETWORK, durationMs: 25_000, liveness: false });
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/dead \(idle timeout\) over a lossy link/);
  });
});
