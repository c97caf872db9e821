/**
 * The peer table of a mesh node (src/mesh/peers.ts), as a unit over the simulated network.
 * Goal: connections are registered per peer (sorted listings, counts); frames sent before a
 * connection exists wait, bounded, and go out in order once it opens; concurrent connects share
 * one dial, and a waiter hears the dial's result, not its progress; a failed dial is a span and a
 * lost peer unless the peer dialled in meanwhile; a close names its cause (none for a close from
 * outside the table) and forgets the link; the newest connection carries traffic and keeps alive;
 * a Hello reports the peer's mesh and type, other traced frames and echo frames on a control
 * stream are ignored; listings sort by peer, then connection id. Method: two or three NodeHosts on a fresh network, each running a bare
 * PeerTable whose listener records what it hears; virtual time only.
 */
import { describe, expect, it } from 'vitest';
import { MESH_NODE_DEFAULTS, type MeshNodeConfig } from '../src/mesh/config.js';
import { PeerTable, type PeerInfo } from '../src/mesh/peers.js';
import { encodeEnvelope } from '../src/protocol/codec.js';
import { bytesToHex } from '../src/protocol/leb128.js';
import { MESSAGE_TAG } from '../src/protocol/messages.js';
import { encodeEcho, encodeTraced } from '../src/protocol/traced.js';
import { TAG_TRACED } from '../src/protocol/framer.js';
import type { Frame } from '../src/protocol/framer.js';
import { Network, type Connection, type Stream } from '../src/sim/network/index.js';
import { NodeHost } from '../src/sim/node-host.js';
import { RngStreams } from '../src/sim/rng.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { Telemetry } from '../src/sim/telemetry/index.js';

const TOPIC = 'ab'.repeat(32);
const join = (): Uint8Array => encodeEnvelope({ topic: TOPIC, message: { type: 'Join' } });

interface Node {
  readonly host: NodeHost;
  readonly id: string;
  table: PeerTable;
  readonly frames: { peer: string; frame: Frame }[];
  readonly lost: { peer: string; reason: string }[];
  readonly hellos: { peer: string; info: PeerInfo }[];
}

function world(config: Partial<MeshNodeConfig> = {}) {
  const scheduler = new Scheduler();
  const rng = new RngStreams('peers');
  const network = new Network(scheduler, rng);
  const telemetry = new Telemetry(scheduler, rng.stream('span-ids'));
  const node = (name: string, hello = true): Node => {
    const id = name.padEnd(64, '0');
    const n = { id, frames: [], lost: [], hellos: [] } as unknown as Node;
    const host = new NodeHost({ scheduler, network, telemetry, rng }, { nodeId: id, name, role: 'gateway', meshId: 'mesh-a' }, (ctx) => {
      n.table = new PeerTable(ctx, { ...MESH_NODE_DEFAULTS, ...config }, hello ? { type: 'Hello', meshId: 'mesh-a', nodeType: 'gateway' } : null, {
        onControlFrame: (peer, frame) => n.frames.push({ peer, frame }),
        onHello: (peer, info) => n.hellos.push({ peer, info }),
        onPeerLost: (peer, reason) => n.lost.push({ peer, reason }),
        onDialed: () => {},
      });
      return { onIncoming: (conn) => n.table.accept(conn), stop: () => {} };
    });
    (n as { host: NodeHost }).host = host;
    host.start();
    return n;
  };
  const spans = (name: string, nodeName: string) => telemetry.records.filter((r) => r.name === name && r.node === nodeName).map((r) => r.attrs);
  return { scheduler, network, node, spans };
}

/**
 * a and b connected; then a is wedged and b closes the connection, so a's table still lists the
 * closed connection: its close waits in a's queue until a is unwedged.
 */
function closedButUnreported() {
  const w = world();
  const a = w.node('a');
  const b = w.node('b');
  a.table.send(b.id, join());
  w.scheduler.runFor(1_000);
  a.host.wedge();
  b.table.close(a.id, 'unused');
  w.scheduler.runFor(100);
  expect(a.table.isConnected(b.id)).toBe(true); // closed on the wire, still listed by a
  return { w, a, b };
}

