/**
 * The mesh node's connections and seeds (src/mesh/node.ts), as a unit. Goal: connections no
 * topic uses are closed after the grace, used ones are kept, and the test doubles that change
 * this do what they say; a lost peer reaches every topic as a peer-down carrying the
 * connection's reason, and its digest is pruned after the TTL; when a peer dials again, the
 * connections it can no longer hold (opened before its dial could have begun, or long silent) are
 * closed as dead paths before the new one is taken, so both views agree, while a crossing dial's
 * twin is kept;
 * seeds are re-joined when the node is cut off from their overlay or has not heard their digest
 * for the TTL since its own start.
 * Method: two or three MeshNodes on a fresh simulated network (test/support/mesh-world.ts);
 * exact span attributes and start times in virtual milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { MESH_NODE_DEFAULTS, type NodeVariant } from '../src/mesh/config.js';
import { unusedSweepDueMs } from '../src/mesh/node.js';
import { MESSAGE_TAG } from '../src/protocol/messages.js';
import { DEFAULT_NETWORK_CONFIG } from '../src/sim/network/index.js';
import { encodeEnvelope } from '../src/protocol/codec.js';
import { encodeFrame } from '../src/protocol/framer.js';
import { topicIdOf } from '../src/mesh/topic-id.js';
import { MESH, idOf, meshWorld, type WorldNode } from './support/mesh-world.js';

const D = MESH_NODE_DEFAULTS;
/** When a's unused-connection sweep looks at a peer given a reason at `reasonMs`: a's first sweep at least the grace later. */
const sweepAfter = (reasonMs: number): number => unusedSweepDueMs(idOf('a'), reasonMs, D.unusedConnectionGraceMs, D.unusedConnectionSweepMs);
const joinsSent = (n: { app: { peers: { traffic: { framesSent: Float64Array } } } }): number => n.app.peers.traffic.framesSent[MESSAGE_TAG.Join];

/**
 * At 2 s: a, whose only active slot b fills, holds a connection it dialled to c (so accepting it
 * armed no unused-connection timer); c keeps unused connections, ready to ask a for a slot.
 */
function fullNodeAndAsker() {
  const w = meshWorld();
  const a = w.node('a', { config: { topic: { hyparview: { activeViewCapacity: 1 } } } });
  w.node('b', { seeds: ['a'] });
  const c = w.node('c', { variant: { keepUnusedConnections: true } });
  w.runTo(1_000);
  // Every reason a gives its unused-connection sweep, from now on.
  const reasons: { peer: string; atMs: number }[] = [];
  const app = a.app as unknown as { closeLaterIfUnused: (peer: string) => void };
  const give = app.closeLaterIfUnused.bind(app);
  app.closeLaterIfUnused = (peer) => {
    reasons.push({ peer, atMs: w.scheduler.nowMs });
    give(peer);
  };
  a.app.peers.connect(c.id, () => {});
  w.runTo(2_000);
  return { w, a, c, reasons };
}

