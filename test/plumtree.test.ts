/**
 * Plumtree state machine tests.
 *
 * Goal: show that broadcasts reach every node exactly once on several graphs, that duplicates
 * prune the eager graph into a spanning tree, that IHave → Graft repairs lost Gossip on the
 * paper's timers (80 ms, then 40 ms per further advertiser), that tree optimization fires at the
 * round threshold and not below, and that spoofed ids, oversize payloads and table growth are
 * handled. Method: single machines fed events by hand for exact effects, and a small in-memory
 * cluster (test/support/pt-cluster.ts) with a virtual clock for end-to-end behaviour.
 */
import { describe, expect, it } from 'vitest';
import {
  cacheSize,
  createPlumtree,
  eagerPeers,
  handlePlumtree,
  lazyPeers,
  messageIdOf,
  pendingGraftCount,
  receivedIdCount,
  type PlumtreeState,
} from '../src/protocol/plumtree.js';
import type { NodeId, PlumtreeMessage } from '../src/protocol/messages.js';
import type { PlumtreeEffect, PlumtreeEvent } from '../src/protocol/plumtree-types.js';
import { IHAVE_ENTRIES_MAX } from '../src/protocol/codec.js';
import { PtCluster } from './support/pt-cluster.js';
import { ptRng } from './support/pt-rng.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const names = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => `n${String(i).padStart(2, '0')}`);
const rng = ptRng('plumtree-test');

/** One machine with the given neighbours, driven by hand. */
function machine(self: NodeId, peers: NodeId[]) {
  const s = createPlumtree(self);
  for (const peer of peers) handlePlumtree(s, { kind: 'neighborUp', peer }, 0, rng);
  const at = (nowMs: number, event: PlumtreeEvent): PlumtreeEffect[] => handlePlumtree(s, event, nowMs, rng);
  const msg = (nowMs: number, from: NodeId, message: PlumtreeMessage) => at(nowMs, { kind: 'message', from, message });
  return { s, at, msg };
}

const sends = (effects: PlumtreeEffect[]) =>
  effects.flatMap((e) => (e.kind === 'send' ? [{ to: e.to, message: e.message }] : []));

/** Every node delivered `id` exactly once. */
function expectDeliveredOnce(c: PtCluster, id: string): void {
  for (const node of c.nodes.keys()) {
    expect(c.deliveriesOf(id).filter((d) => d.node === node), `${node} deliveries`).toHaveLength(1);
  }
}

/** The eager edges form a spanning tree: n−1 edges, all nodes reachable, both ends agree. */
function expectEagerSpanningTree(c: PtCluster): void {
  const edges = c.eagerEdges();
  expect(c.asymmetricEagerLinks()).toEqual([]);
  expect(edges).toHaveLength(c.nodes.size - 1);
  const ids = [...c.nodes.keys()];
  const reached = new Set([ids[0]]);
  for (let grew = true; grew;) {
    grew = false;
    for (const edge of edges) {
      const [a, b] = edge.split('-');
      if (reached.has(a) !== reached.has(b)) { reached.add(a); reached.add(b); grew = true; }
    }
  }
  expect(reached.size).toBe(c.nodes.size);
}