describe('PeerTable', () => {
  it('frames sent before the dial completes wait and go out in order; listings are sorted', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    const c = w.node('c');
    for (let i = 0; i < 3; i++) a.table.send(b.id, join());
    a.table.send(c.id, join());
    expect(a.table.connectedPeers()).toEqual([]);
    expect(a.table.isConnected(b.id)).toBe(false);
    w.scheduler.runFor(1_000);
    expect(a.table.connectedPeers()).toEqual([b.id, c.id]);
    expect(a.table.isConnected(b.id)).toBe(true);
    expect(a.table.connectionCount()).toBe(2);
    expect(a.table.ownedConnections().map((o) => o.peer)).toEqual([b.id, c.id]);
    expect(b.frames.map((f) => f.peer)).toEqual([a.id, a.id, a.id]);
    expect(a.table.framesSent).toBe(6); // 4 Joins and 2 Hellos
    expect(b.table.framesReceived).toBe(4); // 3 Joins and a Hello
    expect(b.table.traffic.bytesReceived[MESSAGE_TAG.Join]).toBe(3 * join().length); // tag, length header, payload
    expect(b.hellos).toEqual([{ peer: a.id, info: { meshId: 'mesh-a', nodeType: 'gateway' } }]);
    expect(b.table.infoOf(a.id)).toEqual({ meshId: 'mesh-a', nodeType: 'gateway' });
    expect(b.table.infoOf(c.id)).toBeNull();
  });

  it('frames written on an open connection arrive in the order sent, over a jittery link', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    w.network.setLink(a.id, b.id, { latencyMs: 10, jitterMs: 20 }); // packets overtake each other
    const topics = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
    for (const topic of topics) a.table.send(b.id, encodeEnvelope({ topic, message: { type: 'Join' } }));
    w.scheduler.runFor(1_000);
    // One send stream per connection: the stream puts its frames back in order.
    const heard = b.frames.slice(1).map((f) => bytesToHex(f.frame.payload.subarray(0, 32)));
    expect(heard).toEqual(topics);
  });

  it('waiting frames are bounded: past pendingFramesMax they are dropped and counted', () => {
    const w = world({ pendingFramesMax: 2 });
    const a = w.node('a');
    const b = w.node('b');
    for (let i = 0; i < 5; i++) a.table.send(b.id, join());
    expect(a.table.framesDropped).toBe(3);
    w.scheduler.runFor(1_000);
    expect(b.frames).toHaveLength(2);
  });

  it('concurrent connects share one dial and all hear the result; a connected peer answers at once', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    const results: boolean[] = [];
    a.table.connect(b.id, (ok) => results.push(ok));
    a.table.connect(b.id, (ok) => results.push(ok));
    w.scheduler.runFor(1_000);
    expect(results).toEqual([true, true]);
    expect(w.network.stats.dials).toBe(1);
    let now: boolean | null = null;
    a.table.connect(b.id, (ok) => (now = ok));
    expect(now).toBe(true);
    let stream: unknown = 'pending';
    a.table.openBi(b.id, (s) => (stream = s));
    w.scheduler.runFor(10);
    expect(stream).not.toBeNull();
    expect(stream).not.toBe('pending');
  });

  it('a failed dial is a span and a lost peer; concurrent waiters hear false; openBi gives null', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    w.network.partition(a.id, b.id);
    const results: boolean[] = [];
    a.table.connect(b.id, (ok) => results.push(ok));
    a.table.connect(b.id, (ok) => results.push(ok));
    let stream: unknown = 'pending';
    a.table.openBi(b.id, (s) => (stream = s));
    w.scheduler.runFor(10_000);
    expect(results).toEqual([false, false]);
    expect(stream).toBeNull();
    expect(w.spans('mesh.peer.dial_failed', 'a')[0]).toEqual({ peerId: b.id, reason: 'timeout' });
    expect(a.lost).toEqual([{ peer: b.id, reason: 'dial-timeout' }]);
    expect(a.table.connectedPeers()).toEqual([]);
  });

  it('a close names its cause, and the peer is lost once its last connection closes', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    a.table.close(b.id, 'unused');
    a.table.close('nobody'.padEnd(64, '0'), 'unused');
    w.scheduler.runFor(1_000);
    expect(w.spans('mesh.peer.disconnected', 'a')).toEqual([{ peerId: b.id, reason: 'closed-locally', cause: 'unused' }]);
    expect(w.spans('mesh.peer.disconnected', 'b')).toEqual([{ peerId: a.id, reason: 'closed-by-peer', cause: 'closed-by-peer' }]);
    expect(a.lost).toEqual([{ peer: b.id, reason: 'closed-locally' }]);
    expect(b.lost).toEqual([{ peer: a.id, reason: 'closed-by-peer' }]);
    expect([a.table.connectionCount(), b.table.connectionCount()]).toEqual([0, 0]);
    expect([a.table.infoOf(b.id), b.table.infoOf(a.id)]).toEqual([null, null]); // links forgotten with their Hello
  });

  it('with two connections to a peer the newer carries traffic and keeps alive; losing it hands over', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.connect(b.id, () => {});
    w.scheduler.runFor(1_000);
    b.table.connect(a.id, () => {}); // already connected from a: answered at once, no second dial
    expect(w.network.stats.dials).toBe(1);
    // A second connection, dialled by b's endpoint directly (as after a restart race).
    let second: Connection | null = null;
    w.network.endpointOf(b.id)!.dial(a.id, (r) => { if (r.ok) second = r.conn; });
    w.scheduler.runFor(1_000);
    expect(second).not.toBeNull();
    const owned = a.table.ownedConnections();
    expect(owned.map((o) => o.peer)).toEqual([b.id, b.id]);
    expect(owned[0]!.id).toBeLessThan(owned[1]!.id);
    const conns = w.network.endpointOf(a.id)!.connections();
    // The owned ends are the network's own end objects, and what the array held before is dropped.
    const ends = a.table.ownedEnds([second!]);
    expect(ends.map((c) => c.id)).toEqual(owned.map((o) => o.id));
    expect(ends.every((c) => conns.includes(c))).toBe(true);
    const newest = conns.find((c) => c.id === owned[1]!.id)!;
    const older = conns.find((c) => c.id === owned[0]!.id)!;
    expect([older.keepAlive, newest.keepAlive]).toEqual([false, true]);
    newest.close();
    w.scheduler.runFor(10);
    expect(older.keepAlive).toBe(true);
    expect(a.lost).toEqual([]);
    expect(a.table.connectionCount()).toBe(1);
  });

  it('after the newer connection closes, frames go back on the older one\'s own stream, not a new one', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join()); // a dials: the older connection, and a's stream on it
    w.scheduler.runFor(1_000);
    w.network.endpointOf(b.id)!.dial(a.id, (r) => { if (r.ok) b.table.accept(r.conn); }); // a newer one, dialled by b
    w.scheduler.runFor(1_000);
    const [older, newer] = [...w.network.endpointOf(a.id)!.connections()].sort((x, y) => x.id - y.id);
    const olderStreams = older!.openStreams().map((s) => s.id);
    a.table.send(b.id, join()); // on the newer connection
    w.scheduler.runFor(1_000);
    expect(newer!.openStreams().filter((s) => (s.id & 1) === 1)).toHaveLength(1); // a's own (b dialled it)
    newer!.close();
    w.scheduler.runFor(1_000);
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    expect(older!.openStreams().map((s) => s.id)).toEqual(olderStreams);
    expect(olderStreams.filter((id) => (id & 1) === 0)).toHaveLength(1); // a's own (a dialled it), beside b's
    expect(b.frames.filter((f) => f.peer === a.id)).toHaveLength(3);
  });

  it('without a Hello message (protocol profile) no Hello is sent', () => {
    const w = world();
    const a = w.node('a', false);
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    expect(b.hellos).toEqual([]);
    expect(a.table.framesSent).toBe(1);
  });
});