describe('mesh node: connections', () => {
  it('an inbound connection no topic uses is closed by the first sweep after the grace; a neighbour\'s is kept', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    const c = w.node('c');
    c.app.peers.connect(a.id, () => {});
    w.runTo(10_000);
    const [accepted] = w.times('mesh.peer.connected', a).filter((_, i) => w.spans('mesh.peer.connected', a)[i].peerId === c.id);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: c.id, reason: 'closed-locally', cause: 'unused' }]);
    expect(w.times('mesh.peer.disconnected', a)).toEqual([sweepAfter(accepted)]);
    expect(a.app.peers.connectedPeers()).toEqual([b.id]);
    expect(b.app.peers.connectedPeers()).toEqual([a.id]);
  });

  // Two meshes of 100 gateways at 30 % loss: a node dialed a peer to send a ShuffleReply; the
  // peer closed the connection as unused, its close was lost, and the dialer, which had given
  // its sweep no reason, kept the connection alive until its keep-alive drew a reset 14-16 s on.
  it('an outbound connection no topic uses is closed by the dialer\'s own sweep, not left to the acceptor\'s close', () => {
    const w = meshWorld();
    const a = w.node('a');
    const c = w.node('c', { variant: { keepUnusedConnections: true } }); // the acceptor never closes it
    a.app.peers.connect(c.id, () => {});
    w.runTo(10_000);
    const [dialedAtMs] = w.times('mesh.peer.connected', a);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: c.id, reason: 'closed-locally', cause: 'unused' }]);
    expect(w.times('mesh.peer.disconnected', a)).toEqual([sweepAfter(dialedAtMs)]);
    expect(w.spans('mesh.peer.disconnected', c)).toEqual([{ peerId: a.id, reason: 'closed-by-peer', cause: 'closed-by-peer' }]);
  });

  /**
   * From the moment `acceptor` takes `dialer`'s connection (its mesh.peer.connected), nothing
   * crosses dialer→acceptor: what the dialer sends on it is resent and never arrives. Returns then.
   */
  function holdAfterHandshake(w: ReturnType<typeof meshWorld>, acceptor: WorldNode, dialer: WorldNode): number {
    while (w.times('mesh.peer.connected', acceptor).length === 0) w.runTo(w.scheduler.nowMs + 1);
    w.network.setLink(dialer.id, acceptor.id, { blocked: true });
    return w.scheduler.nowMs;
  }

  // Two meshes of 100 gateways at 30 % loss (seeds 6 and 15 of 1-20): a contact's unused sweep
  // closed the connection a bridge had dialed to join through it while the bridge's Join was still
  // being resent, and the bridge, with one seed per mesh and no periodic seed check in the
  // protocol profile, stayed off the mesh.
  it('protocol profile: a node a peer loss left cut off rejoins through its seed a seed-check interval later', () => {
    for (const disableSeedRejoin of [false, true]) {
      const w = meshWorld();
      const config = { profile: 'protocol' as const };
      const a = w.node('a', { config });
      const b = w.node('b', { config, seeds: ['a'], variant: { disableSeedRejoin } });
      const accepted = holdAfterHandshake(w, a, b); // b's Join never arrives; a closes the connection as unused
      w.runTo(sweepAfter(accepted) + 100);
      w.network.setLink(b.id, a.id, { blocked: false });
      expect(a.app.peers.connectedPeers()).toEqual([]);
      const [lostAtMs] = w.times('mesh.peer.disconnected', b);
      w.runTo(lostAtMs + D.seedCheckIntervalMs + 1_000);
      const joins = w.times('mesh.gossip.join', b);
      if (disableSeedRejoin) {
        expect(joins).toHaveLength(1); // the red twin: cut off for good
        expect(a.app.activeView(MESH)).toEqual([]);
      } else {
        expect(joins).toHaveLength(2);
        expect(joins[1] - lostAtMs).toBeGreaterThanOrEqual(D.seedCheckIntervalMs);
        expect(a.app.activeView(MESH)).toEqual([b.id]);
      }
    }
  });

  it('protocol profile: a node a peer loss left stranded on one neighbour rejoins through its seed a seed-check interval later', () => {
    // A 12-node protocol mesh under --chaos 18 (seed 93945) had two brokers holding only each
    // other, with empty passive views, through the heal window: they were not cut off.
    for (const disableStrandedRejoin of [false, true]) {
      const w = meshWorld();
      const config = { profile: 'protocol' as const };
      const a = w.node('a', { config });
      const b = w.node('b', { config, seeds: ['a'], variant: { disableStrandedRejoin } });
      const c = w.node('c', { config, seeds: ['b'] });
      w.runTo(5_000);
      const hv = b.app.topicState(MESH)!.hyparview;
      expect(hv.active.sort()).toEqual([a.id, c.id].sort());
      // b loses its link to its seed a (idle timeout); c, its other neighbour, knows nobody else.
      w.network.setLink(a.id, b.id, { blocked: true });
      w.network.setLink(b.id, a.id, { blocked: true });
      w.runTo(35_000);
      const [lostAtMs] = w.times('mesh.peer.disconnected', b);
      expect([hv.active, hv.passive, hv.pendingNeighbor.size]).toEqual([[c.id], [], 0]);
      w.network.setLink(a.id, b.id, { blocked: false });
      w.network.setLink(b.id, a.id, { blocked: false });
      w.runTo(lostAtMs + D.seedCheckIntervalMs + 1_000);
      const joins = w.times('mesh.gossip.join', b);
      if (disableStrandedRejoin) {
        expect(joins).toHaveLength(1); // the red twin: stranded for good
        expect(hv.active).toEqual([c.id]);
      } else {
        expect(joins).toHaveLength(2);
        expect(joins[1] - lostAtMs).toBeGreaterThanOrEqual(D.seedCheckIntervalMs);
        expect(hv.active.sort()).toEqual([a.id, c.id].sort());
      }
    }
  });

  it('keepUnusedConnections keeps it; closeUsedConnections closes a neighbour\'s too', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { keepUnusedConnections: true } });
    const c = w.node('c', { variant: { keepUnusedConnections: true } }); // the dialer sweeps too
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

  /**
   * a and b are neighbours; from 3 s a hears nothing from b (b→a blocked) while b hears a. At
   * `redialMs` b drops its end (its close is lost) and dials a again over the healed link, as a
   * peer whose end timed out first does after a NAT shift.
   */
  function redialOverSilentPath(redialMs: number, variant: NodeVariant = {}) {
    const w = meshWorld();
    const a = w.node('a', { variant });
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(3_000);
    expect(a.app.activeView(MESH)).toEqual([b.id]);
    w.network.setLink(b.id, a.id, { blocked: true });
    w.runTo(redialMs);
    b.app.peers.close(a.id, 'unused');
    w.network.setLink(b.id, a.id, { blocked: false });
    b.app.peers.connect(a.id, () => {});
    w.runTo(redialMs + 100);
    return { w, a, b };
  }

  it('a peer dialing again over a path silent for a keep-alive period and a half closes the dead connection first', () => {
    const { w, a, b } = redialOverSilentPath(3_000 + 1.5 * DEFAULT_NETWORK_CONFIG.keepAliveMs + 1_000);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: b.id, reason: 'closed-locally', cause: 'dead-path' }]);
    // Reported before the new connection, so a's views drop b as b's dropped a: no one-sided link.
    const records = w.telemetry.records.filter((r) => r.node === 'a' && r.startMs > 3_000);
    const order = records.map((r) => r.name).filter((n) => n === 'mesh.peer.disconnected' || n === 'mesh.peer.connected' || n === 'mesh.gossip.neighbor_down');
    expect(order.slice(0, 3)).toEqual(['mesh.peer.disconnected', 'mesh.gossip.neighbor_down', 'mesh.peer.connected']);
    expect(w.spans('mesh.gossip.neighbor_down', a)).toEqual([{ topic: MESH, peerId: b.id, cause: 'peer-down', reason: 'closed-locally' }]);
    expect(a.app.activeView(MESH).includes(b.id)).toBe(b.app.activeView(MESH).includes(a.id));
  });

  it('keepDeadPaths keeps the dead connection as a superseded one, hiding a one-sided link', () => {
    const { w, a, b } = redialOverSilentPath(3_000 + 1.5 * DEFAULT_NETWORK_CONFIG.keepAliveMs + 1_000, { keepDeadPaths: true });
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([]);
    expect(w.spans('mesh.gossip.neighbor_down', a)).toEqual([]);
    expect(a.app.activeView(MESH)).toEqual([b.id]); // a still holds b ...
    expect(b.app.activeView(MESH)).toEqual([]); // ... which dropped a when its end went
  });

  it('a peer dialing again closes the connections it no longer holds, however short their silence', () => {
    // b's end went after 15 s of silence, under the keep-alive period and a half: a peer dials
    // only while it holds no open connection, so every connection that opened before its dial
    // could have begun is gone at its end (a NAT shift's victim hears its peer's redial that soon).
    const { w, a, b } = redialOverSilentPath(3_000 + DEFAULT_NETWORK_CONFIG.keepAliveMs);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: b.id, reason: 'closed-locally', cause: 'dead-path' }]);
    expect(a.app.peers.connectedPeers()).toEqual([b.id]); // over b's new connection
    expect(a.app.activeView(MESH).includes(b.id)).toBe(b.app.activeView(MESH).includes(a.id));
  });

  it('keeps a connection that opened while the peer was dialling: crossed dials, not a dead path', () => {
    // b's first Initial is lost; a dials b and its connection opens before b's retransmitted
    // Initial arrives. b's dial began before a's did, so a's connection is b's crossing dial's
    // twin, not a path b gave up: both ends keep both.
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b');
    w.runTo(1_000);
    w.network.setLink(b.id, a.id, { blocked: true });
    b.app.peers.connect(a.id, () => {});
    w.network.setLink(b.id, a.id, { blocked: false });
    a.app.peers.connect(b.id, () => {});
    w.runTo(1_900);
    for (const [x, y] of [[a, b], [b, a]] as const) {
      expect(w.spans('mesh.peer.disconnected', x)).toEqual([]);
      const open = w.network.endpointOf(x.id)!.connections().filter((c) => c.remote === y.id && c.state === 'open');
      expect(open.map((c) => c.direction).sort()).toEqual(['inbound', 'outbound']);
    }
    // a's own connection opened first: b's dial reached it later, within a dial timeout.
    const atA = w.network.endpointOf(a.id)!.connections().filter((c) => c.remote === b.id);
    const [mine, theirs] = [atA.find((c) => c.direction === 'outbound')!, atA.find((c) => c.direction === 'inbound')!];
    expect(mine.openedAtMs).toBeLessThan(theirs.openedAtMs);
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

  it('one sweep looks at every peer given a reason in the same sweep period, with one timer', () => {
    const w = meshWorld();
    const a = w.node('a');
    const others = ['c', 'd', 'e'].map((name) => w.node(name, { variant: { keepUnusedConnections: true } })); // only a sweeps
    const sweeps: number[] = [];
    const app = a.app as unknown as { sweepUnused: (dueMs: number) => void };
    const sweep = app.sweepUnused.bind(app);
    app.sweepUnused = (dueMs) => {
      sweeps.push(dueMs);
      sweep(dueMs);
    };
    for (const o of others) o.app.peers.connect(a.id, () => {}); // three inbound connections no topic uses
    w.runTo(10_000);
    const accepted = w.times('mesh.peer.connected', a);
    expect(accepted).toHaveLength(3);
    expect(new Set(accepted.map(sweepAfter)).size).toBe(1); // the reasons fall in one sweep period
    expect(sweeps).toEqual([sweepAfter(accepted[0])]);
    expect(w.spans('mesh.peer.disconnected', a).map((s) => s.peerId).sort()).toEqual(others.map((o) => o.id).sort());
    expect(w.times('mesh.peer.disconnected', a)).toEqual([0, 1, 2].map(() => sweepAfter(accepted[0])));
  });

  it('sweeps fall at a phase of each node\'s own, the first at least the grace after the reason', () => {
    const sweepMs = D.unusedConnectionSweepMs;
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'].map(idOf);
    const phases = ids.map((id) => {
      const dues = [0, 1, 499, 1_000, 12_345].map((nowMs) => {
        const dueMs = unusedSweepDueMs(id, nowMs, D.unusedConnectionGraceMs, sweepMs);
        expect(dueMs - nowMs).toBeGreaterThanOrEqual(D.unusedConnectionGraceMs);
        expect(dueMs - nowMs).toBeLessThan(D.unusedConnectionGraceMs + sweepMs);
        return dueMs % sweepMs;
      });
      expect(new Set(dues).size).toBe(1); // one phase per node
      return dues[0];
    });
    // Two ends of one connection seldom share a sweep: the first Close arrives before the other's.
    expect(new Set(phases).size).toBe(ids.length);
  });

  it('a sweep period of 1 ms closes exactly at the grace', () => {
    const w = meshWorld();
    const a = w.node('a', { config: { unusedConnectionSweepMs: 1 } });
    const c = w.node('c');
    c.app.peers.connect(a.id, () => {});
    w.runTo(10_000);
    const [accepted] = w.times('mesh.peer.connected', a);
    expect(w.times('mesh.peer.disconnected', a)).toEqual([accepted + D.unusedConnectionGraceMs]);
  });

  it('a released peer (a Neighbor request refused when full) is given to the sweep, which closes it', () => {
    const { w, a, c, reasons } = fullNodeAndAsker();
    // a dialed c at 1 s: the dial gave the sweep its first reason.
    const dialedAtMs = w.times('mesh.peer.connected', a)[w.spans('mesh.peer.connected', a).findIndex((x) => x.peerId === c.id)];
    expect(reasons).toEqual([{ peer: c.id, atMs: dialedAtMs }]);
    w.sendRaw(c, a, { type: 'Neighbor', priority: 'low' });
    w.runTo(3_000);
    expect(a.app.activeView(MESH)).not.toContain(c.id);
    // Released when the refusal went out, a few ms after 2 s: a second reason.
    expect(reasons.slice(1)).toEqual([{ peer: c.id, atMs: expect.any(Number) }]);
    expect(reasons[1].atMs).toBeGreaterThan(2_000);
    expect(reasons[1].atMs).toBeLessThan(2_100);
    w.runTo(10_000);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([{ peerId: c.id, reason: 'closed-locally', cause: 'unused' }]);
    // The dial's sweep came after the refusal and found the peer unused.
    const [closedAt] = w.times('mesh.peer.disconnected', a);
    expect(closedAt).toBe(sweepAfter(reasons[0].atMs));
    expect(closedAt).toBeGreaterThan(2_001);
  });

  it('a sweep keeps a connection that carries a Neighbor request still in flight', () => {
    // protocol-1k (30 s, seeds 2 and 3): a sweep for an old reason closed the connection a
    // refill had just sent a Neighbor request on; the peer took the asker up on it and lost it
    // to the Close ~10 ms later (a neighbor_up then neighbor_down), the asker its request.
    const w = meshWorld();
    const a = w.node('a');
    const c = w.node('c');
    c.app.peers.connect(a.id, () => {});
    w.runTo(1_000);
    const [accepted] = w.times('mesh.peer.connected', a);
    const sweepMs = sweepAfter(accepted);
    // One ms before that sweep, a asks c for a slot (a refill round, its active view empty).
    w.runTo(sweepMs - 1);
    a.app.topicState(MESH)!.hyparview.passive.push(c.id);
    (a.app as unknown as { dispatch(topic: unknown, event: unknown): void }).dispatch(topicIdOf(MESH), { kind: 'timer', timer: { machine: 'hyparview', timer: { type: 'Shuffle' } } });
    expect(a.app.topicState(MESH)!.hyparview.pendingNeighbor.has(c.id)).toBe(true);
    // The node says so (the cross-layer check reads it: a request between two samples wanted the peer).
    expect(w.spans('mesh.gossip.neighbor_request', a)).toEqual([{ topic: MESH, peerId: c.id, priority: 'high' }]);
    w.runTo(sweepMs + 200);
    expect(w.spans('mesh.peer.disconnected', a)).toEqual([]);
    expect(a.app.activeView(MESH)).toEqual([c.id]);
    expect(c.app.activeView(MESH)).toEqual([a.id]);
    expect(w.spans('mesh.gossip.neighbor_down', c)).toEqual([]);
  });
});