describe('plumtree delivery', () => {
  it('delivers on a line exactly once, with hop counts as rounds', () => {
    const ids = names(6);
    const c = new PtCluster(ids);
    for (let i = 0; i + 1 < ids.length; i++) c.connect(ids[i], ids[i + 1]);
    const id = messageIdOf(bytes('line'));
    c.broadcast('n00', bytes('line'));
    c.runFor(1_000);
    expectDeliveredOnce(c, id);
    expect(c.deliveriesOf(id).map((d) => d.round)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c.deliveriesOf(id)[0].from).toBeNull();
  });

  it('delivers on a star from a leaf exactly once', () => {
    const ids = names(9);
    const c = new PtCluster(ids);
    for (const leaf of ids.slice(1)) c.connect('n00', leaf);
    c.broadcast('n05', bytes('star'));
    c.runFor(1_000);
    expectDeliveredOnce(c, messageIdOf(bytes('star')));
    expect(c.sentOfType('Prune')).toHaveLength(0); // a star is already a tree
  });

  /** 20 nodes: a random tree plus random extra links (cycles), random link delays 1–30 ms. */
  function randomGraph(seed: string) {
    const ids = names(20);
    const graphRng = ptRng(seed);
    const c = new PtCluster(ids, { seed });
    const linked = new Set<string>();
    const link = (a: NodeId, b: NodeId) => {
      const key = a < b ? `${a}-${b}` : `${b}-${a}`;
      if (a === b || linked.has(key)) return;
      linked.add(key);
      c.connect(a, b);
      c.setDelay(a, b, graphRng.rangeInclusive(1, 30));
    };
    for (let i = 1; i < ids.length; i++) link(ids[i], ids[graphRng.int(i)]);
    for (let k = 0; k < 20; k++) link(graphRng.pick(ids), graphRng.pick(ids));
    return { c, ids, graphRng, linkCount: linked.size };
  }

  function runRandomBroadcasts(seed: string): PtCluster {
    const { c, ids, graphRng, linkCount } = randomGraph(seed);
    expect(linkCount).toBeGreaterThan(ids.length); // the graph has cycles to prune
    for (let k = 0; k < 5; k++) {
      const content = bytes(`random-${k}`);
      c.broadcast(graphRng.pick(ids), content);
      c.runFor(2_000);
      expectDeliveredOnce(c, messageIdOf(content));
    }
    return c;
  }

  it('delivers on a random graph exactly once and prunes it into a spanning tree', () => {
    for (const seed of ['random-1', 'random-2', 'random-3']) {
      const c = runRandomBroadcasts(seed);
      expect(c.sentOfType('Prune').length).toBeGreaterThan(0);
      expectEagerSpanningTree(c);
    }
  });

  it('is deterministic: the same seed gives the same messages in the same order', () => {
    const trace = (c: PtCluster) => JSON.stringify(c.sent.map((r) => [r.atMs, r.from, r.to, r.message.type]));
    expect(trace(runRandomBroadcasts('same'))).toBe(trace(runRandomBroadcasts('same')));
  });

  it('never sends an IHave entry to a peer whose IHave or Gossip for that id reached it first', () => {
    for (const seed of ['random-1', 'random-2', 'random-3']) {
      const c = runRandomBroadcasts(seed);
      // What each node heard each id from, and when: the sends the machines made, as delivered.
      const heard = new Map<string, number>(); // "to<from:id" → first arrival, ms
      for (const r of c.sent) {
        if (r.dropped) continue;
        const ids = r.message.type === 'Gossip' ? [r.message.id] : r.message.type === 'IHave' ? r.message.entries.map((e) => e.id) : [];
        for (const id of ids) {
          const key = `${r.to}<${r.from}:${id}`;
          if (!heard.has(key) || heard.get(key)! > r.arrivesAtMs) heard.set(key, r.arrivesAtMs);
        }
      }
      const told: string[] = [];
      let entries = 0;
      for (const r of c.sentOfType('IHave')) {
        if (r.message.type !== 'IHave') continue;
        for (const { id } of r.message.entries) {
          entries++;
          const firstHeardMs = heard.get(`${r.from}<${r.to}:${id}`);
          if (firstHeardMs !== undefined && firstHeardMs < r.atMs) told.push(`${r.from}>${r.to} ${id.slice(0, 8)} at ${r.atMs}`);
        }
      }
      expect(entries, seed).toBeGreaterThan(0); // lazy push still ran
      expect(told, seed).toEqual([]);
    }
  });

  it('delivers across two islands once a link bridges them', () => {
    const ids = names(10);
    const c = new PtCluster(ids);
    for (let i = 0; i < 4; i++) { c.connect(ids[i], ids[i + 1]); c.connect(ids[i + 5], ids[i + 6]); }
    c.connect('n00', 'n04'); // cycles inside each island
    c.connect('n05', 'n09');
    c.broadcast('n00', bytes('before'));
    c.runFor(1_000);
    expect(c.deliveriesOf(messageIdOf(bytes('before'))).map((d) => d.node).sort()).toEqual(ids.slice(0, 5));

    c.connect('n04', 'n05');
    c.broadcast('n00', bytes('after'));
    c.runFor(1_000);
    expectDeliveredOnce(c, messageIdOf(bytes('after')));
  });
});

