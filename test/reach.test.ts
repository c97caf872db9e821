/**
 * Who could reach whom, from spans (src/primitives/reach.ts), as the chaos detectors use it to
 * tell a failure of the mesh from one a concurrent fault explains.
 *
 * Goal: the overlay is read from the nodes' own neighbour spans (directed, per incarnation);
 * a path counts only along open directed links; "other faults cut every path" holds exactly
 * when the detector's own fault alone leaves a path and the other faults' cuts remove the last
 * one — so a concurrent fault elsewhere, or a pair with no detour at all, still leaves the
 * detector's verdict to its own evidence (the red cases below). The receivers other events cut
 * off from a probe's origin are those the overlay reached without their cuts and not with them,
 * a link that ran on a connection another event's kill ended counting as cut (the node holding
 * it has not noticed yet); a node out of reach even without them is not excused.
 * Method: neighbour and chaos spans written into an unstarted cluster's trace by hand.
 */
import { describe, expect, it } from 'vitest';
import { cutOffFrom, cutOffTowards, oldConnectionsCutAt, otherCutWindows, othersCutEveryPath, othersCutOff, overlayAt, pathExists, PROBE_FLIGHT_MS, REJOIN_ALLOWANCE_MS, strippedByOthers, type CutWindow, type OwnBlock } from '../src/primitives/reach.js';
import { underChaosAt } from '../src/scenario/under-chaos.js';
import type { ChaosWorld, Fault } from '../src/primitives/types.js';
import type { NeighborDownCause } from '../src/protocol/hyparview-types.js';
import { HARNESS_NODE } from '../src/sim/telemetry/index.js';
import { handTrace } from './support/hand-trace.js';
import { inboundAt } from '../src/primitives/evidence.js';
import { firewallBlock } from '../src/primitives/firewall-inbound.js';
import { T } from '../src/primitives/timing.js';

function setup() {
  const t = handTrace('reach-paths');
  const [a, b, c, d] = t.nodes;
  return { ...t, a, b, c, d };
}

/**
 * cutOffTowards answers "was `target` cut off from x" for every x with searches from `target`;
 * it must agree with cutOffFrom (searches from x) on every pair of nodes, the observer included.
 */
function expectTowardsAgrees(world: ChaosWorld, others: readonly CutWindow[], atMs: number): number {
  let cut = 0;
  for (const target of world.nodes) {
    const isCut = cutOffTowards(world, others, 'mesh-a', target.nodeId, atMs);
    for (const origin of world.nodes) {
      const expected = cutOffFrom(world, others, 'mesh-a', origin.nodeId, atMs).has(target.nodeId);
      expect(isCut(origin.nodeId), `${origin.name} → ${target.name} at ${atMs}`).toBe(expected);
      if (expected) cut++;
    }
  }
  return cut;
}

