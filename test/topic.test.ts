/**
 * Topic (HyParView feeding Plumtree). Goal: membership changes drive Plumtree's peer sets, and
 * a link only one side still holds is repaired: Plumtree traffic from a peer outside the active
 * view is answered with Disconnect, which drops the stale entry at the sender.
 * Method: two topic machines driven by hand with a test Rng.
 */
import { describe, expect, it } from 'vitest';
import { activeView } from '../src/protocol/hyparview.js';
import { eagerPeers } from '../src/protocol/plumtree.js';
import { createTopic, handleTopic, type TopicEffect } from '../src/protocol/topic.js';
import { createTestRng } from './support/test-rng.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const TOPIC = 'c'.repeat(64);

function sends(effects: readonly TopicEffect[], to: string): string[] {
  return effects.flatMap((e) => (e.kind === 'send' && e.to === to ? [e.message.type] : []));
}

describe('topic', () => {
  it('a new active neighbour becomes a Plumtree eager peer', () => {
    const rng = createTestRng(1);
    const a = createTopic(TOPIC, A);
    const effects = handleTopic(a, { kind: 'message', from: B, message: { type: 'Join' } }, 0, rng);
    expect(activeView(a.hyparview)).toEqual([B]);
    expect(eagerPeers(a.plumtree)).toEqual([B]);
    expect(effects.some((e) => e.kind === 'neighborUp' && e.peer === B)).toBe(true);
  });

  it('repairs a one-sided link: traffic from a non-neighbour is answered with Disconnect', () => {
    const rng = createTestRng(2);
    const a = createTopic(TOPIC, A); // A still believes B is its neighbour ...
    handleTopic(a, { kind: 'message', from: B, message: { type: 'Join' } }, 0, rng);
    const b = createTopic(TOPIC, B); // ... while B (say, restarted) does not know A.
    const gossip = { type: 'IHave' as const, entries: [{ id: 'd'.repeat(64), round: 0 }] };
    const reply = handleTopic(b, { kind: 'message', from: A, message: gossip }, 10, rng);
    expect(sends(reply, A)).toEqual(['Disconnect']);
    const disconnect = reply.find((e) => e.kind === 'send' && e.to === A)!;
    if (disconnect.kind !== 'send') throw new Error('unreachable');
    const after = handleTopic(a, { kind: 'message', from: B, message: disconnect.message }, 20, rng);
    expect(activeView(a.hyparview)).toEqual([]);
    expect(after.some((e) => e.kind === 'neighborDown' && e.peer === B)).toBe(true);
  });

  it('leaves one-sided links alone when the repair is switched off (test doubles)', () => {
    const rng = createTestRng(3);
    const b = createTopic(TOPIC, B, { repairOneSidedLinks: false });
    const reply = handleTopic(b, { kind: 'message', from: A, message: { type: 'Prune' } }, 10, rng);
    expect(sends(reply, A)).toEqual([]);
  });
});
