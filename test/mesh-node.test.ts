/**
 * The mesh node's own behaviour (src/mesh/node.ts), as a unit. Goal: the node announces itself
 * once per incarnation and reads its identity back on restart; its ticks (heartbeat, digest,
 * persist, pruner, seed check) run at their configured intervals, by profile, and end with
 * stop(); a bridge reports each foreign mesh; connections no topic uses are closed after the
 * grace, used ones are kept, and the test doubles that change this do what they say; a lost
 * peer reaches every topic as a peer-down carrying the connection's reason; seeds are re-joined
 * when the node is cut off from their overlay or has not heard their digest for the TTL.
 * Method: two to three MeshNodes on a fresh simulated network (test/support/mesh-world.ts);
 * exact span attributes and start times in virtual milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { MESH_NODE_DEFAULTS } from '../src/mesh/config.js';
import { topicIdOf } from '../src/mesh/topic-id.js';
import { MESSAGE_TAG } from '../src/protocol/messages.js';
import { DEFAULT_NETWORK_CONFIG } from '../src/sim/network/index.js';
import { MESH, idOf, meshWorld } from './support/mesh-world.js';

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

  it('a restart reads the identity back from the data dir and announces the new incarnation', () => {
    const w = meshWorld();
    const a = w.node('a');
    w.runTo(1_000);
    expect(a.app.identitySource).toBe('new');
    a.host.restart();
    expect(a.app.identitySource).toBe('data-dir');
    // The kill moved the incarnation on (its timers are stale), and the start moved it again.
    expect(a.host.incarnation).toBe(3);
    expect(w.spans('mesh.node.ready', a).map((s) => [s.incarnation, s.identity])).toEqual([[1, 'new'], [3, 'data-dir']]);
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
    expect(w.spans('mesh.gossip.neighbor_down', a)).toEqual([{ topic: MESH, peerId: b.id, cause: 'disconnect' }]);
    expect(a.app.activeView(MESH)).toEqual([]);
  });
});

describe('mesh node: connections', () => {
  it('an inbound connection no topic uses is closed after the grace; a neighbour\'s is kept', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    const c = w.node('c');
    c.app.peers.connect(a.id, () => {});
    w.runTo(10_000);
    const [accepted] = w.times('mesh.peer.connected', a).filter((_, i) => w.spans('mesh.peer.connected', a)[i].peerId === c.id);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: c.id, reason: 'closed-locally', cause: 'unused' }]);
    expect(w.times('mesh.peer.disconnected', a)).toEqual([accepted + D.unusedConnectionGraceMs]);
    expect(a.app.peers.connectedPeers()).toEqual([b.id]);
    expect(b.app.peers.connectedPeers()).toEqual([a.id]);
  });

  it('keepUnusedConnections keeps it; closeUsedConnections closes a neighbour\'s too', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { keepUnusedConnections: true } });
    const c = w.node('c');
    c.app.peers.connect(a.id, () => {});
    const d = w.node('d', { variant: { closeUsedConnections: true } });
    const b = w.node('b', { seeds: ['d'] });
    w.runTo(10_000);
    expect(a.app.peers.connectedPeers()).toEqual([c.id]);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([]);
    expect(w.spans('mesh.peer.disconnected', d)[0]).toEqual({ peerId: b.id, reason: 'closed-locally', cause: 'unused' });
  });

  it('refuseInbound closes an inbound connection at once, before it is registered', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { refuseInbound: true } });
    const c = w.node('c');
    c.app.peers.connect(a.id, () => {});
    w.runTo(1_000);
    expect(w.spans('mesh.peer.connected', a)).toEqual([]);
    expect(w.spans('mesh.peer.disconnected', c)).toEqual([{ peerId: a.id, reason: 'closed-by-peer', cause: 'closed-by-peer' }]);
  });

  it('a lost peer is a peer-down on every topic, with the connection\'s reason', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    b.host.kill('vanish');
    w.runTo(40_000);
    expect(w.spans('mesh.gossip.neighbor_down', a)).toEqual([{ topic: MESH, peerId: b.id, cause: 'peer-down', reason: 'idle-timeout' }]);
    expect(a.app.activeView(MESH)).toEqual([]);
    expect(w.spans('mesh.peer.dial_failed', a)).toEqual([]);
  });

  it('disablePeerDown keeps a lost peer in the view', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { disablePeerDown: true } });
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    b.host.kill('vanish');
    w.runTo(40_000);
    expect(w.spans('mesh.gossip.neighbor_down', a)).toEqual([]);
    expect(a.app.activeView(MESH)).toEqual([b.id]);
  });

  it('redialLostPeers re-dials a peer lost to a timeout at once, and again after each failed dial', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { redialLostPeers: true } });
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    b.host.kill('vanish');
    w.runTo(60_000);
    const [lostAt] = w.times('mesh.gossip.neighbor_down', a);
    const dialMs = DEFAULT_NETWORK_CONFIG.dialTimeoutMs;
    const failed = w.times('mesh.peer.dial_failed', a);
    expect(failed.slice(0, 3)).toEqual([lostAt + dialMs, lostAt + 2 * dialMs, lostAt + 3 * dialMs]);
    expect(failed).toHaveLength(Math.floor((60_000 - lostAt) / dialMs));
    // The redials stop with the node.
    a.app.stop('test');
    const before = w.times('mesh.peer.dial_failed', a).length;
    w.runTo(80_000);
    expect(w.times('mesh.peer.dial_failed', a)).toHaveLength(before + 1);
  });
});

describe('mesh node: seed re-checks', () => {
  it('re-joins through a seed whose digest it has not heard once up longer than the TTL, every check', () => {
    const w = meshWorld();
    w.node('a', { config: { profile: 'protocol' } }); // joins, but never gossips a digest
    const b = w.node('b', { seeds: ['a'] });
    const ttl = D.stalenessTtlMs;
    w.runTo(ttl);
    expect(joinsSent(b)).toBe(1); // the check at 30 s finds b up for exactly the TTL: not longer
    w.runTo(ttl + D.seedCheckIntervalMs);
    expect(joinsSent(b)).toBe(2);
    w.runTo(ttl + 2 * D.seedCheckIntervalMs);
    expect(joinsSent(b)).toBe(3);
  });

  it('does not re-join a seed it hears, nor any seed with disableSeedRejoin', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.node('e', { config: { profile: 'protocol' } });
    const f = w.node('f', { seeds: ['e'], variant: { disableSeedRejoin: true } });
    w.runTo(60_000);
    expect(b.app.digests.has(a.id)).toBe(true);
    expect([joinsSent(b), joinsSent(f)]).toEqual([1, 1]);
  });

  it('re-dials the seed once its topic view is empty, at the next check', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    a.host.kill('vanish');
    w.runTo(60_000);
    const [lostAt] = w.times('mesh.gossip.neighbor_down', b);
    const checkAt = Math.ceil(lostAt / D.seedCheckIntervalMs) * D.seedCheckIntervalMs;
    expect(w.spans('mesh.seed.retry', b)[0]).toEqual({ attempt: 1, delayMs: 2_000, peerId: a.id });
    expect(w.times('mesh.seed.retry', b)[0]).toBe(checkAt + DEFAULT_NETWORK_CONFIG.dialTimeoutMs);
  });
});
