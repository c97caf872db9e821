/**
 * HyParView handlers, effect by effect. Goal: each handler's exact effects in the cases the
 * cluster tests reach only by chance — a node that left ignores everything until it joins again
 * (and then re-arms its Shuffle timer); messages from itself are dropped; a repeated Join renews
 * the link without a second neighborUp; a ForwardJoin walks on only through a neighbour other
 * than its sender and joiner; replies and Disconnects to and from peers in each state (active,
 * pending, passive, released, unknown) change the views and release connections as the header
 * of hyparview.ts says; the Shuffle walk ends at ttl 0 or without another neighbour, and only
 * unneeded peers are released. Method: one state machine fed event by event (hvNodeId ids, a
 * seeded Rng), with the full effect list compared where order and completeness matter; walks
 * that depend on a random choice are repeated over many seeds.
 */
import { describe, expect, it } from 'vitest';
import type { HyParViewConfig, HyParViewEffect, HyParViewEvent } from '../src/protocol/hyparview-types.js';
import { sampleView } from '../src/protocol/hyparview-views.js';
import { WITHDRAWN_MAX } from '../src/protocol/hyparview-state.js';
import type { HyParViewMessage, NodeId } from '../src/protocol/messages.js';
import { activeView, createHyParView, handleHyParView, passiveView, type HyParViewState } from '../src/protocol/hyparview.js';
import { hvNodeId as id } from './support/hv-cluster.js';
import { createTestRng } from './support/test-rng.js';

const SELF = id(0);

/** One state machine; `feed` runs an event at time 0, or at `atMs` (never earlier than the last). */
function node(
  config: Partial<HyParViewConfig> = {},
  seed = 'handlers',
): { state: HyParViewState; feed: (event: HyParViewEvent, atMs?: number) => HyParViewEffect[] } {
  const state = createHyParView(SELF, config);
  const rng = createTestRng(seed);
  return { state, feed: (event, atMs = state.lastNowMs) => handleHyParView(state, event, atMs, rng) };
}

const msg = (from: NodeId, message: HyParViewMessage): HyParViewEvent => ({ kind: 'message', from, message });
const send = (to: NodeId, message: HyParViewMessage): HyParViewEffect => ({ kind: 'send', to, message });
const sendsOf = (effects: readonly HyParViewEffect[]): HyParViewEffect[] => effects.filter((e) => e.kind === 'send');

/** A node whose active view holds `active` (each accepted through Neighbor{high}) and passive view `passive`. */
function withViews(active: readonly number[], passive: readonly number[], config: Partial<HyParViewConfig> = {}, seed?: string) {
  const n = node({ activeViewCapacity: Math.max(active.length, 1), ...config }, seed);
  for (const a of active) n.feed(msg(id(a), { type: 'Neighbor', priority: 'high' }));
  if (passive.length > 0) n.feed(msg(id(99), { type: 'ShuffleReply', nodes: passive.map(id) }));
  n.state.releasedPeers.clear(); // the ShuffleReply released its sender, which is not part of the fixture
  expect(activeView(n.state)).toEqual(active.map(id));
  expect(passiveView(n.state)).toEqual(passive.map(id));
  return n;
}