describe('PeerTable: order and bad input', () => {
  it('listings are sorted by peer even when a later peer has the older connection', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    const c = w.node('c');
    w.network.setLink(c.id, a.id, { latencyMs: 100, jitterMs: 0 });
    w.network.setLink(b.id, a.id, { latencyMs: 1, jitterMs: 0 });
    c.table.send(a.id, join()); // dialled first: the lower connection id, registered at a last
    b.table.send(a.id, join());
    w.scheduler.runFor(1_000);
    const owned = a.table.ownedConnections();
    expect(owned.map((o) => o.peer)).toEqual([b.id, c.id]);
    expect(owned[0]!.id).toBeGreaterThan(owned[1]!.id);
  });

  it('listings are sorted whatever the order peers connected in', () => {
    const w = world();
    const a = w.node('a');
    const c = w.node('c');
    const b = w.node('b');
    a.table.send(c.id, join());
    w.scheduler.runFor(1_000);
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    expect(a.table.connectedPeers()).toEqual([b.id, c.id]);
    expect(a.table.ownedConnections().map((o) => o.peer)).toEqual([b.id, c.id]);
  });

  it('a frame that cannot be decoded on a control stream is a span and closes the connection with that cause', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    const conn = w.network.endpointOf(a.id)!.connections()[0]!;
    conn.openUni().write(Uint8Array.of(0x12, 0x00)); // an unknown tag: framing is lost
    w.scheduler.runFor(1_000);
    expect(w.spans('mesh.frame.decode_failed', 'b')).toEqual([{ error: 'UnknownTag{tag=0x12}' }]);
    expect(w.spans('mesh.peer.disconnected', 'b')).toEqual([{ peerId: a.id, reason: 'closed-locally', cause: 'decode-failed' }]);
    expect(b.lost).toEqual([{ peer: a.id, reason: 'closed-locally' }]);
  });
});

