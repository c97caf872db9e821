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

describe('topic routing', () => {
  const C = 'd'.repeat(64);
  const shuffleTimer = { kind: 'timer', delayMs: 60_000, timer: { machine: 'hyparview', timer: { type: 'Shuffle' } } } as const;

  it('join, timers, peerDown, quit and broadcast reach their machine; timers say whose they are', () => {
    const rng = createTestRng(4);
    const a = createTopic(TOPIC, A);
    expect(handleTopic(a, { kind: 'join', contacts: [B] }, 0, rng)).toEqual([{ kind: 'send', to: B, message: { type: 'Join' } }, shuffleTimer]);
    expect(handleTopic(a, { kind: 'timer', timer: { machine: 'hyparview', timer: { type: 'Shuffle' } } }, 1, rng)[0]).toEqual(shuffleTimer);
    handleTopic(a, { kind: 'message', from: C, message: { type: 'Neighbor', priority: 'high' } }, 2, rng);
    const broadcast = handleTopic(a, { kind: 'broadcast', content: new TextEncoder().encode('hi') }, 3, rng);
    expect(broadcast.map((e) => e.kind)).toEqual(['deliver', 'send']);
    expect(handleTopic(a, { kind: 'timer', timer: { machine: 'plumtree', timer: { type: 'DispatchLazyPush' } } }, 1_002, rng)).toEqual([]); // nothing queued
    expect(handleTopic(a, { kind: 'peerDown', peer: C }, 1_003, rng)).toContainEqual({ kind: 'neighborDown', peer: C, cause: 'peer-down' });
    expect(eagerPeers(a.plumtree)).toEqual([]);
    handleTopic(a, { kind: 'message', from: C, message: { type: 'Neighbor', priority: 'high' } }, 1_004, rng);
    expect(handleTopic(a, { kind: 'quit' }, 1_005, rng)).toEqual([
      { kind: 'send', to: C, message: { type: 'Disconnect', alive: false } },
      { kind: 'neighborDown', peer: C, cause: 'quit' },
      { kind: 'disconnect', peer: C },
      { kind: 'send', to: B, message: { type: 'Disconnect', alive: false } }, // the refill after C went down had asked B, which may have taken A already
      { kind: 'disconnect', peer: B },
      { kind: 'cancelTimer', timer: { machine: 'hyparview', timer: { type: 'NeighborTimeout' } } }, // B's request is gone with it
    ]);
    expect(eagerPeers(a.plumtree)).toEqual([]);
  });

  it('the one-sided repair is a Disconnect that keeps the sender passive', () => {
    const rng = createTestRng(5);
    const b = createTopic(TOPIC, B);
    handleTopic(b, { kind: 'join', contacts: [] }, 0, rng);
    expect(handleTopic(b, { kind: 'message', from: A, message: { type: 'Prune' } }, 10, rng)).toEqual([
      { kind: 'send', to: A, message: { type: 'Disconnect', alive: true } },
    ]);
  });
});