describe('leaving and joining again', () => {
  it('a node that left ignores messages and timers; a new join re-arms the Shuffle timer', () => {
    const { state, feed } = node();
    expect(feed({ kind: 'join', contacts: [id(1)] })).toEqual([
      send(id(1), { type: 'Join' }),
      { kind: 'timer', delayMs: 60_000, timer: { type: 'Shuffle' } },
    ]);
    feed(msg(id(2), { type: 'Neighbor', priority: 'high' }));
    expect(feed({ kind: 'quit' })).toEqual([
      send(id(2), { type: 'Disconnect', alive: false }),
      { kind: 'neighborDown', peer: id(2), cause: 'quit' },
      { kind: 'disconnect', peer: id(2) },
    ]);
    expect(feed(msg(id(3), { type: 'Join' }))).toEqual([]);
    expect(feed({ kind: 'peerDown', peer: id(1) })).toEqual([]);
    expect(feed({ kind: 'timer', timer: { type: 'Shuffle' } })).toEqual([]);
    expect(activeView(state)).toEqual([]);
    // The Shuffle timer that came back while away is not re-armed, so the next join arms it again.
    expect(feed({ kind: 'join', contacts: [id(1)] })).toEqual([
      send(id(1), { type: 'Join' }),
      { kind: 'timer', delayMs: 60_000, timer: { type: 'Shuffle' } },
    ]);
    expect(feed(msg(id(3), { type: 'Join' }))).toContainEqual({ kind: 'neighborUp', peer: id(3) });
  });

  it('quit also tells and releases the peers of pending Neighbor requests (they may have accepted already)', () => {
    const { state, feed } = withViews([], [5], { activeViewCapacity: 2 });
    feed({ kind: 'timer', timer: { type: 'Shuffle' } });
    expect([...state.pendingNeighbor.keys()]).toEqual([id(5)]);
    expect(feed({ kind: 'quit' })).toEqual([
      send(id(5), { type: 'Disconnect', alive: false }),
      { kind: 'disconnect', peer: id(5) },
      { kind: 'cancelTimer', timer: { type: 'NeighborTimeout' } },
    ]);
    expect(state.pendingNeighbor.size).toBe(0);
  });

  it('messages and peerDowns naming the node itself are dropped', () => {
    const { state, feed } = withViews([1], [5]);
    for (const message of [{ type: 'Join' }, { type: 'Neighbor', priority: 'high' }, { type: 'Disconnect', alive: false }] as const) {
      expect(feed(msg(SELF, message))).toEqual([]);
    }
    expect(feed({ kind: 'peerDown', peer: SELF })).toEqual([]);
    expect(activeView(state)).toEqual([id(1)]);
  });

  it('activeView and passiveView are copies', () => {
    const { state } = withViews([1], [5]);
    (activeView(state) as NodeId[]).push(id(7));
    (passiveView(state) as NodeId[]).push(id(7));
    expect(activeView(state)).toEqual([id(1)]);
    expect(passiveView(state)).toEqual([id(5)]);
  });
});

describe('Join and ForwardJoin', () => {
  it('a repeated Join renews with Neighbor{high} and walks on, without a second neighborUp', () => {
    const { feed } = withViews([1, 2], [], { activeViewCapacity: 3 });
    expect(feed(msg(id(3), { type: 'Join' }))).toEqual([
      send(id(3), { type: 'Neighbor', priority: 'high' }),
      { kind: 'neighborUp', peer: id(3) },
      send(id(1), { type: 'ForwardJoin', peer: id(3), ttl: 6 }),
      send(id(2), { type: 'ForwardJoin', peer: id(3), ttl: 6 }),
    ]);
    expect(feed(msg(id(3), { type: 'Join' }))).toEqual([
      send(id(3), { type: 'Neighbor', priority: 'high' }),
      send(id(1), { type: 'ForwardJoin', peer: id(3), ttl: 6 }),
      send(id(2), { type: 'ForwardJoin', peer: id(3), ttl: 6 }),
    ]);
  });

  it('a ForwardJoin for the node itself does nothing; for an active joiner it renews', () => {
    const { feed } = withViews([1, 2], []);
    expect(feed(msg(id(1), { type: 'ForwardJoin', peer: SELF, ttl: 3 }))).toEqual([]);
    expect(feed(msg(id(1), { type: 'ForwardJoin', peer: id(2), ttl: 3 }))).toEqual([send(id(2), { type: 'Neighbor', priority: 'high' })]);
  });

  it('with one neighbour that is not the sender, the joiner is taken at once (not walked on)', () => {
    const { state, feed } = withViews([2], [], { activeViewCapacity: 3 });
    expect(feed(msg(id(3), { type: 'ForwardJoin', peer: id(4), ttl: 5 }))).toEqual([
      send(id(4), { type: 'Neighbor', priority: 'high' }),
      { kind: 'neighborUp', peer: id(4) },
    ]);
    expect(activeView(state)).toEqual([id(2), id(4)]);
  });

  it('the walk never goes back to its sender or to the joiner', () => {
    for (let seed = 0; seed < 24; seed++) {
      const { feed } = withViews([1, 2, 3], [], { activeViewCapacity: 5 }, `walk-${seed}`);
      feed(msg(id(4), { type: 'Neighbor', priority: 'high' }));
      const effects = feed(msg(id(1), { type: 'ForwardJoin', peer: id(8), ttl: 4 }));
      const targets = sendsOf(effects).map((e) => (e.kind === 'send' ? e.to : ''));
      expect(targets).toHaveLength(1);
      expect([id(2), id(3), id(4)]).toContain(targets[0]);
    }
  });
});

