/**
 * Plumtree never gives up on a message silently.
 *
 * Goal: a message known only through IHave is reported with a `gaveUp` effect when every
 * advertiser was grafted without an answer, or when the last advertiser went down, and only
 * then; the mesh node turns that effect into a `mesh.plumtree.gave_up` span and a counter.
 * Method: one machine fed events by hand for the exact effects; a 4-node cluster in which one
 * node's Grafts are never answered (its links to the advertisers are cut) for the node side.
 */
import { describe, expect, it } from 'vitest';
import { createPlumtree, handlePlumtree, messageIdOf } from '../src/protocol/plumtree.js';
import type { NodeId, PlumtreeMessage } from '../src/protocol/messages.js';
import type { PlumtreeEffect, PlumtreeEvent } from '../src/protocol/plumtree-types.js';
import { encodeEnvelope } from '../src/protocol/codec.js';
import { topicIdOf } from '../src/mesh/topic-id.js';
import { Cluster } from '../src/scenario/cluster.js';
import { SWARM_TOPOLOGY } from '../src/catalog/mesh-scenarios.js';
import { ptRng } from './support/pt-rng.js';

const rng = ptRng('plumtree-gave-up');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function machine(peers: NodeId[]) {
  const s = createPlumtree('x');
  for (const peer of peers) handlePlumtree(s, { kind: 'neighborUp', peer }, 0, rng);
  const at = (nowMs: number, event: PlumtreeEvent): PlumtreeEffect[] => handlePlumtree(s, event, nowMs, rng);
  const msg = (nowMs: number, from: NodeId, message: PlumtreeMessage) => at(nowMs, { kind: 'message', from, message });
  return { at, msg };
}

const gaveUp = (effects: PlumtreeEffect[]) => effects.filter((e) => e.kind === 'gaveUp');

describe('Plumtree give-up', () => {
  it('reports advertisers-exhausted once every advertiser was grafted in vain', () => {
    const { at, msg } = machine(['p', 'q']);
    const id = messageIdOf(bytes('never-comes'));
    msg(0, 'p', { type: 'IHave', entries: [{ id, round: 1 }] });
    msg(1, 'q', { type: 'IHave', entries: [{ id, round: 1 }] });
    const first = at(80, { kind: 'timer', timer: { type: 'SendGraft' } }); // Graft to p
    expect(gaveUp(first)).toEqual([]);
    const second = at(120, { kind: 'timer', timer: { type: 'SendGraft' } }); // Graft to q
    expect(gaveUp(second)).toEqual([]);
    const last = at(160, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(gaveUp(last)).toEqual([{ kind: 'gaveUp', id, reason: 'advertisers-exhausted' }]);
    // Nothing is left to give up on: a stale timer stays silent.
    expect(gaveUp(at(200, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([]);
  });

  it('reports advertisers-down when the last advertiser leaves, not before', () => {
    const { at, msg } = machine(['p', 'q', 'e']);
    const id = messageIdOf(bytes('orphan'));
    msg(0, 'p', { type: 'IHave', entries: [{ id, round: 1 }] });
    msg(1, 'q', { type: 'IHave', entries: [{ id, round: 1 }] });
    expect(gaveUp(at(10, { kind: 'neighborDown', peer: 'p' }))).toEqual([]);
    expect(gaveUp(at(11, { kind: 'neighborDown', peer: 'e' }))).toEqual([]); // not an advertiser
    expect(gaveUp(at(12, { kind: 'neighborDown', peer: 'q' }))).toEqual([{ kind: 'gaveUp', id, reason: 'advertisers-down' }]);
  });

  it('does not report a message that arrived in time', () => {
    const { at, msg } = machine(['p', 'e']);
    const content = bytes('in-time');
    const id = messageIdOf(content);
    msg(0, 'p', { type: 'IHave', entries: [{ id, round: 1 }] });
    msg(5, 'e', { type: 'Gossip', id, round: 1, content });
    expect(gaveUp(at(80, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([]);
    expect(gaveUp(at(90, { kind: 'neighborDown', peer: 'p' }))).toEqual([]);
  });
});

describe('mesh node: gave_up span and counter', () => {
  it('a Graft nobody answers ends in one mesh.plumtree.gave_up span and one count', () => {
    const cluster = new Cluster({ seed: 'gave-up', topology: SWARM_TOPOLOGY });
    cluster.boot();
    cluster.scheduler.runFor(10_000);
    const x = cluster.plans.find((p) => p.role === 'gateway')!;
    const app = cluster.app(x.nodeId)!;
    const advertiser = app.activeView('mesh-a')[0];
    expect(advertiser).toBeDefined();
    // The advertiser announces an id it never had: x's Graft goes unanswered.
    const id = messageIdOf(bytes('announced but never sent'));
    const frame = encodeEnvelope({ topic: topicIdOf('mesh-a'), message: { type: 'IHave', entries: [{ id, round: 1 }] } });
    cluster.app(advertiser)!.peers.send(x.nodeId, frame);
    cluster.scheduler.runFor(1_000);
    const spans = cluster.telemetry.query.find({ name: 'mesh.plumtree.gave_up', node: x.name });
    expect(spans.map((s) => s.attrs)).toEqual([{ topic: 'mesh-a', messageId: id, reason: 'advertisers-exhausted' }]);
    expect(app.messagesGivenUp).toBe(1);
    expect(cluster.telemetry.query.find({ name: 'mesh.plumtree.graft', node: x.name, attrs: { peerId: advertiser } }).length).toBeGreaterThan(0);
  });
});
