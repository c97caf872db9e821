/**
 * What the mesh node does with the payloads Plumtree hands it (src/mesh/node.ts), as a unit.
 * Goal: a probe is announced with its message id and encoded size (padded when asked, bare when
 * the pad would not fit) and delivered once per node with origin, sender and hop; the set of
 * probes delivered is bounded; a payload delivered again after Plumtree forgot its id counts as a
 * duplicate until the node forgets its own record (120 s); bytes that are no payload count as
 * foreign; an envelope that does not decode is a span naming the peer; Plumtree's Prune, Graft,
 * give-up and rejection reach spans and counters. Method: two or three MeshNodes on a fresh
 * simulated network (test/support/mesh-world.ts); a node's neighbour sends topic messages by
 * hand, outside its own machines; exact attributes and counts.
 */
import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from '../src/mesh/payload.js';
import { topicIdOf } from '../src/mesh/topic-id.js';
import { encodeEnvelope } from '../src/protocol/codec.js';
import { messageIdOf } from '../src/protocol/message-id.js';
import { MESSAGE_TAG } from '../src/protocol/messages.js';
import { MESH, meshWorld } from './support/mesh-world.js';

const utf8 = new TextEncoder();

/** a and b neighbours on MESH (b joined through a), with traces on. */
function pair() {
  const w = meshWorld({ trace: true });
  const a = w.node('a');
  const b = w.node('b', { seeds: ['a'] });
  w.runTo(1_000);
  return { w, a, b };
}

const probeBytes = (probeId: string, origin: string): Uint8Array => encodePayload({ kind: 'probe', probe: { probeId, origin } });

describe('mesh node: probes', () => {
  it('a probe is announced with its id and size, and delivered to the other node with origin, sender and hop', () => {
    const { w, a, b } = pair();
    a.app.broadcastProbe(MESH, 'p1');
    a.app.broadcastProbe('mesh-z', 'p2'); // a topic a never joined: nothing
    w.runTo(2_000);
    const content = probeBytes('p1', a.id);
    expect(w.spans('mesh.probe.sent', a)).toEqual([{ topic: MESH, probeId: 'p1', messageId: messageIdOf(content), sizeBytes: content.length }]);
    expect(w.spans('mesh.probe.delivered', b)).toEqual([{ topic: MESH, probeId: 'p1', origin: a.id, from: a.id, hop: 1 }]);
    expect(w.spans('mesh.gossip.received', b).filter((s) => s.kind === 'probe')).toEqual([{ topic: MESH, from: a.id, origin: a.id, kind: 'probe' }]);
    const probeBroadcast = w.telemetry.records.filter((r) => r.name === 'mesh.gossip.broadcast' && r.node === 'a' && r.startMs === 1_000);
    expect(probeBroadcast.map((r) => r.attrs)).toEqual([{ topic: MESH, sizeBytes: content.length }]); // the digests go at 2 s
    const traced = w.telemetry.records.filter((r) => r.name === 'mesh.gossip.broadcast' || r.name === 'mesh.gossip.received');
    expect(new Set(traced.map((r) => r.level))).toEqual(new Set(['trace']));
    expect(w.spans('mesh.probe.delivered', a)).toEqual([]); // its own broadcast is no delivery
    expect([b.app.duplicateDeliveries, b.app.foreignPayloads]).toEqual([0, 0]);
  });

  it('with tracing off, broadcasts and receipts leave no span', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    a.app.broadcastProbe(MESH, 'p1');
    w.runTo(5_000);
    expect(w.spans('mesh.probe.delivered', b)).toHaveLength(1);
    const names = new Set(w.telemetry.records.map((r) => r.name));
    expect([names.has('mesh.gossip.broadcast'), names.has('mesh.gossip.received')]).toEqual([false, false]);
    expect(w.telemetry.records.filter((r) => r.level === 'trace')).toEqual([]);
  });

  it('a probe is padded to the size asked for, and stays bare when the pad and its header would not fit', () => {
    const { w, a } = pair();
    const bare = probeBytes('p', a.id).length;
    a.app.broadcastProbe(MESH, 'p', bare + 2); // pad 0: bare
    a.app.broadcastProbe(MESH, 'q', bare + 3); // pad 1 with a 1-byte header: one byte short of the size
    a.app.broadcastProbe(MESH, 'r', 300); // pad ≥ 128 with a 2-byte header: exactly the size
    const sent = w.spans('mesh.probe.sent', a);
    expect(sent.map((s) => s.sizeBytes)).toEqual([bare, bare + 2, 300]);
    const r = encodePayload({ kind: 'probe', probe: { probeId: 'r', origin: a.id, padBytes: 300 - bare - 2 } });
    expect(sent[2].messageId).toBe(messageIdOf(r));
    expect(decodePayload(r)).toEqual({ kind: 'probe', probe: { probeId: 'r', origin: a.id, padBytes: 300 - bare - 2 } });
  });

  it('an oversize probe is rejected by Plumtree with a span', () => {
    const { w, a } = pair();
    a.app.broadcastProbe(MESH, 'big', 5_000);
    expect(w.spans('mesh.gossip.rejected', a)).toEqual([{ topic: MESH, reason: 'message of 5000 bytes exceeds 4096' }]);
  });
});