describe('Neighbor and NeighborReply', () => {
  it('a Neighbor from an active peer is accepted even when full, with nothing else', () => {
    const { feed } = withViews([1], [5]);
    expect(feed(msg(id(1), { type: 'Neighbor', priority: 'low' }))).toEqual([send(id(1), { type: 'NeighborReply', accepted: true })]);
  });

  it('a refused asker gets peers, the refusal, a passive entry and a released connection', () => {
    const { state, feed } = withViews([1], []);
    expect(feed(msg(id(2), { type: 'Neighbor', priority: 'low' }))).toEqual([
      send(id(2), { type: 'ShuffleReply', nodes: [id(1)] }),
      send(id(2), { type: 'NeighborReply', accepted: false }),
      { kind: 'disconnect', peer: id(2) },
    ]);
    expect(passiveView(state)).toEqual([id(2)]);
    // Its connection close was asked for: the peerDown that follows keeps it passive.
    expect(feed({ kind: 'peerDown', peer: id(2) })).toEqual([]);
    expect(passiveView(state)).toEqual([id(2)]);
    // A passive peer that was not released and goes down is forgotten.
    state.passive.push(id(6));
    expect(feed({ kind: 'peerDown', peer: id(6) })).toEqual([]);
    expect(passiveView(state)).toEqual([id(2)]);
  });

  it('a refused asker we already know passively is not offered its own id', () => {
    const { feed } = withViews([1], [2, 3]);
    const refused = feed(msg(id(2), { type: 'Neighbor', priority: 'low' }));
    const offer = refused.find((e) => e.kind === 'send' && e.message.type === 'ShuffleReply');
    expect(offer?.kind === 'send' && offer.message.type === 'ShuffleReply' && [...offer.message.nodes].sort()).toEqual([id(1), id(3)].sort());
  });

  it('a refused asker is offered at most ka + kp peers, the one turned away before it first, never itself', () => {
    const { state, feed } = withViews([1, 2], Array.from({ length: 20 }, (_, i) => 10 + i));
    const offered = (from: number): readonly NodeId[] => {
      const reply = feed(msg(id(from), { type: 'Neighbor', priority: 'low' })).find((e) => e.kind === 'send' && e.message.type === 'ShuffleReply');
      return reply?.kind === 'send' && reply.message.type === 'ShuffleReply' ? reply.message.nodes : [];
    };
    const k = state.config.shuffleActiveViewCount + state.config.shufflePassiveViewCount;
    const first = offered(50);
    expect(first).toHaveLength(k);
    expect(first).not.toContain(id(50));
    const second = offered(51);
    expect(second).toHaveLength(k);
    expect(second[0]).toBe(id(50)); // the introduction
    expect(second).not.toContain(id(51));
    expect(new Set(second).size).toBe(k);
  });

  it('evicting the only neighbour for a high-priority asker offers no empty ShuffleReply', () => {
    const { state, feed } = withViews([1], []);
    expect(feed(msg(id(2), { type: 'Neighbor', priority: 'high' }))).toEqual([
      send(id(1), { type: 'Disconnect', alive: true }),
      { kind: 'neighborDown', peer: id(1), cause: 'evicted' },
      { kind: 'disconnect', peer: id(1) },
      { kind: 'neighborUp', peer: id(2) },
      send(id(2), { type: 'NeighborReply', accepted: true }),
    ]);
    expect(passiveView(state)).toEqual([id(1)]);
    expect(feed({ kind: 'peerDown', peer: id(1) })).toEqual([]);
    expect(passiveView(state)).toEqual([id(1)]);
  });

  it('an accepted reply that finds the view full is answered with Disconnect{alive} and released', () => {
    const { state, feed } = withViews([], [5]);
    feed({ kind: 'timer', timer: { type: 'Shuffle' } });
    expect([...state.pendingNeighbor.keys()]).toEqual([id(5)]);
    feed(msg(id(3), { type: 'Neighbor', priority: 'high' }));
    expect(activeView(state)).toEqual([id(3)]);
    expect(feed(msg(id(5), { type: 'NeighborReply', accepted: true }))).toEqual([
      send(id(5), { type: 'Disconnect', alive: true }),
      { kind: 'disconnect', peer: id(5) },
      { kind: 'cancelTimer', timer: { type: 'NeighborTimeout' } }, // its request was the last in flight
    ]);
    expect(activeView(state)).toEqual([id(3)]);
    expect(passiveView(state)).toEqual([id(5)]);
  });

  it('an accept of a Neighbor sent before we evicted the peer is stale: the peer has let us go', () => {
    // We put 2 in on our own initiative (Neighbor{high} out), then evict it for 3 before its
    // accept comes back; 2 read our Neighbor, then our Disconnect, and holds us no more.
    const { state, feed } = withViews([1], [], { activeViewCapacity: 1 });
    feed(msg(id(1), { type: 'Disconnect', alive: true }));
    feed(msg(id(2), { type: 'ForwardJoin', peer: id(2), ttl: 0 }));
    expect(activeView(state)).toEqual([id(2)]);
    feed(msg(id(3), { type: 'Neighbor', priority: 'high' }));
    expect(activeView(state)).toEqual([id(3)]);
    expect(feed(msg(id(2), { type: 'NeighborReply', accepted: true }))).toEqual([]);
    expect(activeView(state)).toEqual([id(3)]);
    expect(passiveView(state)).toContain(id(2));
  });

  it('an accept from a peer we evicted and then asked again is current, even after its request timed out', () => {
    const { state, feed } = withViews([1], [], { activeViewCapacity: 1 });
    feed(msg(id(1), { type: 'Disconnect', alive: false }));
    feed(msg(id(2), { type: 'ForwardJoin', peer: id(2), ttl: 0 }));
    feed(msg(id(3), { type: 'Neighbor', priority: 'high' }));
    feed(msg(id(2), { type: 'NeighborReply', accepted: true })); // the stale one
    expect(passiveView(state)).toEqual([id(2)]);
    // 3 leaves: the refill asks 2, its only candidate, and the request times out.
    const effects = feed(msg(id(3), { type: 'Disconnect', alive: false }));
    expect(sendsOf(effects)).toEqual([send(id(2), { type: 'Neighbor', priority: 'high' })]);
    const timer = effects.find((e) => e.kind === 'timer' && e.timer.type === 'NeighborTimeout');
    expect(timer?.kind === 'timer' && feed({ kind: 'timer', timer: timer.timer }, timer.delayMs)).toContainEqual({ kind: 'disconnect', peer: id(2) });
    expect(state.pendingNeighbor.size).toBe(0);
    // Its late accept answers the request we sent after the eviction: 2 holds us, so we take it.
    expect(feed(msg(id(2), { type: 'NeighborReply', accepted: true }))).toContainEqual({ kind: 'neighborUp', peer: id(2) });
    expect(activeView(state)).toEqual([id(2)]);
  });

  it('the evicted peers remembered for a stale accept are bounded, the oldest let go first', () => {
    const { state, feed } = withViews([1], [], { activeViewCapacity: 1, passiveViewCapacity: 200 });
    // Each Neighbor{high} evicts the one before it: 1, 2, …, WITHDRAWN_MAX + 1 are evicted in turn.
    for (let p = 2; p <= WITHDRAWN_MAX + 2; p++) feed(msg(id(p), { type: 'Neighbor', priority: 'high' }));
    expect(state.withdrawn).toHaveLength(WITHDRAWN_MAX);
    expect(state.withdrawn[0]).toBe(id(2));
    expect(state.withdrawn).not.toContain(id(1));
    expect(state.withdrawn.at(-1)).toBe(id(WITHDRAWN_MAX + 1));
  });

  it('a refusal that arrives after its request timed out changes nothing', () => {
    const { state, feed } = withViews([], [5]);
    const timers = feed({ kind: 'timer', timer: { type: 'Shuffle' } }).filter((e) => e.kind === 'timer' && e.timer.type === 'NeighborTimeout');
    const timer = timers[0]!;
    expect(timer.kind === 'timer' && feed({ kind: 'timer', timer: timer.timer }, timer.delayMs)).toEqual([{ kind: 'disconnect', peer: id(5) }]);
    expect(feed(msg(id(5), { type: 'NeighborReply', accepted: false }))).toEqual([]);
    expect(passiveView(state)).toEqual([]);
  });

  it('a refusal asks the next untried candidate, not the refuser again', () => {
    for (let seed = 0; seed < 12; seed++) {
      const { state, feed } = withViews([], [5, 6], {}, `refuse-${seed}`);
      feed({ kind: 'timer', timer: { type: 'Shuffle' } });
      const first = [...state.pendingNeighbor.keys()][0]!;
      const effects = feed(msg(first, { type: 'NeighborReply', accepted: false }));
      const asked = sendsOf(effects).filter((e) => e.kind === 'send' && e.message.type === 'Neighbor').map((e) => (e.kind === 'send' ? e.to : ''));
      expect(asked).toEqual([first === id(5) ? id(6) : id(5)]);
      const second = asked[0]!;
      // The second refuses too: the round is over, nobody is asked.
      expect(sendsOf(feed(msg(second, { type: 'NeighborReply', accepted: false })))).toEqual([]);
    }
  });
});