describe('reach: paths from spans', () => {
  it('the overlay is each node\'s own view, directed, and a new incarnation starts empty', () => {
    const { world, a, b, c, at, up, down, ready } = setup();
    at(100);
    up(a, b);
    up(a, c);
    up(c, b);
    at(200);
    down(a, c, 'disconnect');
    expect(overlayAt(world, 'mesh-a', 150).get(a.nodeId)).toEqual([b.nodeId, c.nodeId].sort());
    expect(overlayAt(world, 'mesh-a', 250).get(a.nodeId)).toEqual([b.nodeId]);
    expect(overlayAt(world, 'mesh-a', 250).get(b.nodeId)).toEqual([]); // b said nothing: links are directed
    at(300);
    ready(c, { incarnation: 2, identity: 'data-dir' });
    expect(overlayAt(world, 'mesh-a', 250).get(c.nodeId)).toEqual([b.nodeId]);
    expect(overlayAt(world, 'mesh-a', 350).get(c.nodeId)).toEqual([]);
  });

  it('a path follows open directed links only', () => {
    const overlay = new Map([['a', ['b']], ['b', ['c']], ['c', []]]);
    const open = () => false;
    expect(pathExists(overlay, 'a', 'c', open)).toBe(true);
    expect(pathExists(overlay, 'c', 'a', open)).toBe(false);
    expect(pathExists(overlay, 'a', 'c', (x, y) => x === 'b' && y === 'c')).toBe(false);
  });

  it('other faults cut every path only when they, not the own fault, remove the last detour', () => {
    const { world, a, b, c, d, at, up, chaos } = setup();
    at(100);
    up(a, b);
    up(a, c); // the detour a → c → b
    up(c, b);
    up(a, d); // d leads nowhere
    at(1_000);
    chaos('kill_node', [d]);
    at(2_000);
    const own: Fault = { targets: [a.nodeId, b.nodeId], params: {} };
    chaos('partition_pair', [a, b]);
    const ownLink = (x: string, y: string) => (x === a.nodeId && y === b.nodeId) || (x === b.nodeId && y === a.nodeId);
    // Red: a concurrent fault that leaves the detour open explains nothing.
    expect(othersCutEveryPath(world, otherCutWindows(world, own, 2_000), ['mesh-a'], a.nodeId, b.nodeId, 2_500, ownLink)).toBe(false);
    at(3_000);
    chaos('kill_node', [c]);
    const others = otherCutWindows(world, own, 2_000);
    expect(others.map((w) => w.name)).toEqual(['kill_node', 'kill_node']); // the own partition is left out
    // Killing c takes the last detour: the other faults explain an undelivered probe.
    expect(othersCutEveryPath(world, others, ['mesh-a'], a.nodeId, b.nodeId, 3_500, ownLink)).toBe(true);
    // …but not before c was killed.
    expect(othersCutEveryPath(world, others, ['mesh-a'], a.nodeId, b.nodeId, 2_500, ownLink)).toBe(false);
    // Red: with no detour even without other faults, the own fault explains it.
    const noDetour = (x: string, y: string) => ownLink(x, y) || (x === a.nodeId && y === c.nodeId);
    expect(othersCutEveryPath(world, others, ['mesh-a'], a.nodeId, b.nodeId, 3_500, noDetour)).toBe(false);
  });

  it('a probe\'s receivers cut off by a kill while it was in flight are excused; by a kill after its flight, not', () => {
    const { world, a, b, c, d, at, up, chaos } = setup();
    at(100);
    up(a, b); // a → b → c: b is c's only relay
    up(b, c);
    up(a, d);
    at(1_000);
    chaos('disk_full', [c]);
    const own: Fault = { targets: [c.nodeId], params: {} };
    const sentAtMs = 2_000;
    at(sentAtMs + PROBE_FLIGHT_MS);
    chaos('kill_node', [b]); // within the flight: the probe may not have passed b yet
    expect(othersCutOff(world, own, 1_000).from('mesh-a', a.nodeId, sentAtMs)).toEqual(new Set([b.nodeId, c.nodeId]));
    // At the send itself nothing was cut.
    expect(cutOffFrom(world, otherCutWindows(world, own, 1_000), 'mesh-a', a.nodeId, sentAtMs)).toEqual(new Set());
    // Red: a probe sent a moment earlier had had its flight before the kill.
    expect(othersCutOff(world, own, 1_000).from('mesh-a', a.nodeId, sentAtMs - 1)).toEqual(new Set());
  });

  it('inboundAt: a dial of the peer\'s taken in while the node\'s own was under way may carry the link; an older one does not', () => {
    const build = (inboundAtMs: number, outboundAtMs: number, closedBetween = false) => {
      const { world, a, b, at, connected, disconnected } = setup();
      at(inboundAtMs);
      connected(a, b, 'inbound');
      if (closedBetween) {
        at(inboundAtMs + 1);
        disconnected(a, b, 'idle-timeout');
      }
      at(outboundAtMs);
      connected(a, b, 'outbound');
      return inboundAt(world, a.nodeId, b.nodeId, outboundAtMs + 100);
    };
    expect(build(1_000, 1_004)).toBe(true); // crossed dials (seed 2006)
    expect(build(1_000, 1_000 + T.dialTimeoutMs)).toBe(true);
    // Red: an inbound connection older than the node's own dial could be (seed 4025), or one
    // closed before it.
    expect(build(1_000, 1_001 + T.dialTimeoutMs)).toBe(false);
    expect(build(1_000, 1_004, true)).toBe(false);
  });

  it('a subset cut with the pair on different sides, partitioned or healed within the rejoin allowance, cuts every path', () => {
    const { world, a, b, at, up, chaos, revert } = setup();
    at(100);
    up(a, b); // no detour at all: the pair's own link is the only one
    up(b, a);
    at(1_000);
    const subset = chaos('partition_subset', [a]);
    at(2_000);
    const own: Fault = { targets: [a.nodeId, b.nodeId], params: {} };
    chaos('partition_pair', [a, b]);
    const ownLink = (x: string, y: string) => (x === a.nodeId && y === b.nodeId) || (x === b.nodeId && y === a.nodeId);
    const others = () => otherCutWindows(world, own, 2_000);
    expect(othersCutEveryPath(world, others(), ['mesh-a'], a.nodeId, b.nodeId, 2_500, ownLink)).toBe(true);
    at(10_000);
    revert(subset, 'partition_subset');
    // Healed, but still re-merging: within the rejoin allowance the overlay across the cut is that event's.
    expect(othersCutEveryPath(world, others(), ['mesh-a'], a.nodeId, b.nodeId, 14_000, ownLink)).toBe(true);
    // Red: past the allowance, no detour is the own fault's to explain.
    expect(othersCutEveryPath(world, others(), ['mesh-a'], a.nodeId, b.nodeId, 15_500, ownLink)).toBe(false);
  });

  it('an end of a pair another event NAT-shifted, whose old links idled out, has no detour to offer', () => {
    // nat-shift --chaos 20, seed 461: a compute shifted at 20 s lost its old links to idle
    // timeouts at 48.9 s and held only the other end of a pair cut at 54.3 s.
    const build = (shifted: boolean, detour: boolean) => {
      const { world, a, b, c, d, at, up, down, chaos, ready } = setup();
      at(50);
      for (const n of [a, b, c, d]) ready(n, { nodeType: 'gateway' });
      at(100);
      up(a, c); // the pair: a and c
      up(c, a);
      up(c, b);
      up(c, d);
      at(1_000);
      if (shifted) chaos('nat_shift', [c]);
      at(30_000);
      for (const peer of [b, d]) down(c, peer, 'peer-down');
      if (detour) {
        at(35_000);
        up(c, b); // over a new connection, after the shift
        up(b, a);
      }
      at(40_000);
      const own: Fault = { targets: [a.nodeId, c.nodeId], params: {} };
      chaos('partition_pair', [a, c]);
      const ownLink = (x: string, y: string) => (x === a.nodeId && y === c.nodeId) || (x === c.nodeId && y === a.nodeId);
      return strippedByOthers(world, otherCutWindows(world, own, 40_000), 'mesh-a', c.nodeId, 40_500, ownLink, a.nodeId);
    };
    expect(build(true, false)).toBe(true);
    // Red: the same losses with no event behind them are the mesh's.
    expect(build(false, false)).toBe(false);
    // Red: c took b up again since the shift, and b holds a: a detour.
    expect(build(true, true)).toBe(false);
  });

  it('the receivers other events cut off from an origin: reachable without their cuts, not with them', () => {
    const { world, a, b, c, d, observer, at, up, chaos, revert } = setup();
    const e = observer();
    at(100);
    up(a, b);
    up(b, c);
    up(a, d);
    up(e, a); // e → a only: nobody reaches e
    at(1_000);
    const own: Fault = { targets: [d.nodeId], params: {} };
    const wedge = chaos('wedge_node', [d]);
    const subset = chaos('partition_subset', [b]);
    const others = () => otherCutWindows(world, own, 1_000);
    // b behind the cut, and c with it; d (the own target) and e (out of reach anyway) are not excused.
    expect([...cutOffFrom(world, others(), 'mesh-a', a.nodeId, 1_500)].sort()).toEqual([b.nodeId, c.nodeId].sort());
    expect(expectTowardsAgrees(world, others(), 1_500)).toBeGreaterThan(0);
    at(2_000);
    revert(subset, 'partition_subset');
    revert(wedge, 'wedge_node');
    at(10_000);
    expect([...cutOffFrom(world, others(), 'mesh-a', a.nodeId, 10_000)]).toEqual([]); // healed, rejoin allowance over
    expectTowardsAgrees(world, others(), 10_000);
    // b restarted by another event: a's link to it ran on a connection that died with the old
    // process, though a's view (its spans) still holds b until the idle timeout.
    const restart = chaos('restart_node', [b]);
    at(11_000);
    revert(restart, 'restart_node');
    at(20_000);
    expect(overlayAt(world, 'mesh-a', 20_000).get(a.nodeId)).toContain(b.nodeId);
    expect([...cutOffFrom(world, others(), 'mesh-a', a.nodeId, 20_000)].sort()).toEqual([b.nodeId, c.nodeId].sort());
    expect(expectTowardsAgrees(world, others(), 20_000)).toBeGreaterThan(0); // the restart's dead link, searched backwards
    // Red: a link taken up again after the restart is a path.
    at(21_000);
    up(a, b);
    expect([...cutOffFrom(world, others(), 'mesh-a', a.nodeId, 21_000)]).toEqual([]);
    expectTowardsAgrees(world, others(), 21_000);
    // Red: the own event's kill is not another event's: the same restart as the detector's own fault excuses nothing.
    const ownRestart: Fault = { targets: [b.nodeId], params: {} };
    expect([...cutOffFrom(world, otherCutWindows(world, ownRestart, 10_000), 'mesh-a', a.nodeId, 20_000)]).toEqual([]);
  });
});