describe('plumtree tree construction and repair', () => {
  it('answers a duplicate Gossip with Prune and leaves a tree of eager links', () => {
    const c = new PtCluster(['a', 'b', 'c']);
    c.connect('a', 'b'); c.connect('a', 'c'); c.connect('b', 'c');
    c.broadcast('a', bytes('triangle'));
    c.runFor(1_000);
    expect(c.sentOfType('Prune').map((r) => `${r.from}>${r.to}`).sort()).toEqual(['b>c', 'c>b']);
    expect(c.eagerEdges()).toEqual(['a-b', 'a-c']);
    expect(lazyPeers(c.state('b'))).toEqual(['c']);
  });

  it('repairs a lost Gossip through IHave then Graft after 80 ms', () => {
    const c = new PtCluster(['a', 'b', 'c']);
    c.connect('a', 'b'); c.connect('a', 'c'); c.connect('b', 'c');
    c.broadcast('a', bytes('warm-up'));
    c.runFor(1_000); // tree: a-b, a-c; b-c lazy
    const content = bytes('lost');
    const id = messageIdOf(content);
    c.dropIf = (from, to, m) => from === 'a' && to === 'c' && m.type === 'Gossip';
    const t0 = c.nowMs;
    c.broadcast('a', content);
    c.runFor(1_000);
    // b gets it at +10, its IHave batch leaves at +15 and reaches c at +25; Graft at +105.
    const ihave = c.sent.find((r) => r.message.type === 'IHave' && r.to === 'c')!;
    expect(ihave.atMs).toBe(t0 + 15);
    const grafts = c.sentOfType('Graft');
    expect(grafts.map((r) => [r.from, r.to, r.atMs])).toEqual([['c', 'b', t0 + 105]]);
    expect(grafts[0].message).toEqual({ type: 'Graft', id, round: 1 });
    const atC = c.deliveriesOf(id).filter((d) => d.node === 'c');
    expect(atC).toEqual([{ node: 'c', id, from: 'b', round: 2, atMs: t0 + 125 }]);
    expectDeliveredOnce(c, id);
    expect(pendingGraftCount(c.state('c'))).toBe(0);
    // c's forward to a is a duplicate there, so a prunes c: the tree moved onto b-c.
    expect(c.eagerEdges()).toEqual(['a-b', 'b-c']);
    expect(c.asymmetricEagerLinks()).toEqual([]);
  });

  it('grafts the next IHave advertiser 40 ms after the first stays silent, then gives up', () => {
    const { s, at, msg } = machine('x', ['p', 'q', 'r']);
    msg(0, 'p', { type: 'Prune' });
    msg(0, 'q', { type: 'Prune' });
    const id = messageIdOf(bytes('missing'));
    const armed = msg(0, 'p', { type: 'IHave', entries: [{ id, round: 3 }] });
    expect(armed).toContainEqual({ kind: 'timer', delayMs: 80, timer: { type: 'SendGraft' } });
    expect(msg(3, 'q', { type: 'IHave', entries: [{ id, round: 4 }] })).toEqual([]); // armed once per id

    const first = at(80, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(sends(first)).toEqual([{ to: 'p', message: { type: 'Graft', id, round: 3 } }]);
    expect(first).toContainEqual({ kind: 'timer', delayMs: 40, timer: { type: 'SendGraft' } });
    expect(eagerPeers(s)).toEqual(['p', 'r']);

    const second = at(120, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(sends(second)).toEqual([{ to: 'q', message: { type: 'Graft', id, round: 4 } }]);
    expect(at(160, { kind: 'timer', timer: { type: 'SendGraft' } })).toEqual([{ kind: 'gaveUp', id, reason: 'advertisers-exhausted' }]);
    expect(pendingGraftCount(s)).toBe(0);
  });

  it('cancels the graft when the Gossip arrives in time, and forgets advertisers that go down', () => {
    const { s, at, msg } = machine('x', ['p', 'q', 'e']);
    const content = bytes('in-time');
    const id = messageIdOf(content);
    msg(0, 'p', { type: 'IHave', entries: [{ id, round: 1 }] });
    msg(0, 'e', { type: 'Gossip', id, round: 1, content });
    expect(pendingGraftCount(s)).toBe(0);
    expect(sends(at(80, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([]);

    const other = messageIdOf(bytes('other'));
    msg(100, 'p', { type: 'IHave', entries: [{ id: other, round: 1 }] });
    msg(101, 'q', { type: 'IHave', entries: [{ id: other, round: 1 }] });
    at(110, { kind: 'neighborDown', peer: 'p' });
    expect(eagerPeers(s)).toEqual(['e', 'q']);
    const graft = at(180, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(sends(graft)).toEqual([{ to: 'q', message: { type: 'Graft', id: other, round: 1 } }]);
  });

  it('arms one graft timer per node, for the earliest due request, and acts on every request due when it fires', () => {
    const { s, at, msg } = machine('x', ['p', 'q', 'e']);
    const graftTimers = (effects: PlumtreeEffect[]) => effects.filter((e) => e.kind === 'timer' && e.timer.type === 'SendGraft');
    const [a, b, c] = ['a', 'b', 'c'].map((t) => messageIdOf(bytes(t)));
    expect(graftTimers(msg(0, 'p', { type: 'IHave', entries: [{ id: a, round: 1 }] }))).toEqual([{ kind: 'timer', delayMs: 80, timer: { type: 'SendGraft' } }]);
    // Later requests fall due later: the timer armed for a serves them.
    expect(graftTimers(msg(5, 'p', { type: 'IHave', entries: [{ id: b, round: 1 }] }))).toEqual([]);
    expect(graftTimers(msg(5, 'q', { type: 'IHave', entries: [{ id: c, round: 2 }] }))).toEqual([]);
    msg(6, 'e', { type: 'Gossip', id: b, round: 1, content: bytes('b') }); // b came in time: moot
    expect(sends(at(80, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([{ to: 'p', message: { type: 'Graft', id: a, round: 1 } }]);
    // At 80 the timer re-armed for what falls due next: c's first Graft at 85 comes before a's
    // next one at 120. b's entry is skipped when due, without a Graft or a gaveUp.
    const at85 = at(85, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(sends(at85)).toEqual([{ to: 'q', message: { type: 'Graft', id: c, round: 2 } }]);
    expect(at85.filter((e) => e.kind === 'gaveUp')).toEqual([]);
    expect(s.graftTimerDueMs).toBe(120);
  });

  it('cancels the graft timer when the request it waits for becomes moot, and arms it for the next live one', () => {
    const { s, msg } = machine('x', ['p', 'e']);
    const [a, b] = ['a', 'b'].map((t) => messageIdOf(bytes(t)));
    msg(0, 'p', { type: 'IHave', entries: [{ id: a, round: 1 }] }); // timer for 80
    msg(30, 'p', { type: 'IHave', entries: [{ id: b, round: 1 }] }); // due at 110
    const gossip = msg(40, 'e', { type: 'Gossip', id: a, round: 1, content: bytes('a') });
    expect(gossip.filter((e) => e.kind === 'cancelTimer' || (e.kind === 'timer' && e.timer.type === 'SendGraft'))).toEqual([
      { kind: 'cancelTimer', timer: { type: 'SendGraft' } },
      { kind: 'timer', delayMs: 70, timer: { type: 'SendGraft' } },
    ]);
    expect(s.graftTimerDueMs).toBe(110);
    // The last live request goes too: the timer is only cancelled.
    const last = msg(50, 'e', { type: 'Gossip', id: b, round: 1, content: bytes('b') });
    expect(last.filter((e) => e.kind === 'cancelTimer' || (e.kind === 'timer' && e.timer.type === 'SendGraft'))).toEqual([{ kind: 'cancelTimer', timer: { type: 'SendGraft' } }]);
    expect(s.graftTimerDueMs).toBeNull();
  });

  it('skips a moot request due at the same time as a live one', () => {
    const { at, msg } = machine('x', ['p', 'e']);
    const [a, b] = ['a', 'b'].map((t) => messageIdOf(bytes(t)));
    msg(0, 'p', { type: 'IHave', entries: [{ id: a, round: 1 }, { id: b, round: 1 }] }); // both due at 80
    msg(40, 'e', { type: 'Gossip', id: b, round: 1, content: bytes('b') }); // b moot, behind the live a
    expect(sends(at(80, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([{ to: 'p', message: { type: 'Graft', id: a, round: 1 } }]);
  });

  it('arms an earlier graft timer when a next Graft falls due before the armed one', () => {
    const { s, at, msg } = machine('x', ['p', 'q']);
    const [a, b] = ['a', 'b'].map((t) => messageIdOf(bytes(t)));
    msg(0, 'p', { type: 'IHave', entries: [{ id: a, round: 1 }] });
    msg(0, 'q', { type: 'IHave', entries: [{ id: a, round: 1 }] });
    msg(50, 'p', { type: 'IHave', entries: [{ id: b, round: 1 }] }); // due at 130: served by later arming
    const first = at(80, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(sends(first)).toEqual([{ to: 'p', message: { type: 'Graft', id: a, round: 1 } }]);
    // a's next Graft is due at 120, before b's first at 130: the timer is armed for 120.
    expect(first.filter((e) => e.kind === 'timer')).toEqual([{ kind: 'timer', delayMs: 40, timer: { type: 'SendGraft' } }]);
    expect(s.graftTimerDueMs).toBe(120);
    expect(sends(at(120, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([{ to: 'q', message: { type: 'Graft', id: a, round: 1 } }]);
    expect(sends(at(130, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([{ to: 'p', message: { type: 'Graft', id: b, round: 1 } }]);
  });

  it('at one due time, Grafts first asked go before next ones, in the order the paper armed their timers', () => {
    const { at, msg } = machine('x', ['p', 'q']);
    const [a, b] = ['a', 'b'].map((t) => messageIdOf(bytes(t)));
    msg(0, 'p', { type: 'IHave', entries: [{ id: a, round: 1 }] });
    msg(0, 'q', { type: 'IHave', entries: [{ id: a, round: 1 }] });
    msg(40, 'q', { type: 'IHave', entries: [{ id: b, round: 1 }] }); // b: first Graft due at 120
    at(80, { kind: 'timer', timer: { type: 'SendGraft' } }); // a: Graft to p, the next one due at 120 too
    expect(sends(at(120, { kind: 'timer', timer: { type: 'SendGraft' } })).map((m) => (m.message as { id: string }).id)).toEqual([b, a]);
  });

  it('a graft timer its host did not fire on time (a wedged node runs it late) does not stop the node from arming another', () => {
    const { s, at, msg } = machine('x', ['p']);
    const [a, b] = ['a', 'b'].map((t) => messageIdOf(bytes(t)));
    msg(0, 'p', { type: 'IHave', entries: [{ id: a, round: 1 }] }); // timer for 80, not fired by 200
    // The next request finds the timer overdue: it is cancelled and one armed; the overdue request waits 1 ms.
    const later = msg(200, 'p', { type: 'IHave', entries: [{ id: b, round: 1 }] });
    expect(later.filter((e) => e.kind === 'cancelTimer' || e.kind === 'timer')).toEqual([
      { kind: 'cancelTimer', timer: { type: 'SendGraft' } },
      { kind: 'timer', delayMs: 1, timer: { type: 'SendGraft' } },
    ]);
    expect(s.graftTimerDueMs).toBe(201);
    expect(sends(at(201, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([{ to: 'p', message: { type: 'Graft', id: a, round: 1 } }]);
    expect(s.graftTimerDueMs).toBe(241); // a's next advertiser, had it one
    expect(at(241, { kind: 'timer', timer: { type: 'SendGraft' } })).toEqual([{ kind: 'gaveUp', id: a, reason: 'advertisers-exhausted' }, { kind: 'timer', delayMs: 39, timer: { type: 'SendGraft' } }]);
    expect(sends(at(280, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([{ to: 'p', message: { type: 'Graft', id: b, round: 1 } }]);
  });

  it('arms an earlier graft timer when a request falls due before the armed one (a rule the queues never need, kept for safety)', () => {
    const { s, msg } = machine('x', ['p']);
    s.graftTimerDueMs = 500; // as if armed for a later request
    const armed = msg(0, 'p', { type: 'IHave', entries: [{ id: messageIdOf(bytes('a')), round: 1 }] });
    expect(armed).toContainEqual({ kind: 'timer', delayMs: 80, timer: { type: 'SendGraft' } });
    expect(s.graftTimerDueMs).toBe(80);
  });

  it('a cluster never sends a Graft for a message the sender already delivered', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const c = new PtCluster(ids, { delayMs: 10 });
    for (let i = 0; i < ids.length; i++) c.connect(ids[i], ids[(i + 1) % ids.length]);
    c.connect('a', 'c');
    c.connect('b', 'd');
    c.setDelay('a', 'b', 60); // a slow tree link: IHaves overtake its Gossip, which then lands in time
    for (let i = 0; i < 30; i++) {
      c.broadcast(ids[i % ids.length], bytes(`m${i}`));
      c.runFor(200);
    }
    const grafts = c.sentOfType('Graft').filter((r) => (r.message as { id: string | null }).id !== null);
    const moot = grafts.filter((r) => c.deliveriesOf((r.message as { id: string }).id).some((d) => d.node === r.from && d.atMs <= r.atMs));
    // IHaves overtook Gossip (requests were made) and some Grafts left, none of them moot.
    expect(c.sentOfType('IHave').length).toBeGreaterThan(0);
    expect(moot).toEqual([]);
  });

  it('ignores a stale SendGraft timer armed for an earlier request of the same id', () => {
    const { at, msg } = machine('x', ['p', 'q']);
    const id = messageIdOf(bytes('stale'));
    msg(0, 'p', { type: 'IHave', entries: [{ id, round: 0 }] }); // timer due at 80
    at(10, { kind: 'neighborDown', peer: 'p' }); // the only advertiser left: request dropped
    msg(20, 'q', { type: 'IHave', entries: [{ id, round: 0 }] }); // new request, timer due at 100
    expect(sends(at(80, { kind: 'timer', timer: { type: 'SendGraft' } }))).toEqual([]);
    const graft = at(100, { kind: 'timer', timer: { type: 'SendGraft' } });
    expect(sends(graft)).toEqual([{ to: 'q', message: { type: 'Graft', id, round: 0 } }]);
  });

  it('answers a Graft with the cached Gossip and moves the sender to eager', () => {
    const { s, at, msg } = machine('x', ['p']);
    msg(0, 'p', { type: 'Prune' });
    const content = bytes('cached');
    at(0, { kind: 'broadcast', content });
    const reply = msg(50, 'p', { type: 'Graft', id: messageIdOf(content), round: 0 });
    expect(sends(reply)).toEqual([{ to: 'p', message: { type: 'Gossip', id: messageIdOf(content), round: 0, content } }]);
    expect(eagerPeers(s)).toEqual(['p']);
    expect(sends(msg(60, 'p', { type: 'Graft', id: messageIdOf(bytes('unknown')), round: 0 }))).toEqual([]);
  });
});

describe('plumtree lazy push to peers known to hold the id', () => {
  /** x with eager e and lazy l1, l2 (each pruned its link). */
  function lazyMachine() {
    const m = machine('x', ['e', 'l1', 'l2']);
    m.msg(0, 'l1', { type: 'Prune' });
    m.msg(0, 'l2', { type: 'Prune' });
    expect(lazyPeers(m.s)).toEqual(['l1', 'l2']);
    return m;
  }
  const gossipOf = (text: string, round = 1) => ({ type: 'Gossip', id: messageIdOf(bytes(text)), round, content: bytes(text) }) as const;
  const ihaveTargets = (effects: PlumtreeEffect[]) =>
    sends(effects).flatMap((x) => (x.message.type === 'IHave' ? [{ to: x.to, ids: x.message.entries.map((e) => e.id) }] : []));

  it('queues no IHave for a peer that announced the id before the Gossip came', () => {
    const { msg, at } = lazyMachine();
    const g = gossipOf('announced');
    msg(1, 'l1', { type: 'IHave', entries: [{ id: g.id, round: 0 }] });
    msg(2, 'e', g);
    expect(ihaveTargets(at(7, { kind: 'timer', timer: { type: 'DispatchLazyPush' } }))).toEqual([{ to: 'l2', ids: [g.id] }]);
  });

  it('drops a queued entry when the peer\'s IHave for it arrives before the batch leaves, and keeps the rest', () => {
    const { s, msg, at } = lazyMachine();
    const a = gossipOf('a');
    const b = gossipOf('b');
    msg(1, 'e', a);
    msg(2, 'e', b);
    msg(3, 'l1', { type: 'IHave', entries: [{ id: a.id, round: 0 }] }); // l1 holds a: a no-op there
    expect(s.lazyHeld.get('l1')).toEqual(new Set([a.id]));
    expect(ihaveTargets(at(6, { kind: 'timer', timer: { type: 'DispatchLazyPush' } }))).toEqual([
      { to: 'l1', ids: [b.id] },
      { to: 'l2', ids: [a.id, b.id] },
    ]);
    expect(s.lazyHeld.size).toBe(0); // the record lives as long as the batch
  });

  it('records only ids some batch holds: a peer\'s news of an id no batch of ours holds is dropped at once', () => {
    const { s, msg, at } = lazyMachine();
    const old = gossipOf('old');
    msg(1, 'e', old);
    at(6, { kind: 'timer', timer: { type: 'DispatchLazyPush' } }); // old's batch left: no batch now
    const a = gossipOf('a');
    msg(10, 'e', a); // a batch for l1 and l2 holds a
    msg(11, 'l1', { type: 'IHave', entries: [{ id: old.id, round: 0 }, { id: a.id, round: 0 }] });
    expect(s.lazyHeld.get('l1')).toEqual(new Set([a.id]));
    expect(ihaveTargets(at(15, { kind: 'timer', timer: { type: 'DispatchLazyPush' } }))).toEqual([{ to: 'l2', ids: [a.id] }]);
    expect(s.lazyQueued.size).toBe(0);
  });

  it('drops a queued entry when the peer sends the Gossip itself, and sends nothing when nothing is left', () => {
    const { s, msg, at } = lazyMachine();
    const g = gossipOf('dup');
    msg(1, 'e', g);
    const answer = msg(2, 'l2', g); // a duplicate: answered with Prune, and l2 holds it
    expect(sends(answer)).toEqual([{ to: 'l2', message: { type: 'Prune' } }]);
    msg(3, 'l1', { type: 'IHave', entries: [{ id: g.id, round: 0 }] });
    expect(ihaveTargets(at(6, { kind: 'timer', timer: { type: 'DispatchLazyPush' } }))).toEqual([]);
    expect(s.lazyHeld.size).toBe(0);
  });

  it('leaves held ids out of a batch sent early at the frame limit too', () => {
    const { s, msg } = lazyMachine();
    const first = gossipOf('full-0');
    msg(1, 'e', first);
    msg(1, 'l1', { type: 'IHave', entries: [{ id: first.id, round: 0 }] });
    const out: PlumtreeEffect[] = [];
    for (let i = 1; i < IHAVE_ENTRIES_MAX; i++) out.push(...msg(1, 'e', gossipOf(`full-${i}`)));
    const early = ihaveTargets(out);
    expect(early.map((x) => [x.to, x.ids.length])).toEqual([['l1', IHAVE_ENTRIES_MAX - 1], ['l2', IHAVE_ENTRIES_MAX]]);
    expect(early[0].ids).not.toContain(first.id);
    expect(s.lazyHeld.size).toBe(0);
  });

  it('records nothing for a peer without a queued batch, and forgets a peer that goes down', () => {
    const { s, msg, at } = lazyMachine();
    const g = gossipOf('late');
    msg(1, 'e', g);
    at(6, { kind: 'timer', timer: { type: 'DispatchLazyPush' } });
    msg(8, 'l1', { type: 'IHave', entries: [{ id: g.id, round: 0 }] }); // after the batch left
    expect(s.lazyHeld.size).toBe(0);
    const h = gossipOf('second');
    msg(10, 'e', h);
    msg(11, 'l1', { type: 'IHave', entries: [{ id: h.id, round: 0 }] });
    at(12, { kind: 'neighborDown', peer: 'l1' });
    expect(s.lazyHeld.has('l1')).toBe(false);
  });
});

describe('plumtree tree optimization (paper §3.8)', () => {
  /** x hears IHave(round ihaveRound) from lazy l, then Gossip(round gossipRound) from eager e. */
  function optimizationCase(ihaveRound: number, gossipRound: number) {
    const { s, msg } = machine('x', ['e', 'l']);
    msg(0, 'l', { type: 'Prune' });
    const content = bytes('optimize');
    const id = messageIdOf(content);
    msg(1, 'l', { type: 'IHave', entries: [{ id, round: ihaveRound }] });
    const effects = msg(2, 'e', { type: 'Gossip', id, round: gossipRound, content });
    expect(effects.filter((e) => e.kind === 'deliver')).toHaveLength(1);
    return { s, id, out: sends(effects).filter((m) => m.message.type !== 'Gossip') };
  }

  it('grafts the IHave sender and prunes the Gossip sender when the round gap reaches the threshold', () => {
    const { s, out } = optimizationCase(2, 9);
    expect(out).toEqual([
      { to: 'l', message: { type: 'Graft', id: null, round: 2 } },
      { to: 'e', message: { type: 'Prune' } },
    ]);
    expect(eagerPeers(s)).toEqual(['l']);
    expect(lazyPeers(s)).toEqual(['e']);
  });

  it('does nothing below the threshold or when the IHave round is not smaller', () => {
    for (const [ihaveRound, gossipRound] of [[2, 8], [9, 2], [5, 5]]) {
      const { s, out } = optimizationCase(ihaveRound, gossipRound);
      expect(out).toEqual([]);
      expect(eagerPeers(s)).toEqual(['e']);
      expect(lazyPeers(s)).toEqual(['l']);
    }
  });

  /**
   * A line n00…n(len−1) plus a shortcut n00–last that the warm-up makes lazy. The last node then
   * gets IHave(round 0) over the shortcut at +15 ms and the Gossip with wire round len−2 along
   * the line at +10·(len−1) ms, before its 80 ms graft timer.
   */
  function lineWithShortcut(len: number) {
    const ids = names(len);
    const last = ids[len - 1];
    const c = new PtCluster(ids);
    for (let i = 0; i + 1 < len; i++) c.connect(ids[i], ids[i + 1]);
    c.connect('n00', last);
    c.setDelay('n00', last, 500); // slow during warm-up: the line wins and the shortcut is pruned
    c.broadcast('n00', bytes('warm-up'));
    c.runFor(2_000);
    expect(lazyPeers(c.state(last))).toEqual(['n00']);
    c.setDelay('n00', last, 10);
    c.broadcast('n00', bytes('probe'));
    c.runFor(1_000);
    expectDeliveredOnce(c, messageIdOf(bytes('probe')));
    return { c, last, ids };
  }

  it('rewires the tree onto the shortcut in a cluster when the gap is exactly the threshold', () => {
    const { c, last, ids } = lineWithShortcut(9); // Gossip round 7 (n07 → n08) vs IHave round 0
    expect(c.sentOfType('Graft').map((r) => [r.from, r.to, r.message])).toEqual([[last, 'n00', { type: 'Graft', id: null, round: 0 }]]);
    expect(eagerPeers(c.state(last))).toEqual(['n00']);
    expectEagerSpanningTree(c);
    c.broadcast('n00', bytes('after'));
    c.runFor(1_000);
    const atLast = c.deliveriesOf(messageIdOf(bytes('after'))).find((d) => d.node === last)!;
    expect(atLast.round).toBe(1);
    expect(ids).toHaveLength(9);
  });

  it('keeps the tree in a cluster when the gap is one below the threshold', () => {
    const { c, last } = lineWithShortcut(8); // Gossip round 6 (n06 → n07) vs IHave round 0
    expect(c.sentOfType('Graft')).toEqual([]);
    expect(lazyPeers(c.state(last))).toEqual(['n00']);
  });
});

describe('plumtree input checks and bounded tables', () => {
  it('ignores a Gossip whose id is not the hash of its content', () => {
    const { s, msg } = machine('x', ['e']);
    const effects = msg(5, 'e', { type: 'Gossip', id: messageIdOf(bytes('real')), round: 0, content: bytes('forged') });
    expect(effects).toEqual([]);
    expect(receivedIdCount(s)).toBe(0);
    expect(cacheSize(s)).toBe(0);
    expect(eagerPeers(s)).toEqual(['e']);
  });

  it('rejects an oversize or repeated broadcast as a value', () => {
    const { s, at } = machine('x', ['e']);
    const over = at(0, { kind: 'broadcast', content: new Uint8Array(4097) });
    expect(over).toHaveLength(1);
    expect(over[0].kind).toBe('rejected');
    const fits = at(0, { kind: 'broadcast', content: new Uint8Array(4096) });
    expect(fits.filter((e) => e.kind === 'deliver')).toHaveLength(1);
    expect(at(1, { kind: 'broadcast', content: new Uint8Array(4096) }).map((e) => e.kind)).toEqual(['rejected']);
    expect(receivedIdCount(s)).toBe(1);
  });

  it('evicts the cache after 30 s and the ids after 90 s, at the first event a pass is due', () => {
    const c = new PtCluster(['solo', 'peer']);
    c.connect('solo', 'peer'); // solo's first event (t=0) starts the count: a pass at most every 1 s
    c.dropIf = () => true; // keep 'peer' out of it
    const content = bytes('evict');
    c.broadcast('solo', content);
    const s = c.state('solo');
    const tick = { kind: 'timer', timer: { type: 'DispatchLazyPush' } } as const; // nothing queued: only a look at the time
    c.runUntil(30_000);
    expect([cacheSize(s), receivedIdCount(s)]).toEqual([1, 1]); // no event, no pass: solo heard nothing
    c.inject('solo', tick); // a pass at 30 000: the payload goes, its id stays; the next pass is due at 31 000
    expect([cacheSize(s), receivedIdCount(s)]).toEqual([0, 1]);
    // Still a duplicate (Prune, no second delivery), but nothing left to answer a Graft with.
    c.inject('solo', { kind: 'message', from: 'peer', message: { type: 'Gossip', id: messageIdOf(content), round: 0, content } });
    expect(c.deliveriesOf(messageIdOf(content)).filter((d) => d.node === 'solo')).toHaveLength(1);
    expect(c.sentOfType('Prune')).toHaveLength(1);
    c.runUntil(89_999);
    c.inject('solo', tick); // a pass: 89 999 ms old, kept; the next is due at 90 999
    expect(receivedIdCount(s)).toBe(1);
    c.runUntil(90_998);
    c.inject('solo', tick); // old enough, but no pass is due
    expect(receivedIdCount(s)).toBe(1);
    c.runUntil(90_999);
    c.inject('solo', tick);
    expect(receivedIdCount(s)).toBe(0);
  });

  it('drops pending grafts whose timers never came back once ids expire', () => {
    const { s, at, msg } = machine('x', ['p']);
    msg(0, 'p', { type: 'IHave', entries: [{ id: messageIdOf(bytes('never')), round: 0 }] });
    expect(pendingGraftCount(s)).toBe(1);
    const tick = { kind: 'timer', timer: { type: 'DispatchLazyPush' } } as const; // nothing queued: only a look at the time
    at(89_000, tick); // a pass: 89 000 ms old, kept; the next is due at 90 000
    expect(pendingGraftCount(s)).toBe(1);
    at(90_000, tick);
    expect(pendingGraftCount(s)).toBe(0);
  });

  it('keeps every table bounded by retention under a steady stream of broadcasts', () => {
    const ids = names(5);
    const c = new PtCluster(ids);
    for (let i = 0; i < ids.length; i++) c.connect(ids[i], ids[(i + 1) % ids.length]);
    let most = { cache: 0, idsSeen: 0 };
    for (let k = 0; k < 600; k++) {
      c.broadcast(ids[k % ids.length], bytes(`stream-${k}`));
      c.runFor(200);
      for (const s of c.nodes.values()) {
        most = { cache: Math.max(most.cache, cacheSize(s)), idsSeen: Math.max(most.idsSeen, receivedIdCount(s)) };
        expect(pendingGraftCount(s)).toBeLessThanOrEqual(1);
      }
    }
    expect(most.cache).toBeLessThanOrEqual(30_000 / 200 + 5);
    expect(most.idsSeen).toBeLessThanOrEqual(90_000 / 200 + 5);
    expect(most.idsSeen).toBeGreaterThan(400); // the window really filled up
    const state: PlumtreeState = c.state('n00');
    expect(state.lazyQueue.size).toBe(0);
  });
});