describe('mesh node: a Join sent on a connection a sweep is due to look at', () => {
  // At 400 ms a hop (a random layout, seed 92185): a seed check joined a bridge through its only
  // peer on the bridge topic over a connection opened 2.2 s before, and the sweep that opening
  // had armed closed it as unused 112 ms later, the Join's answer a round trip away. The bridge
  // rejoined three seed checks late.
  it.each([false, true])('keeps the connection for the answer, and the Join takes (red with sweepUnansweredJoins: %s)', (sweepUnansweredJoins) => {
    const w = meshWorld();
    const a = w.node('a', { variant: { keepUnusedConnections: true } }); // the contact's own sweep is not the case
    w.runTo(1_000);
    const b = w.node('b', { variant: { sweepUnansweredJoins } }); // no seeds: it joins only when told to below
    for (const [x, y] of [[a, b], [b, a]]) w.network.setLink(x.id, y.id, { latencyMs: 400, jitterMs: 0 });
    b.app.peers.connect(a.id, () => {});
    while (w.times('mesh.peer.connected', b).length === 0) w.runTo(w.scheduler.nowMs + 1);
    const [openedAtMs] = w.times('mesh.peer.connected', b);
    const dueMs = unusedSweepDueMs(b.id, openedAtMs, D.unusedConnectionGraceMs, D.unusedConnectionSweepMs);
    w.runTo(dueMs - 100);
    expect(b.app.peers.connectedPeers()).toEqual([a.id]);
    (b.app as unknown as { joinThrough: (seed: { nodeId: string; meshIds: readonly string[] }) => void }).joinThrough({ nodeId: a.id, meshIds: [MESH] });
    w.runTo(dueMs + 3_000);
    if (sweepUnansweredJoins) {
      expect(w.spans('mesh.peer.disconnected', b)).toEqual([{ peerId: a.id, reason: 'closed-locally', cause: 'unused' }]);
      expect(b.app.activeView(MESH)).toEqual([]);
      return;
    }
    expect(w.spans('mesh.peer.disconnected', b)).toEqual([]);
    expect(b.app.activeView(MESH)).toEqual([a.id]);
    expect(a.app.activeView(MESH)).toEqual([b.id]);
  });
});