describe('mesh node: delivery records', () => {
  it('a payload delivered again after Plumtree forgot its id is a duplicate, until the node forgets it too', () => {
    const { w, a, b } = pair();
    const content = probeBytes('p1', a.id);
    const id = messageIdOf(content);
    const gossip = { type: 'Gossip', id, round: 0, content } as const;
    w.sendRaw(a, b, gossip);
    w.runTo(2_000);
    const rt = b.app.topics.get(topicIdOf(MESH))!;
    const ledger = b.app.deliveries;
    const firstAt = ledger.lastDeliveryMs(id)!;
    expect(firstAt).toBeGreaterThan(1_000);
    w.runTo(firstAt + 100_000); // Plumtree keeps ids 90 s; the node keeps deliveries 120 s
    w.sendRaw(a, b, gossip);
    w.runTo(firstAt + 101_000);
    expect(b.app.duplicateDeliveries).toBe(1);
    const secondAt = ledger.lastDeliveryMs(id)!;
    w.runTo(secondAt + 125_000); // past 120 s and a pruner tick (every 5 s)
    expect(ledger.delivered(rt.reader, id)).toBe(false);
    w.sendRaw(a, b, gossip);
    w.runTo(secondAt + 126_000);
    expect(b.app.duplicateDeliveries).toBe(1);
    expect(w.spans('mesh.probe.delivered', b)).toHaveLength(3);
  });

  it("the node's pruner tick forgets deliveries older than 120 s and keeps the rest, in both profiles", () => {
    for (const profile of ['full', 'protocol'] as const) {
      const w = meshWorld();
      const a = w.node('a', { config: { profile } });
      const ledger = a.app.deliveries;
      const reader = a.app.topics.get(topicIdOf(MESH))!.reader;
      ledger.record(reader, 'old', 4_000);
      ledger.record(reader, 'edge', 5_000);
      ledger.record(reader, 'young', 6_000);
      w.runTo(124_999);
      expect(['old', 'edge', 'young'].map((id) => ledger.delivered(reader, id))).toEqual([true, true, true]); // the tick at 120 s found none older than 120 s
      w.runTo(125_000);
      expect(['old', 'edge', 'young'].map((id) => ledger.delivered(reader, id))).toEqual([false, true, true]); // exactly 120 s old is kept
      w.runTo(130_000);
      expect(ledger.size).toBe(0);
    }
  });

  it('nodes sharing a ledger keep their records apart, and a restarted node starts with none', () => {
    const w = meshWorld();
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'] });
    w.runTo(1_000);
    expect(b.app.deliveries).toBe(a.app.deliveries); // the world's nodes share one ledger, as a cluster's do
    a.app.broadcastProbe(MESH, 'p1');
    w.runTo(2_000);
    const id = w.spans('mesh.probe.sent', a)[0].messageId as string;
    const readerOf = (n: typeof a) => n.app.topics.get(topicIdOf(MESH))!.reader;
    expect([a.app.deliveries.delivered(readerOf(a), id), b.app.deliveries.delivered(readerOf(b), id)]).toEqual([false, true]); // own broadcast is no delivery
    const before = readerOf(b);
    b.host.kill('crash');
    b.host.start();
    w.runTo(3_000);
    expect(readerOf(b)).not.toBe(before);
    expect(b.app.deliveries.delivered(readerOf(b), id)).toBe(false);
    const content = probeBytes('p1', a.id);
    w.sendRaw(a, b, { type: 'Gossip', id, round: 0, content });
    w.runTo(4_000);
    expect(b.app.deliveries.delivered(readerOf(b), id)).toBe(true); // the new incarnation delivered it…
    expect(b.app.duplicateDeliveries).toBe(0); // …as its first delivery
    w.sendRaw(a, b, { type: 'Gossip', id, round: 0, content });
    w.runTo(5_000);
    expect(b.app.duplicateDeliveries).toBe(0); // Plumtree drops the repeat before the node sees it
  });

  it('bytes that are no payload are foreign: counted and traced with an empty origin', () => {
    const { w, a, b } = pair();
    const content = utf8.encode('not a mesh payload');
    const tallied: string[] = [];
    w.telemetry.listenTally('mesh.gossip.payload_received', (key) => tallied.push(key));
    w.sendRaw(a, b, { type: 'Gossip', id: messageIdOf(content), round: 0, content });
    w.sendRaw(a, b, { type: 'IHave', entries: [{ id: messageIdOf(utf8.encode('other')), round: 1 }] });
    w.runTo(1_500); // before the digests of 2 s
    expect(tallied).toEqual([messageIdOf(content)]); // Gossip payloads only, not the IHave
    expect(b.app.foreignPayloads).toBe(1);
    expect(w.spans('mesh.gossip.received', b).filter((s) => s.kind === 'foreign')).toEqual([{ topic: MESH, from: a.id, origin: '', kind: 'foreign' }]);
    expect(w.spans('mesh.probe.delivered', b)).toEqual([]);
  });

  it('an envelope that does not decode is a span naming the peer; the connection stays', () => {
    const { w, a, b } = pair();
    const join = encodeEnvelope({ topic: topicIdOf(MESH), message: { type: 'Join' } });
    // A Join frame (tag, LEB128 length 1) whose 32-byte topic is one byte long: framed fine, no envelope.
    a.app.peers.send(b.id, Uint8Array.of(join[0], 1, 0));
    w.runTo(2_000);
    expect(w.spans('mesh.frame.decode_failed', b)).toEqual([{ error: 'BadPayload{Join: topic: need 32 bytes, 1 left}', peerId: a.id }]);
    expect(b.app.peers.connectedPeers()).toEqual([a.id]);
  });
});