describe('PeerTable: dial races', () => {
  it('a connect waiting on a slow dial hears true once it completes, not false while it is under way', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    w.network.setLink(a.id, b.id, { latencyMs: 250, jitterMs: 0 });
    const results: [number, boolean][] = [];
    a.table.connect(b.id, (ok) => results.push([w.scheduler.nowMs, ok]));
    a.table.connect(b.id, (ok) => results.push([w.scheduler.nowMs, ok])); // polls every 100 ms
    w.scheduler.runFor(1_000);
    expect(results.map(([, ok]) => ok)).toEqual([true, true]);
    expect(results[1]![0]).toBeGreaterThan(250);
  });

  it('a send-started dial that fails while the peer dialled in hands its waiters true', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    w.network.setLink(a.id, b.id, { blocked: true });
    a.table.send(b.id, join()); // starts the dial, with nobody to tell
    const results: boolean[] = [];
    a.table.connect(b.id, (ok) => results.push(ok));
    w.network.endpointOf(b.id)!.dial(a.id, () => {});
    w.scheduler.runFor(10_000);
    expect(w.spans('mesh.peer.dial_failed', 'a')).toEqual([{ peerId: b.id, reason: 'timeout' }]);
    expect(results).toEqual([true]);
    expect(a.lost).toEqual([]);
  });

  it('a dial that fails while the peer dialled in is no loss: waiters hear true, the inbound connection stays', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    w.network.setLink(a.id, b.id, { blocked: true }); // a's packets never reach b; b's reach a
    const results: boolean[] = [];
    a.table.connect(b.id, (ok) => results.push(ok));
    a.table.connect(b.id, (ok) => results.push(ok)); // waits on the same dial
    w.network.endpointOf(b.id)!.dial(a.id, () => {}); // b's Initial gets through: a registers it
    w.scheduler.runFor(10_000);
    expect(w.spans('mesh.peer.dial_failed', 'a')).toEqual([{ peerId: b.id, reason: 'timeout' }]);
    expect(results).toEqual([true, true]);
    expect(a.lost).toEqual([]);
    expect(a.table.isConnected(b.id)).toBe(true);
  });
});

