/**
 * Which disconnects judge a connection dead by its silence (src/primitives/evidence.ts
 * `silenceDeath`), the judgement the nat_shift, wedge_node, slow_link and lossy_link detectors
 * read. Goal: an idle timeout and a `dead-path` close (the peer dialed again over a path silent
 * for a keep-alive period and a half, src/mesh/peers.ts) count, earliest first, within the
 * window and for the peer asked about; an unused close or a peer's close does not.
 * Method: disconnect spans written into an unstarted cluster's trace by hand.
 */
import { describe, expect, it } from 'vitest';
import { isSilenceDeath, silenceDeath } from '../src/primitives/evidence.js';
import { chaosWorldOf } from '../src/primitives/world.js';
import { Cluster } from '../src/scenario/cluster.js';
import { standardMesh } from '../src/scenario/topology.js';

function setup() {
  const cluster = new Cluster({ seed: 'silence-death', topology: { meshes: [standardMesh('mesh-a', 1)], bridges: 0 } });
  const world = chaosWorldOf(cluster, { probe: () => null, isFaulted: () => false, isProtected: () => false });
  const [a, b, c] = cluster.plans.filter((x) => x.meshIds.includes('mesh-a'));
  const at = (ms: number) => cluster.scheduler.runFor(ms - cluster.scheduler.nowMs);
  const disconnect = (peer: string, reason: string, cause: string) =>
    cluster.telemetry.emit(a.name, 'mesh.peer.disconnected', { peerId: peer, reason, cause })!;
  return { world, a, b, c, at, disconnect };
}

describe('silence deaths', () => {
  it('counts an idle timeout and a dead-path close, not an unused close or the peer\'s close', () => {
    const { world, a, b, c, at, disconnect } = setup();
    at(1_000);
    const unused = disconnect(b.nodeId, 'closed-locally', 'unused');
    const byPeer = disconnect(c.nodeId, 'closed-by-peer', 'closed-by-peer');
    expect([unused, byPeer].map(isSilenceDeath)).toEqual([false, false]);
    expect(silenceDeath(world, a.name, 0)).toBeUndefined();
    at(2_000);
    const dead = disconnect(b.nodeId, 'closed-locally', 'dead-path');
    at(3_000);
    const idle = disconnect(c.nodeId, 'idle-timeout', 'idle-timeout');
    expect([dead, idle].map(isSilenceDeath)).toEqual([true, true]);
    expect(silenceDeath(world, a.name, 0)).toBe(dead); // the earlier of the two
    expect(silenceDeath(world, a.name, 2_500)).toBe(idle); // within the window only
    expect(silenceDeath(world, a.name, 0, 2_500, c.nodeId)).toBeUndefined(); // and about the peer asked
    expect(silenceDeath(world, a.name, 0, undefined, c.nodeId)).toBe(idle);
  });
});