describe('Disconnect', () => {
  it('Disconnect{alive} from a non-neighbour keeps it passive through its close, and refills nothing', () => {
    const { state, feed } = withViews([], []);
    expect(feed(msg(id(4), { type: 'Disconnect', alive: true }))).toEqual([]);
    expect(passiveView(state)).toEqual([id(4)]);
    expect(feed({ kind: 'peerDown', peer: id(4) })).toEqual([]);
    expect(passiveView(state)).toEqual([id(4)]);
  });

  it('Disconnect{alive:false} from a passive peer forgets it', () => {
    const { state, feed } = withViews([1], [4, 5]);
    expect(feed(msg(id(4), { type: 'Disconnect', alive: false }))).toEqual([]);
    expect(passiveView(state)).toEqual([id(5)]);
  });
});

describe('Shuffle', () => {
  it('the Shuffle timer re-arms first; without neighbours no Shuffle is sent', () => {
    const { feed } = withViews([], [], { activeViewCapacity: 2 });
    expect(feed({ kind: 'timer', timer: { type: 'Shuffle' } })).toEqual([{ kind: 'timer', delayMs: 60_000, timer: { type: 'Shuffle' } }]);
  });

  it('a Shuffle of its own origin is dropped', () => {
    const { feed } = withViews([1, 2], [5]);
    expect(feed(msg(id(1), { type: 'Shuffle', origin: SELF, ttl: 3, nodes: [SELF] }))).toEqual([]);
  });

  it('at ttl 0, or with no neighbour but the sender, the walk ends with a ShuffleReply to the origin', () => {
    const atZero = withViews([1, 2], []);
    expect(sendsOf(atZero.feed(msg(id(1), { type: 'Shuffle', origin: id(7), ttl: 0, nodes: [id(7)] })))).toEqual([send(id(7), { type: 'ShuffleReply', nodes: [] })]);
    const lone = withViews([2], []);
    expect(sendsOf(lone.feed(msg(id(1), { type: 'Shuffle', origin: id(7), ttl: 3, nodes: [id(7)] })))).toEqual([send(id(7), { type: 'ShuffleReply', nodes: [] })]);
  });

  it('the origin is released after the reply unless it is a neighbour', () => {
    const stranger = withViews([1, 2], []);
    expect(stranger.feed(msg(id(1), { type: 'Shuffle', origin: id(7), ttl: 0, nodes: [id(7), id(8)] }))).toEqual([
      send(id(7), { type: 'ShuffleReply', nodes: [] }),
      { kind: 'disconnect', peer: id(7) },
    ]);
    expect(passiveView(stranger.state)).toEqual([id(7), id(8)]);
    const neighbour = withViews([1, 2], []);
    expect(neighbour.feed(msg(id(1), { type: 'Shuffle', origin: id(2), ttl: 0, nodes: [id(2), id(8)] }))).toEqual([
      send(id(2), { type: 'ShuffleReply', nodes: [] }),
    ]);
  });

  it('a ShuffleReply releases its sender unless it is a neighbour', () => {
    const { feed } = withViews([1], []);
    expect(feed(msg(id(9), { type: 'ShuffleReply', nodes: [id(6)] }))).toEqual([{ kind: 'disconnect', peer: id(9) }]);
    expect(feed(msg(id(1), { type: 'ShuffleReply', nodes: [id(7)] }))).toEqual([]);
  });

  it('the walk goes on through a neighbour other than its sender and origin', () => {
    for (let seed = 0; seed < 24; seed++) {
      const { feed } = withViews([1, 2, 3], [], {}, `shuffle-${seed}`);
      const effects = feed(msg(id(1), { type: 'Shuffle', origin: id(2), ttl: 2, nodes: [id(2)] }));
      expect(effects).toEqual([send(id(3), { type: 'Shuffle', origin: id(2), ttl: 1, nodes: [id(2)] })]);
    }
  });

  it('with no passive capacity, Shuffle ids are not kept', () => {
    const { state, feed } = node({ passiveViewCapacity: 0 });
    feed(msg(id(1), { type: 'ShuffleReply', nodes: [id(2), id(3)] }));
    expect(passiveView(state)).toEqual([]);
  });

  it('samples are random: different seeds pick different subsets', () => {
    const items = Array.from({ length: 10 }, (_, i) => id(i + 1));
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) seen.add(sampleView(createTestRng(`sample-${seed}`), items, 3).join());
    expect(seen.size).toBeGreaterThan(5);
  });
});