describe('PeerTable: frames a control stream ignores, and closes without a cause', () => {
  it('a traced frame that is not a Hello is ignored; one that does not decode is a span; echo frames are not control', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    const ids = { traceId: new Uint8Array(16), spanId: new Uint8Array(8), flags: 1 };
    a.table.send(b.id, encodeTraced({ ...ids, message: { type: 'Ping', orgId: 7n } }));
    a.table.send(b.id, Uint8Array.of(TAG_TRACED, 1, 0)); // framed, but no traced message
    a.table.send(b.id, encodeEcho(Uint8Array.of(1, 2, 3)));
    w.scheduler.runFor(1_000);
    expect(b.hellos.map((h) => h.peer)).toEqual([a.id]); // the Hello of the connection only
    expect(b.frames).toHaveLength(1); // the Join only
    expect(w.spans('mesh.frame.decode_failed', 'b')).toEqual([{ error: 'BadPayload{traceId: need 16 bytes, 1 left}' }]);
    expect(b.table.connectedPeers()).toEqual([a.id]); // framing was intact: the connection stays
  });

  it('a frame the connection\'s send buffer cannot take is dropped and counted, not counted as sent', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    const content = new Uint8Array(4_000);
    const gossip = encodeEnvelope({ topic: TOPIC, message: { type: 'Gossip', id: 'cd'.repeat(32), round: 0, content } });
    const burst = 100; // 100 × 4 KB in one go: more than the 256 KiB send buffer
    for (let i = 0; i < burst; i++) a.table.send(b.id, gossip.slice());
    expect(a.table.framesDropped).toBeGreaterThan(0);
    expect(a.table.framesSent + a.table.framesDropped).toBe(2 + burst); // the Hello and the Join before
    w.scheduler.runFor(10_000);
    expect(b.frames).toHaveLength(a.table.framesSent - 1); // everything counted as sent arrived (but the Hello)
  });

  it('a decode failure names the close of its own connection only, not a later one handed the keep-alive', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    let second: Connection | null = null;
    w.network.endpointOf(a.id)!.dial(b.id, (r) => { if (r.ok) second = r.conn; }); // a newer connection
    w.scheduler.runFor(1_000);
    expect(b.table.ownedConnections()).toHaveLength(2);
    second!.openUni().write(Uint8Array.of(0x12, 0x00)); // framing lost on the newer one: b closes it
    w.scheduler.runFor(1_000);
    expect(w.spans('mesh.frame.decode_failed', 'b')).toHaveLength(1);
    expect(b.table.ownedConnections()).toHaveLength(1); // the older one took over, no disconnect yet
    expect(w.spans('mesh.peer.disconnected', 'b')).toEqual([]);
    w.network.endpointOf(b.id)!.connections()[0]!.close(); // closed outside the table: no cause
    w.scheduler.runFor(1_000);
    expect(w.spans('mesh.peer.disconnected', 'b')).toStrictEqual([{ peerId: a.id, reason: 'closed-locally' }]);
  });

  it('a connection closed locally outside the table has no cause attribute', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    a.table.send(b.id, join());
    w.scheduler.runFor(1_000);
    w.network.endpointOf(a.id)!.connections()[0]!.close();
    w.scheduler.runFor(1_000);
    expect(w.spans('mesh.peer.disconnected', 'a')).toStrictEqual([{ peerId: b.id, reason: 'closed-locally' }]);
  });

  it('a frame sent while the last connection is closed but not yet reported waits for a new dial and arrives', () => {
    const { w, a, b } = closedButUnreported();
    a.table.send(b.id, join()); // no open connection: queued, and a new dial starts
    w.scheduler.runFor(100);
    a.host.unwedge(); // the close runs while the dial is in flight: the link and its frame stay
    w.scheduler.runFor(1_000);
    expect(b.frames).toHaveLength(2);
    expect(a.table.framesDropped).toBe(0);
    expect(a.table.isConnected(b.id)).toBe(true);
  });

  it('a connect or openBi while the last connection is closed but not yet reported dials anew', () => {
    const { w, a, b } = closedButUnreported();
    const heard: boolean[] = [];
    let stream: Stream | null | undefined;
    a.table.connect(b.id, (ok) => heard.push(ok));
    a.table.openBi(b.id, (s) => (stream = s));
    // Not answered from the closed connection (which gave openBi no stream to open).
    expect(heard).toEqual([]);
    expect(stream).toBeUndefined();
    a.host.unwedge();
    w.scheduler.runFor(1_000);
    expect(heard).toEqual([true]);
    expect(stream).not.toBeNull();
    expect(stream?.writable).toBe(true);
    expect(a.table.connectedPeers()).toEqual([b.id]);
  });

  it('a waiter hears how the dial ends, not that a connection closed while it was under way', () => {
    const w = world();
    const a = w.node('a');
    const b = w.node('b');
    w.network.setLink(a.id, b.id, { blocked: true }); // a's dial hangs until its timeout
    const results: [number, boolean][] = [];
    a.table.connect(b.id, (ok) => results.push([w.scheduler.nowMs, ok])); // starts the dial
    a.table.connect(b.id, (ok) => results.push([w.scheduler.nowMs, ok])); // waits on it, polling every 100 ms
    w.network.endpointOf(b.id)!.dial(a.id, () => {}); // b's connection reaches a meanwhile
    w.scheduler.runFor(50);
    expect(a.table.isConnected(b.id)).toBe(true);
    w.network.endpointOf(a.id)!.connections()[0]!.close(); // and closes again, the dial still under way
    w.scheduler.runFor(10_000);
    const dialMs = 5_000; // the network's default dial timeout
    expect(results.map(([, ok]) => ok)).toEqual([false, false]);
    expect(results.map(([atMs]) => atMs >= dialMs)).toEqual([true, true]); // neither answered at the close
  });
});