describe('reach: cutOffTowards agrees with cutOffFrom on nodes out of reach even without the other cuts', () => {
  /** `started` come up at 50 ms; at 100 ms a and b take each other up (the part of the overlay the origin, a, reaches). */
  const startBesideAB = (s: ReturnType<typeof setup>, ...started: ReturnType<typeof setup>['a'][]) => {
    s.at(50);
    for (const node of started) s.ready(node, { nodeType: 'gateway' });
    s.at(100);
    s.up(s.a, s.b);
    s.up(s.b, s.a);
  };
  /** Whether both searches excuse `target` for a probe from `origin` at 1.5 s (and, when so, agree on every pair). */
  const expectExcused = (world: ChaosWorld, others: readonly CutWindow[], origin: string, target: string, excused: boolean) => {
    expect(cutOffFrom(world, others, 'mesh-a', origin, 1_500).has(target)).toBe(excused);
    expect(cutOffTowards(world, others, 'mesh-a', target, 1_500)(origin)).toBe(excused);
    if (excused) expect(expectTowardsAgrees(world, others, 1_500)).toBeGreaterThan(0);
  };

  it("inside another event's node cut: its thin views are that event's doing", () => {
    const { world, a, b, d, observer, at, up, chaos } = setup();
    const e = observer();
    at(100);
    up(a, b);
    up(b, a);
    up(e, a); // e → a only: nobody reaches e
    at(1_000);
    chaos('firewall_inbound', [e]);
    const others = otherCutWindows(world, { targets: [d.nodeId], params: {} }, 1_000);
    expectExcused(world, others, a.nodeId, e.nodeId, true);
  });

  it('stripped by the other events of every link it had', () => {
    const s = setup();
    const { world, a, b, c, d, at, up, chaos } = s;
    startBesideAB(s, c);
    up(c, d); // c → d only: nobody reaches c, and its one link goes to d
    at(1_000);
    chaos('kill_node', [d]);
    const others = otherCutWindows(world, { targets: [a.nodeId], params: {} }, 1_000);
    expectExcused(world, others, a.nodeId, c.nodeId, true);
    // Red: c with a live link of its own (to b, which no event cut) is not excused, either way.
    up(c, b);
    expectExcused(world, others, a.nodeId, c.nodeId, false);
  });

  it("a link lost to another event's inbound firewall on the node itself is taken by that event", () => {
    // chaos-soak-9prim-1min --chaos 20, seed 2270: a firewalled registry lost its inbound links
    // to idle timeouts and kept only two it could not use, whose peers other events took.
    const stripped = (direction: 'inbound' | 'outbound') => {
      const s = setup();
      const { world, b, c, d, at, up, down, chaos, revert, connected } = s;
      startBesideAB(s, c);
      connected(c, b, direction);
      up(c, b);
      up(c, d); // c → d, and c → b until the drop below: nobody reaches c
      at(500);
      const firewall = chaos('firewall_inbound', [c]);
      at(800);
      chaos('kill_node', [d]);
      at(900);
      down(c, b, 'peer-down'); // the link to b idles out while c is firewalled
      at(1_000);
      revert(firewall, 'firewall_inbound');
      at(7_000); // past the firewall's revert and rejoin allowance: c is no longer inside its node cut
      return { world, a: s.a, c, others: otherCutWindows(world, { targets: [s.a.nodeId], params: {} }, 1_000) };
    };
    const judged = (direction: 'inbound' | 'outbound') => {
      const { world, a, c, others } = stripped(direction);
      const from = cutOffFrom(world, others, 'mesh-a', a.nodeId, 6_500).has(c.nodeId);
      expect(cutOffTowards(world, others, 'mesh-a', c.nodeId, 6_500)(a.nodeId)).toBe(from);
      return from;
    };
    expect(judged('inbound')).toBe(true);
    // Red: over a connection c dialled itself, its firewall let the link be: a loss nothing cut.
    expect(judged('outbound')).toBe(false);
  });

  it("an inbound firewall's own cut of one of two crossed connections leaves the link to the other event that cut it too", () => {
    // Layout property seed 808: a compute and a gateway had dialled each other; the compute's
    // firewall (the detector's own) cut the gateway's connection, one on the gateway 1.9 s later
    // the compute's, and the compute's other link ran on a connection its peer had dialled.
    const judged = (crossed: boolean) => {
      const s = setup();
      const { world, a, b, c, d, at, up, chaos, connected } = s;
      startBesideAB(s, c);
      connected(c, d, 'inbound'); // d dialled c: the own firewall cuts this link whole
      connected(c, b, 'inbound');
      at(120);
      if (crossed) connected(c, b, 'outbound'); // c's own dial of b, under way when b's came in
      up(c, d);
      up(c, b); // nobody reaches c
      at(500);
      chaos('firewall_inbound', [c]);
      at(800);
      chaos('firewall_inbound', [b]);
      at(1_500);
      const others = otherCutWindows(world, { targets: [c.nodeId], params: {} }, 500);
      return cutOffFrom(world, others, 'mesh-a', a.nodeId, 1_500, firewallBlock(world, c.nodeId, 1_500)).has(c.nodeId);
    };
    expect(judged(true)).toBe(true);
    // Red: with b's connection the only one, the own firewall took the link before b's did.
    expect(judged(false)).toBe(false);
  });

  it("a restart's own cut judges a link dropped before a new connection by the connection it ran on", () => {
    // The restarted node's old connection to c ended, c dropped it, and the new process dialled
    // c again (for another topic, say) before the probe: c's drop was the restart's, though the
    // latest connection at the send is the new process's (oldConnectionsCutAt, OwnBlock.at).
    const judged = (block: (cut: OwnBlock) => OwnBlock) => {
      const s = setup();
      const { world, a, c, d, at, up, down, chaos, connected } = s;
      const v = s.observer();
      startBesideAB(s, c);
      connected(c, v, 'outbound'); // the old process's connection
      up(c, v);
      up(c, d); // nobody reaches c
      at(500);
      chaos('restart_node', [v]);
      at(600);
      down(c, v, 'peer-down');
      at(700);
      connected(c, v, 'inbound'); // the new process dials c
      at(800);
      chaos('kill_node', [d]); // another event takes c's other link
      at(1_500);
      const others = otherCutWindows(world, { targets: [v.nodeId], params: {} }, 500);
      return cutOffFrom(world, others, 'mesh-a', a.nodeId, 1_500, block(oldConnectionsCutAt(world, v.nodeId, 500)(1_500))).has(c.nodeId);
    };
    expect(judged((cut) => cut)).toBe(true);
    // Red: the same cut read only at the send counts the drop of v as the mesh's.
    expect(judged((cut) => (x: string, y: string) => cut(x, y))).toBe(false);
  });

  it("a part whose last try to rejoin went to a contact another event had cut off is excused until its next try is due (fast-check seed 20504)", () => {
    // c and d hold only each other (the own cut took what else they had); c's one try to rejoin
    // the rest went through b while another event had b cut off. Probes from a are judged at
    // `atMs`; the contact's cut is reverted at 2 s when `revertAtMs` says so.
    const excused = (o: { contactCut: boolean; atMs: number; revertAtMs?: number; joinInside?: boolean }) => {
      const s = setup();
      const { world, a, b, c, d, at, up, chaos, revert, join } = s;
      startBesideAB(s, c, d);
      up(c, d);
      up(d, c);
      at(500);
      const firewall = o.contactCut ? chaos('firewall_inbound', [b]) : undefined;
      at(1_000);
      join(c, b);
      if (o.joinInside === true) join(d, c); // a later try inside the part changes nothing
      if (firewall !== undefined && o.revertAtMs !== undefined) {
        at(o.revertAtMs);
        revert(firewall, 'firewall_inbound');
      }
      at(o.atMs);
      const others = otherCutWindows(world, { targets: [a.nodeId], params: {} }, 0);
      const from = cutOffFrom(world, others, 'mesh-a', a.nodeId, o.atMs);
      expect(from.has(d.nodeId)).toBe(from.has(c.nodeId)); // the part is judged whole
      return from.has(c.nodeId);
    };
    expect(excused({ contactCut: true, atMs: 1_500 })).toBe(true);
    expect(excused({ contactCut: true, atMs: 1_500, joinInside: true })).toBe(true);
    // Red: a try to a contact nothing else cut off is the part's own to make good.
    expect(excused({ contactCut: false, atMs: 1_500 })).toBe(false);
    // The cut lifted at 2 s (and its rejoin allowance after): excused until a seed check and a
    // dial later, when the part's next try is due; not after.
    const lapseMs = 2_000 + REJOIN_ALLOWANCE_MS + T.seedCheckIntervalMs + T.dialTimeoutMs;
    expect(excused({ contactCut: true, atMs: lapseMs - 1, revertAtMs: 2_000 })).toBe(true);
    expect(excused({ contactCut: true, atMs: lapseMs, revertAtMs: 2_000 })).toBe(false);
  });

  it('a drop the mesh chose counts against a stripped node only until it takes up another peer', () => {
    const stripped = (madeUp: boolean, cause: NeighborDownCause = 'evicted') => {
      const s = setup();
      const { world, a, b, c, d, at, up, down, chaos } = s;
      startBesideAB(s, c);
      if (madeUp) {
        up(c, b);
        down(c, b, cause); // c drops b …
        up(c, d); // … and takes d up after it: nobody reaches c, and its one link goes to d
      } else {
        up(c, d);
        up(c, b);
        down(c, b, cause); // the same links, but the drop comes last: nothing made up for it
      }
      at(1_000);
      chaos('kill_node', [d]);
      return { world, a, c, others: otherCutWindows(world, { targets: [a.nodeId], params: {} }, 1_000) };
    };
    // clock-skew-60s --chaos 20, seed 270: an eviction at boot, refilled at once, 50 s before.
    const earlier = stripped(true);
    expectExcused(earlier.world, earlier.others, earlier.a.nodeId, earlier.c.nodeId, true);
    // Red: the view the mesh thinned and never refilled is not the other events' doing: c's own
    // eviction of b, or b's loss over a link no event cut.
    for (const cause of ['evicted', 'peer-down'] as const) {
      const last = stripped(false, cause);
      expectExcused(last.world, last.others, last.a.nodeId, last.c.nodeId, false);
    }
    // But b's Disconnect (b evicted c) is: c's refill asks with low priority, which a full overlay
    // refuses (firewall-inbound --chaos 20, seed 2027).
    const evictedByPeer = stripped(false, 'disconnect');
    expectExcused(evictedByPeer.world, evictedByPeer.others, evictedByPeer.a.nodeId, evictedByPeer.c.nodeId, true);
  });

  it('an island the other events stripped: nodes holding only each other (nat-shift --chaos 20, seed 438)', () => {
    const island = (extra?: (s: ReturnType<typeof setup>) => void) => {
      const s = setup();
      const { world, a, b, c, d, at, up, down, chaos } = s;
      startBesideAB(s, c, d);
      up(c, d);
      up(d, c);
      up(c, b); // c → b only: b never took c up, so nobody outside the island reaches it
      extra?.(s);
      at(1_000);
      chaos('kill_node', [b]);
      at(1_100);
      down(c, b, 'peer-down');
      return { ...s, others: otherCutWindows(world, { targets: [a.nodeId], params: {} }, 1_000) };
    };
    // c and d hold each other, and the kill took c's one link out: both excused, either way.
    const stripped = island();
    expectExcused(stripped.world, stripped.others, stripped.a.nodeId, stripped.c.nodeId, true);
    expectExcused(stripped.world, stripped.others, stripped.a.nodeId, stripped.d.nodeId, true);
    // Red: one link out of the island that no event cut (d → a) leaves it on the overlay.
    const linkedOut = island(({ up, d, a }) => up(d, a));
    expectExcused(linkedOut.world, linkedOut.others, linkedOut.a.nodeId, linkedOut.c.nodeId, false);
    // Red: d dropped its link out by its own eviction and took no one up, which the mesh chose:
    // not excused. Evicted by a (a's Disconnect), it is: its low-priority refill finds views full.
    for (const [cause, excused] of [['evicted', false], ['disconnect', true]] as const) {
      const dropped = island(({ up, down, d, a }) => {
        up(d, a);
        down(d, a, cause);
      });
      expectExcused(dropped.world, dropped.others, dropped.a.nodeId, dropped.c.nodeId, excused);
    }
  });
});

describe('reach: nodes under chaos', () => {
  it('an event holds its targets until it is reverted and passed; one that failed holds them for good', () => {
    const { tel, a, b, c, at, chaos } = setup();
    const end = (applied: { traceId: string; spanId: string }, result: string) => {
      tel.emit(HARNESS_NODE, 'chaos.primitive.detected', { name: 'kill_node', result, waitedMs: 1 }, { parent: applied });
      tel.emit(HARNESS_NODE, 'chaos.primitive.reverted', { name: 'kill_node' }, { parent: applied });
    };
    at(100);
    const passedEvent = chaos('kill_node', [a]);
    const failedEvent = chaos('nat_shift', [b]);
    chaos('wedge_node', [c]); // never ends
    expect([...underChaosAt(tel.query, 100)].sort()).toEqual([a.name, b.name, c.name].sort());
    at(200);
    end(passedEvent, 'passed');
    end(failedEvent, 'failed_timeout');
    expect([...underChaosAt(tel.query, 200)].sort()).toEqual([b.name, c.name].sort());
    // Before the verdicts were written, all three were still held.
    expect(underChaosAt(tel.query, 150).size).toBe(3);
  });
});