describe('configuration and clock checks', () => {
  it('rejects impossible configurations and accepts the boundary ones', () => {
    for (const bad of [{ activeViewCapacity: 0 }, { passiveViewCapacity: -1 }, { passiveRandomWalkLength: 7 }, { shuffleIntervalMs: 0 }, { neighborRequestTimeoutMs: 0 }]) {
      expect(() => createHyParView(SELF, bad), JSON.stringify(bad)).toThrow(/hyparview invariant violated/);
    }
    expect(() => createHyParView(SELF, { activeViewCapacity: 1, passiveViewCapacity: 0, passiveRandomWalkLength: 6, shuffleIntervalMs: 1, neighborRequestTimeoutMs: 1 })).not.toThrow();
  });

  it('time must not go backwards', () => {
    const state = createHyParView(SELF);
    const rng = createTestRng('clock');
    handleHyParView(state, { kind: 'join', contacts: [] }, 5, rng);
    handleHyParView(state, { kind: 'timer', timer: { type: 'Shuffle' } }, 5, rng);
    expect(() => handleHyParView(state, { kind: 'timer', timer: { type: 'Shuffle' } }, 4, rng)).toThrow(/time went backwards/);
  });
});

describe('refill rounds', () => {
  const asked = (effects: readonly HyParViewEffect[]): NodeId[] =>
    effects.flatMap((e) => (e.kind === 'send' && e.message.type === 'Neighbor' ? [e.to] : []));

  it('a timeout continues the round (earlier refusers are not asked again); the Shuffle timer starts a new one', () => {
    for (let seed = 0; seed < 16; seed++) {
      const { state, feed } = withViews([], [5, 6, 7], {}, `round-${seed}`);
      const tried: NodeId[] = [];
      let effects = feed({ kind: 'timer', timer: { type: 'Shuffle' } });
      tried.push(...asked(effects));
      effects = feed(msg(tried[0]!, { type: 'NeighborReply', accepted: false }));
      tried.push(...asked(effects));
      effects = feed({ kind: 'timer', timer: { type: 'NeighborTimeout' } }, state.pendingNeighbor.get(tried[1]!)!);
      const third = asked(effects);
      expect(third).toHaveLength(1);
      expect(tried).not.toContain(third[0]);
      // The third refuses too: the round is over until the Shuffle timer starts a new one.
      expect(asked(feed(msg(third[0]!, { type: 'NeighborReply', accepted: false })))).toEqual([]);
      expect(asked(feed({ kind: 'timer', timer: { type: 'Shuffle' } }))).toHaveLength(1);
    }
  });

  it('a released peer is kept passive through one close only; a later peerDown forgets it', () => {
    const { state, feed } = withViews([1], []);
    feed(msg(id(2), { type: 'Neighbor', priority: 'low' })); // refused and released
    expect(feed({ kind: 'peerDown', peer: id(2) })).toEqual([]);
    expect(passiveView(state)).toEqual([id(2)]);
    expect(feed({ kind: 'peerDown', peer: id(2) })).toEqual([]);
    expect(passiveView(state)).toEqual([]);
  });
});