describe('mesh node: Plumtree effects', () => {
  it('Plumtree traffic from a peer outside the active view is answered with Disconnect, unless disableOneSidedRepair', () => {
    for (const repair of [true, false]) {
      const w = meshWorld();
      const a = w.node('a', { variant: { disableOneSidedRepair: !repair } });
      const c = w.node('c');
      const content = probeBytes('stray', c.id);
      w.sendRaw(c, a, { type: 'Gossip', id: messageIdOf(content), round: 0, content });
      w.runTo(1_000);
      expect(a.app.topicState(MESH)!.repairOneSidedLinks).toBe(repair);
      expect(a.app.peers.traffic.framesSent[MESSAGE_TAG.Disconnect]).toBe(repair ? 1 : 0);
    }
  });

  it('a Gossip received twice from an eager peer is answered with a Prune span', () => {
    const { w, a, b } = pair();
    const content = probeBytes('twice', a.id);
    const gossip = { type: 'Gossip', id: messageIdOf(content), round: 0, content } as const;
    w.sendRaw(a, b, gossip);
    w.sendRaw(a, b, gossip);
    w.runTo(2_000);
    expect(w.spans('mesh.plumtree.prune', b)).toEqual([{ topic: MESH, peerId: a.id }]);
    expect(w.spans('mesh.plumtree.graft', b)).toEqual([]);
  });

  it('an IHave nobody serves is grafted once, then given up: a span and a count', () => {
    const { w, a, b } = pair();
    const id = messageIdOf(utf8.encode('announced, never sent'));
    w.sendRaw(a, b, { type: 'IHave', entries: [{ id, round: 1 }] });
    w.runTo(3_000);
    expect(w.spans('mesh.plumtree.graft', b)).toEqual([{ topic: MESH, peerId: a.id }]);
    expect(w.spans('mesh.plumtree.gave_up', b)).toEqual([{ topic: MESH, messageId: id, reason: 'advertisers-exhausted' }]);
    expect(b.app.messagesGivenUp).toBe(1);
    expect(a.app.messagesGivenUp).toBe(0);
  });
});
