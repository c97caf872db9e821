/**
 * LossyLink. Goal: packet loss on a connected pair's link costs retransmissions (and Plumtree
 * IHave/Graft repair), not deliveries and not the connection: every probe from the pair reaches
 * every subscriber, and nobody idles the pair out. The detector goes red when the transport's
 * idle timeout is shorter than the silences that retransmission leaves.
 * Method: `lossy-link-10pct`/`lossy-link-25pct` over two seeds; then `lossy-link-25pct` on a
 * network with a 200 ms keep-alive and a 400 ms idle timeout.
 */
import { describe, expect, it } from 'vitest';
import { expectGreen, explain, passedEvent, runChaos, runRandomChaos } from '../support/chaos.js';
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

describe('lossy_link: a dead-path close that only followed the other end\'s own close', () => {
  // mesh-grow-shrink under --chaos 8, seed 72: gateway-79730a6a closed its end of the path to
  // broker-4b3fb954 as unused at 22.8 s; the lossy link lost its close, and when the gateway
  // dialled the broker again at 24.3 s the broker closed the old connection as a dead path (the
  // gateway no longer held it). Nobody took silence for death.
  it('is not a false death, and the run passes', () => {
    const run = runRandomChaos('mesh-grow-shrink', 8, '72');
    const lossy = passedEvent(run, (e) => e.primitive === 'lossy_link' && e.targets.includes('broker-4b3fb954') && e.targets.includes('gateway-79730a6a'));
    const q = run.cluster.telemetry.query;
    const [broker, gateway] = ['broker-4b3fb954', 'gateway-79730a6a'].map((n) => run.cluster.idOfName(n));
    const dead = q.first({ name: 'mesh.peer.disconnected', node: 'broker-4b3fb954', sinceMs: lossy.atMs, attrs: { peerId: gateway, cause: 'dead-path' } })!;
    const own = q.last({ name: 'mesh.peer.disconnected', node: 'gateway-79730a6a', untilMs: dead.endMs, attrs: { peerId: broker } })!;
    expect([dead.endMs, own.endMs, own.attrs.cause]).toEqual([24_260, 22_832, 'unused']);
    expect(dead.endMs).toBeLessThan(lossy.atMs + 20_000); // during the damage
  });
});