describe('the Shuffle timer chain across leaving', () => {
  it('only the Shuffle timer coming back while away disarms it: a message or a Neighbor timer does not', () => {
    const { state, feed } = withViews([], [5], { activeViewCapacity: 2 });
    feed({ kind: 'join', contacts: [] }); // arms the chain
    const requests = feed({ kind: 'timer', timer: { type: 'Shuffle' } }).filter((e) => e.kind === 'timer' && e.timer.type === 'NeighborTimeout');
    feed({ kind: 'quit' });
    expect(feed(msg(id(3), { type: 'Join' }))).toEqual([]);
    const timeout = requests[0]!;
    expect(timeout.kind === 'timer' && feed({ kind: 'timer', timer: timeout.timer })).toEqual([]);
    // The Shuffle timer is still out: joining again must not arm a second chain.
    expect(feed({ kind: 'join', contacts: [id(1)] })).toEqual([send(id(1), { type: 'Join' })]);
    expect(state.shuffleTimerArmed).toBe(true);
  });
});

describe('the NeighborTimeout across leaving', () => {
  const TIMEOUT: HyParViewEvent = { kind: 'timer', timer: { type: 'NeighborTimeout' } };
  const timers = (effects: readonly HyParViewEffect[]): HyParViewEffect[] =>
    effects.filter((e) => e.kind === 'timer' && e.timer.type === 'NeighborTimeout');

  it('coming back while away disarms it, so the next request after a new join arms one again', () => {
    const { state, feed } = withViews([], [5, 6], { activeViewCapacity: 1 });
    feed({ kind: 'join', contacts: [] });
    expect(timers(feed({ kind: 'timer', timer: { type: 'Shuffle' } }))).toHaveLength(1);
    feed({ kind: 'quit' }, 100);
    expect(feed(TIMEOUT, 500)).toEqual([]);
    expect(state.neighborTimerDueMs).toBeNull();
    feed({ kind: 'join', contacts: [] }, 600);
    feed(msg(id(7), { type: 'ShuffleReply', nodes: [id(8)] }), 600);
    expect(timers(feed({ kind: 'timer', timer: { type: 'Shuffle' } }, 700))).toEqual([
      { kind: 'timer', delayMs: 500, timer: { type: 'NeighborTimeout' } },
    ]);
  });

  it('leaving cancels the timer; the first request after joining again arms its own, and the old one, should it still fire, changes nothing', () => {
    const { state, feed } = withViews([], [5, 6], { activeViewCapacity: 1 });
    feed({ kind: 'join', contacts: [] });
    feed({ kind: 'timer', timer: { type: 'Shuffle' } });
    expect(feed({ kind: 'quit' }, 100)).toContainEqual({ kind: 'cancelTimer', timer: { type: 'NeighborTimeout' } });
    feed({ kind: 'join', contacts: [] }, 200);
    feed(msg(id(7), { type: 'ShuffleReply', nodes: [id(8)] }), 200);
    const asked = feed({ kind: 'timer', timer: { type: 'Shuffle' } }, 300);
    expect(timers(asked)).toEqual([{ kind: 'timer', delayMs: 500, timer: { type: 'NeighborTimeout' } }]);
    const [peer] = asked.flatMap((e) => (e.kind === 'send' && e.message.type === 'Neighbor' ? [e.to] : []));
    expect(feed(TIMEOUT, 500)).toEqual([]); // the cancelled one, run late
    expect(state.neighborTimerDueMs).toBe(800);
    expect(feed(TIMEOUT, 800)).toContainEqual({ kind: 'disconnect', peer });
    expect(state.pendingNeighbor.has(peer!)).toBe(false);
  });
});
