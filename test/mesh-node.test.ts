/**
 * The mesh node's own set-up and ticks (src/mesh/node.ts), as a unit. Goal: the node announces
 * itself once per incarnation and reads its identity back on restart; its ticks (heartbeat,
 * digest, persist, pruner) run at their configured intervals, by profile, and end with stop();
 * an unchanged digest goes out only at the forced interval; a bridge reports each foreign mesh.
 * Method: two or three MeshNodes on a fresh simulated network (test/support/mesh-world.ts);
 * exact span attributes and start times in virtual milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { MESH_NODE_DEFAULTS } from '../src/mesh/config.js';
import { topicIdOf } from '../src/mesh/topic-id.js';
import { MESSAGE_TAG } from '../src/protocol/messages.js';
import { MESH, meshWorld } from './support/mesh-world.js';

const D = MESH_NODE_DEFAULTS;
const joinsSent = (n: { app: { peers: { traffic: { framesSent: Float64Array } } } }): number => n.app.peers.traffic.framesSent[MESSAGE_TAG.Join];

describe('mesh node: set-up and ticks', () => {
  it('announces itself, registers its resource, and heartbeats every 5 s with its wall clock and skew', () => {
    const w = meshWorld();
    const a = w.node('a');
    a.host.clock.jump(250);
    w.runTo(10_000);
    expect(w.spans('mesh.node.ready', a)).toEqual([
      { nodeId: a.id, nodeName: 'a', nodeType: 'gateway', meshId: MESH, incarnation: 1, identity: 'new' },
    ]);
    expect(w.telemetry.resources.get('a')).toEqual({ nodeName: 'a', nodeId: a.id, nodeType: 'gateway', meshId: MESH });
    expect(w.times('mesh.heartbeat', a)).toEqual([5_000, 10_000]);
    expect(w.spans('mesh.heartbeat', a)).toEqual([
      { peerCount: 0, wallTimeMs: 5_250, clockSkewMs: 250 },
      { peerCount: 0, wallTimeMs: 10_250, clockSkewMs: 250 },
    ]);
    expect(w.spans('mesh.bridge.per_mesh_heartbeat', a)).toEqual([]);
    // Only bridges report per mesh: a gateway that joined a second mesh does not.
    const d = w.node('d', { meshIds: [MESH, 'mesh-b'], seeds: ['a'] });
    w.runTo(15_000);
    expect(d.app.activeView(MESH)).toContain(a.id);
    expect(w.spans('mesh.bridge.per_mesh_heartbeat', d)).toEqual([]);
  });

  it('a lone node records its own digest but broadcasts none; the peer cache is written every 5 s', () => {
    const w = meshWorld({ trace: true });
    const a = w.node('a');
    expect(a.app.digests.has(a.id)).toBe(true);
    w.runTo(4_999);
    expect(a.host.dataDir.read('peers.json')).toBeUndefined();
    w.runTo(5_000);
    expect(new TextDecoder().decode(a.host.dataDir.read('peers.json'))).toBe(JSON.stringify([a.id]));
    w.runTo(20_000);
    expect(w.spans('mesh.gossip.broadcast', a)).toEqual([]);
    const rt = a.app.topics.get(topicIdOf(MESH))!;
    expect([rt.lastDigest, rt.lastDigestSentMs]).toEqual([null, -Infinity]);
  });

  it('with a neighbour, the digest goes out every 2 s and is learned by the other side', () => {
    const w = meshWorld({ trace: true });
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(6_000);
    expect(w.times('mesh.gossip.broadcast', b)).toEqual([2_000, 4_000, 6_000]);
    const rt = b.app.topics.get(topicIdOf(MESH))!;
    expect(rt.lastDigestSentMs).toBe(6_000);
    expect(rt.lastDigest?.nodeId).toBe(b.id);
    expect([w.spans('mesh.gossip.neighbor_up', a), w.spans('mesh.gossip.neighbor_up', b)]).toEqual([
      [{ topic: MESH, peerId: b.id }],
      [{ topic: MESH, peerId: a.id }],
    ]);
    expect(w.spans('mesh.digest.learned', a)).toEqual([{ topic: MESH, nodeId: b.id, nodeName: 'b' }]);
    expect(w.spans('mesh.gossip.received', a)[0]).toEqual({ topic: MESH, from: b.id, origin: b.id, kind: 'digest' });
    expect(w.spans('mesh.heartbeat', a)[0]).toEqual({ peerCount: 1, wallTimeMs: 5_000, clockSkewMs: 0 });
  });

  it('an unchanged digest goes out only every 30 s', () => {
    const w = meshWorld({ trace: true });
    const a = w.node('a');
    // disablePeerDown: the lost neighbour stays in b's view, so the digest tick keeps running.
    const b = w.node('b', { seeds: ['a'], variant: { disablePeerDown: true } });
    w.runTo(3_000);
    w.network.partition(a.id, b.id);
    w.runTo(130_000);
    const [lostAt] = w.times('mesh.peer.disconnected', b);
    const firstTickAfter = Math.ceil(lostAt / D.digestIntervalMs) * D.digestIntervalMs;
    // That tick sends the changed digest (no peers now); after it no frame goes out or comes
    // in, so nothing the digest compares changes and only the forced interval sends it.
    const after = w.times('mesh.gossip.broadcast', b).filter((t) => t >= firstTickAfter);
    const forced = D.digestForcedIntervalMs;
    expect(after).toEqual([firstTickAfter, firstTickAfter + forced, firstTickAfter + 2 * forced, firstTickAfter + 3 * forced]);
  });

  it('the protocol profile runs no heartbeat, digest, persist or seed check, but still joins', () => {
    const w = meshWorld();
    const a = w.node('a', { config: { profile: 'protocol' } });
    const b = w.node('b', { seeds: ['a'], config: { profile: 'protocol' } });
    w.runTo(60_000);
    expect(w.spans('mesh.heartbeat', a)).toEqual([]);
    expect(a.host.dataDir.read('peers.json')).toBeUndefined();
    expect(a.app.digests.has(a.id)).toBe(false);
    expect(b.app.activeView(MESH)).toEqual([a.id]);
    expect(joinsSent(b)).toBe(1);
    expect(w.spans('mesh.cross.peer_connected', a)).toEqual([]);
  });

  it('a protocol-profile node learns digests a full neighbour sends, but never prunes them', () => {
    const w = meshWorld();
    const a = w.node('a', { config: { profile: 'protocol' } });
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(3_000);
    b.host.kill('vanish');
    w.runTo(60_000);
    expect(w.spans('mesh.digest.learned', a)).toEqual([{ topic: MESH, nodeId: b.id, nodeName: 'b' }]);
    expect(w.spans('mesh.staleness.pruned', a)).toEqual([]);
    expect(a.app.digests.has(b.id)).toBe(true);
  });

  it('a restart reads the identity back from the data dir and announces the new incarnation', () => {
    const w = meshWorld();
    const a = w.node('a');
    w.runTo(1_000);
    expect(a.app.identitySource).toBe('new');
    a.host.restart();
    expect(a.app.identitySource).toBe('data-dir');
    // Incarnations count lives: the restart is the second, whatever the kill in between did.
    expect(a.host.incarnation).toBe(2);
    expect(w.spans('mesh.node.ready', a).map((s) => [s.incarnation, s.identity])).toEqual([[1, 'new'], [2, 'data-dir']]);
  });

  it('a bridge heartbeats each foreign mesh it joined with that topic\'s active view size', () => {
    const w = meshWorld();
    const a = w.node('a');
    const c = w.node('c', { role: 'bridge', meshId: 'mesh-b', meshIds: ['mesh-b', MESH], seeds: ['a'], seedMeshIds: [MESH] });
    w.runTo(5_000);
    expect([c.app.activeView(MESH), c.app.activeView('mesh-b')]).toEqual([[a.id], []]);
    // Its own mesh (empty view) is left to the node heartbeat.
    expect(w.spans('mesh.bridge.per_mesh_heartbeat', c)).toEqual([{ meshId: MESH, peerCount: 1 }]);
    expect(w.spans('mesh.bridge.per_mesh_heartbeat', a)).toEqual([]);
    // Only bridges report per mesh: a gateway that joined a second mesh does not.
    const d = w.node('d', { meshIds: [MESH, 'mesh-b'], seeds: ['a'] });
    w.runTo(15_000);
    expect(d.app.activeView(MESH)).toContain(a.id);
    expect(w.spans('mesh.bridge.per_mesh_heartbeat', d)).toEqual([]);
  });

  it('the read model answers an unknown mesh with an empty view and no state', () => {
    const w = meshWorld();
    const a = w.node('a');
    expect(a.app.activeView('mesh-z')).toEqual([]);
    expect(a.app.topicState('mesh-z')).toBeUndefined();
    expect(a.app.topicState(MESH)?.topic).toBe(topicIdOf(MESH));
  });
});

describe('mesh node: stop', () => {
  it('stop() says so once, quits every topic, ends the ticks and refuses probes', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(7_000);
    b.app.stop('test');
    b.app.stop('again');
    b.app.broadcastProbe(MESH, 'after-stop');
    w.runTo(20_000);
    expect(w.spans('mesh.node.stopping', b)).toEqual([{ reason: 'test' }]);
    expect(w.times('mesh.heartbeat', b)).toEqual([5_000]);
    expect(w.spans('mesh.probe.sent', b)).toEqual([]);
    // A down caused by a Disconnect message carries no reason attribute at all.
    expect(w.spans('mesh.gossip.neighbor_down', a)).toStrictEqual([{ topic: MESH, peerId: b.id, cause: 'disconnect' }]);
    expect(a.app.activeView(MESH)).toEqual([]);
  });
});