describe('mesh node: what one event sends a peer', () => {
  it('leaves in one packet: a refused Neighbor request gets its ShuffleReply and NeighborReply together', () => {
    const { w, a, c } = fullNodeAndAsker();
    const packetsBefore = w.network.stats.packetsSent;
    const framesBefore = a.app.peers.framesSent;
    w.sendRaw(c, a, { type: 'Neighbor', priority: 'low' });
    w.runTo(2_500);
    expect(a.app.activeView(MESH)).not.toContain(c.id);
    const sent = (tag: number) => a.app.peers.traffic.framesSent[tag];
    expect(sent(MESSAGE_TAG.ShuffleReply)).toBe(1);
    expect(sent(MESSAGE_TAG.NeighborReply)).toBe(1);
    expect(a.app.peers.framesSent - framesBefore).toBe(2);
    // c's request and a's answer: two packets (three when each frame was its own packet).
    expect(w.network.stats.packetsSent - packetsBefore).toBe(2);
    expect(c.app.peers.framesReceived).toBeGreaterThanOrEqual(2);
  });

  it('is packed into chunks of at most 1,200 bytes, in order, each frame received once', () => {
    const w = meshWorld();
    const a = w.node('a', { variant: { keepUnusedConnections: true } });
    const c = w.node('c', { variant: { keepUnusedConnections: true } });
    a.app.peers.connect(c.id, () => {});
    w.runTo(1_000);
    const nodes = Array.from({ length: 8 }, (_, i) => idOf(String(i + 1)));
    const frame = encodeEnvelope({ topic: topicIdOf(MESH), message: { type: 'ShuffleReply', nodes } });
    const perChunk = Math.floor(1_200 / frame.length);
    expect(perChunk).toBeGreaterThan(1);
    const packetsBefore = w.network.stats.packetsSent;
    const receivedBefore = c.app.peers.framesReceived;
    const sentBefore = a.app.peers.framesSent;
    a.app.peers.hold();
    for (let i = 0; i < 10; i++) a.app.peers.send(c.id, frame);
    a.app.peers.release();
    w.runTo(1_500);
    expect(w.network.stats.packetsSent - packetsBefore).toBe(Math.ceil(10 / perChunk));
    expect(c.app.peers.framesReceived - receivedBefore).toBe(10);
    expect(a.app.peers.framesSent - sentBefore).toBe(10);
    // The bound is inclusive: 600 + 600 bytes share a packet, 600 + 601 do not.
    const sized = (bytes: number) => encodeFrame(MESSAGE_TAG.Join, new Uint8Array(bytes - 3));
    expect(sized(600).length).toBe(600);
    const packetsOf = (frames: Uint8Array[]): number => {
      const before = w.network.stats.packetsSent;
      a.app.peers.hold();
      for (const f of frames) a.app.peers.send(c.id, f);
      a.app.peers.release();
      return w.network.stats.packetsSent - before;
    };
    expect(packetsOf([sized(600), sized(600)])).toBe(1);
    expect(packetsOf([sized(600), sized(601)])).toBe(2);
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

  it.each([
    ['re-joins through a seed, on that topic only,', undefined],
    ['with disableStrandedRejoin does not re-join', { disableStrandedRejoin: true }],
  ] as const)('%s when it holds one other neighbour there and nobody to refill from', (_, variant) => {
    const w = meshWorld();
    const both = [MESH, 'mesh-b'];
    const a = w.node('a', { meshIds: both });
    const b = w.node('b', { meshIds: both, seeds: ['a'], seedMeshIds: both, variant });
    const c = w.node('c', { meshIds: ['mesh-b'], seeds: ['b'], seedMeshIds: ['mesh-b'] });
    w.runTo(35_000);
    const hv = (meshId: string) => b.app.topicState(meshId)!.hyparview;
    expect(hv('mesh-b').active).toContain(c.id);
    // a and b lose each other on mesh-b alone (as when the transport lost the link there): b keeps
    // one neighbour, c, and an empty passive view; a is still its neighbour on MESH, over the
    // same connection.
    const peerDown = (n: WorldNode, peer: WorldNode) =>
      (n.app as unknown as { dispatch: (topic: string, event: { kind: 'peerDown'; peer: string }) => void }).dispatch(topicIdOf('mesh-b'), { kind: 'peerDown', peer: peer.id });
    peerDown(b, a);
    peerDown(a, b);
    expect([hv('mesh-b').active, hv('mesh-b').passive, hv(MESH).active]).toEqual([[c.id], [], [a.id]]);
    const before = w.spans('mesh.gossip.join', b).length;
    w.runTo(41_000); // the next check (at 40 s) and its Join
    if (variant !== undefined) {
      expect(w.spans('mesh.gossip.join', b).slice(before)).toEqual([]);
      expect(hv('mesh-b').active).toEqual([c.id]);
      return;
    }
    expect(w.spans('mesh.gossip.join', b).slice(before)).toEqual([{ topic: 'mesh-b', peerId: a.id }]);
    expect(hv('mesh-b').active.sort()).toEqual([a.id, c.id].sort());
    // Not stranded: c's one neighbour on mesh-b is its seed b, and a holds two.
    w.runTo(60_000);
    expect(w.spans('mesh.gossip.join', c)).toHaveLength(1);
    expect(w.spans('mesh.gossip.join', a)).toHaveLength(0);
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
