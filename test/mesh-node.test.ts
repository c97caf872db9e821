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

  it('a lost peer is a peer-down on every topic, with the connection\'s reason; its digest is pruned after the TTL', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(3_000); // a heard b's first digest (sent at 2 s) a few ms after 2 s
    b.host.kill('vanish');
    w.runTo(40_000);
    // Heard at 2 s + latency: not older than the TTL at the 30 s tick, older at the 35 s tick.
    expect(w.spans('mesh.staleness.pruned', a)).toEqual([{ removed: 1, stalenessMs: D.stalenessTtlMs, nodeIds: b.id }]);
    expect(w.times('mesh.staleness.pruned', a)).toEqual([35_000]);
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

  it('redialLostPeers leaves a peer lost for any other reason than a timeout alone', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { redialLostPeers: true } });
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    b.host.stop('test'); // its Disconnect ends the neighbourship; a then closes the unused connection itself
    w.runTo(30_000);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: b.id, reason: 'closed-locally', cause: 'unused' }]);
    expect(w.spans('mesh.peer.dial_failed', a)).toEqual([]);
  });

  it('a released peer (a Neighbor request refused when full) is closed after the grace', () => {
    const w = meshWorld();
    const a = w.node('a', { config: { topic: { hyparview: { activeViewCapacity: 1 } } } });
    w.node('b', { seeds: ['a'] }); // fills a's only slot
    const c = w.node('c', { variant: { keepUnusedConnections: true } });
    w.runTo(1_000);
    a.app.peers.connect(c.id, () => {}); // a's own dial: no unused-connection timer from accepting it
    w.runTo(2_000);
    w.sendRaw(c, a, { type: 'Neighbor', priority: 'low' });
    w.runTo(3_000);
    expect(a.app.activeView(MESH)).not.toContain(c.id);
    w.runTo(10_000);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: c.id, reason: 'closed-locally', cause: 'unused' }]);
    const [closedAt] = w.times('mesh.peer.disconnected', a);
    expect(closedAt).toBeGreaterThan(2_000 + D.unusedConnectionGraceMs);
    expect(closedAt).toBeLessThan(2_100 + D.unusedConnectionGraceMs);
  });
});

describe('mesh node: seed re-checks', () => {
  it('re-joins through a seed whose digest it has not heard once up longer than the TTL, every check', () => {
    const w = meshWorld();
    w.node('a', { config: { profile: 'protocol' } }); // joins, but never gossips a digest
    const startMs = 5_000; // b starts late: "up" is measured from its own start
    w.runTo(startMs);
    const b = w.node('b', { seeds: ['a'] });
    const ttl = D.stalenessTtlMs;
    w.runTo(startMs + ttl);
    expect(joinsSent(b)).toBe(1); // the check at start + 30 s finds b up for exactly the TTL: not longer
    w.runTo(startMs + ttl + D.seedCheckIntervalMs);
    expect(joinsSent(b)).toBe(2);
    w.runTo(startMs + ttl + 2 * D.seedCheckIntervalMs);
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

  it('re-dials a seed whose node said goodbye at the next check, well before the TTL', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    a.host.stop('test'); // b hears the Disconnect at once; its view is empty
    w.runTo(20_000);
    expect(b.app.activeView(MESH)).toEqual([]);
    // Up 10 s < TTL: only the empty view explains the dial; it times out (a is gone).
    expect(w.spans('mesh.seed.retry', b)).toEqual([{ attempt: 1, delayMs: 2_000, peerId: a.id }]);
    expect(w.times('mesh.seed.retry', b)).toEqual([D.seedCheckIntervalMs + DEFAULT_NETWORK_CONFIG.dialTimeoutMs]);
  });

  it('one empty topic among a seed\'s topics is enough to re-join through it; a topic the seed lacks is ignored there', () => {
    const w = meshWorld();
    const a = w.node('a'); // MESH only
    const b = w.node('b', { meshIds: [MESH, 'mesh-b'], seeds: ['a'], seedMeshIds: [MESH, 'mesh-b'] });
    w.runTo(D.seedCheckIntervalMs - 1);
    expect(joinsSent(b)).toBe(2); // one Join per topic
    w.runTo(D.seedCheckIntervalMs);
    expect([b.app.activeView(MESH), b.app.activeView('mesh-b')]).toEqual([[a.id], []]);
    expect(joinsSent(b)).toBe(4);
    expect(w.spans('mesh.gossip.neighbor_up', a)).toEqual([{ topic: MESH, peerId: b.id }]);
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
