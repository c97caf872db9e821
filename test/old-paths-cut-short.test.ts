/**
 * When concurrent faults, or nodes joining, explain that no old path of a NAT-shifted node
 * idled out (src/primitives/old-paths-cut-short.ts).
 *
 * Also: a newcomer that had just started (a boot) counts as one another fault hit, one up for
 * longer than the rejoin allowance does not; a short-lived path that never carried a neighbour
 * relation and was closed as unused is left out, but alone it excuses nothing, and one that
 * carried a relation counts like any other; so is one whose relation only one end held, swept
 * as unused by the other end, the holding end drawing the reset that answered it.
 *
 * Goal: the excuse holds exactly when every old path was cut short by another fault — one end
 * closed it as unused after evicting the other end to admit a node another fault hit (a node
 * cut's target, or a node a subset cut held on the other side), and the other end heard none of
 * it and was superseded by a fresh connection or closed the path as unused itself after that
 * eviction — and not when the newcomer was under no fault, on the evicting end's own side of a
 * subset cut or only across a cut link, the eviction came after that fault's window, the other
 * end heard the Disconnect or saw the close (the path was alive: nothing was shifted), it closed
 * the path before the eviction, one path was cut short for another reason, or there is no old
 * path at all (the red cases).
 * Method: connection, neighbour and chaos spans written into an unstarted cluster's trace by hand,
 * shaped like seeds/nat-shift-old-paths-cut-short-by-rejoining-nodes.json and
 * seeds/nat-shift-old-path-closed-unused-at-both-ends.json.
 */
import { describe, expect, it } from 'vitest';
import { oldPathsCutShort, type PathEnd } from '../src/primitives/old-paths-cut-short.js';
import { otherCutWindows } from '../src/primitives/reach.js';
import type { Fault } from '../src/primitives/types.js';
import type { CloseReason } from '../src/sim/network/types.js';
import { worldOf } from './support/chaos.js';
import { handTrace } from './support/hand-trace.js';

const SHIFT_AT_MS = 1_000;

function setup() {
  const t = handTrace('old-paths-cut-short');
  const { world, tel, at, chaos, connected, disconnected, up, down } = t;
  const [victim, p, q, n] = t.nodes;
  const o = t.observer();
  type Node = typeof victim;
  /** `from` evicts `out` from its active view to admit `newcomer`. */
  const evict = (from: Node, out: Node, newcomer: Node) => {
    down(from, out, 'evicted');
    up(from, newcomer);
  };
  const closeUnused = (from: Node, to: Node) => disconnected(from, to, 'closed-locally', 'unused');
  const hearDisconnect = (from: Node, to: Node) => down(from, to, 'disconnect');
  const hearClose = (from: Node, to: Node) => disconnected(from, to, 'closed-by-peer');
  const disconnectedBy = (from: Node, to: Node, reason: CloseReason) => disconnected(from, to, reason);
  const connect = (from: Node, to: Node, direction: 'inbound' | 'outbound' = 'inbound') => connected(from, to, direction);
  const ready = (node: Node) => t.ready(node, { nodeType: 'gateway' });
  const join = (from: Node, seed: Node) => tel.emit(from.name, 'mesh.gossip.join', { topic: 'mesh-a', peerId: seed.nodeId });
  const dialFailed = (from: Node, to: Node) => tel.emit(from.name, 'mesh.peer.dial_failed', { peerId: to.nodeId, reason: 'timeout' });
  const ends = (...peers: Node[]): PathEnd[] => peers.flatMap((x) => [{ node: x.nodeId, peer: victim.nodeId }, { node: victim.nodeId, peer: x.nodeId }]);
  /** Whether, for the shift of `victim` at SHIFT_AT_MS, the other faults cut short every old path to `peers`. */
  const cutShortAt = (shiftAtMs: number, ...peers: Node[]) => {
    const own: Fault = { targets: [victim.nodeId], params: {} };
    return oldPathsCutShort(world, otherCutWindows(world, own, shiftAtMs), ends(...peers), shiftAtMs);
  };
  const cutShort = (...peers: Node[]) => cutShortAt(SHIFT_AT_MS, ...peers);
  /**
   * The soak's shape: n is killed, the victim shifted, and n's restart rejoins at 3 s; or, with
   * another primitive and targets, that event cuts them from 0.5 s and is reverted at 3 s.
   */
  const rejoinAfterShift = (primitive = 'burst_kill', targets: Node[] = [n]) => {
    at(500);
    const kill = chaos(primitive, targets);
    at(SHIFT_AT_MS);
    chaos('nat_shift', [victim]);
    at(3_000);
    t.revert(kill, primitive);
    return kill;
  };
  /** p evicts the victim to admit `newcomer`, then closes the old path as unused at 5 s. */
  const pDropsVictimFor = (newcomer: Node) => {
    evict(p, victim, newcomer);
    at(5_000);
    closeUnused(p, victim);
  };
  return { cluster: t.cluster, tel, victim, p, q, n, o, at, chaos, revert: t.revert, evict, closeUnused, hearDisconnect, hearClose, disconnectedBy, connect, ready, neighbourUp: up, join, dialFailed, cutShort, cutShortAt, rejoinAfterShift, pDropsVictimFor };
}

describe('old paths cut short by concurrent faults', () => {
  it('holds when a rejoining node displaced the path and its close went unheard', () => {
    const { victim, p, n, at, connect, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift();
    pDropsVictimFor(n);
    expect(cutShort(p)).toBe(false); // the victim's end has not shown yet that the path was dead
    at(10_000);
    connect(victim, p); // superseded by a fresh connection at the new address, the old one still open
    expect(cutShort(p)).toBe(true);
  });

  it('reads the closing end\'s spans when only the victim\'s end is judged (the peer is down now)', () => {
    // mesh-grow-shrink under --chaos 20, seed 471: a gateway evicted the shifted broker for a
    // newcomer and closed the path as unused; the broker's end drew the reset; another event
    // killed the gateway 3.7 s later, so the detector judged the broker's end alone.
    const t = setup();
    t.rejoinAfterShift();
    t.pDropsVictimFor(t.n);
    t.at(5_100);
    t.disconnectedBy(t.victim, t.p, 'reset');
    const victimEnd: PathEnd[] = [{ node: t.victim.nodeId, peer: t.p.nodeId }];
    const own: Fault = { targets: [t.victim.nodeId], params: {} };
    expect(oldPathsCutShort(worldOf(t.cluster), otherCutWindows(worldOf(t.cluster), own, SHIFT_AT_MS), victimEnd, SHIFT_AT_MS)).toBe(true);
    expect(t.cutShort(t.p)).toBe(true); // the same as with both ends
  });

  it('holds when the other end, never told, dropped the path from its own view and closed it as unused too', () => {
    // seeds/nat-shift-old-path-closed-unused-at-both-ends.json: the victim evicted the peer 9 s
    // after the peer had evicted it, so the Disconnect had not arrived over the old path.
    const { victim, p, q, n, at, evict, closeUnused, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift();
    pDropsVictimFor(n);
    expect(cutShort(p)).toBe(false);
    at(8_000);
    evict(victim, p, q);
    closeUnused(victim, p);
    expect(cutShort(p)).toBe(true);
  });

  it('holds when the other end was first ended by the reset the close drew, not before the eviction', () => {
    // A running endpoint answers a packet for a connection it closed with a stateless reset
    // (RFC 9000 §10.3): the victim's next packet on the old path ends its end with a reset
    // shortly after p's close, before either end could idle out (the default layout's --chaos 20,
    // seed 31, in test/primitives/compound-faults.test.ts, run whole).
    const after = setup();
    after.rejoinAfterShift();
    after.pDropsVictimFor(after.n);
    after.at(5_100);
    after.disconnectedBy(after.victim, after.p, 'reset');
    expect(after.cutShort(after.p)).toBe(true);
    // Red: the victim's end was reset before p evicted it (a path that ended for another cause).
    const before = setup();
    before.rejoinAfterShift();
    before.disconnectedBy(before.victim, before.p, 'reset');
    before.at(3_500);
    before.pDropsVictimFor(before.n);
    expect(before.cutShort(before.p)).toBe(false);
  });

  it('red: the other end closed the path as unused before the eviction whose Disconnect it would have heard', () => {
    const { victim, p, q, n, at, evict, closeUnused, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift();
    evict(victim, p, q);
    closeUnused(victim, p);
    at(3_500);
    pDropsVictimFor(n);
    expect(cutShort(p)).toBe(false);
  });

  it('red: the newcomer was under no other fault', () => {
    const { victim, p, q, connect, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift();
    pDropsVictimFor(q);
    connect(victim, p);
    expect(cutShort(p)).toBe(false);
  });

  it('red: the eviction came after the other fault\'s window (revert + rejoin allowance)', () => {
    const { victim, p, n, at, evict, closeUnused, cutShort, rejoinAfterShift } = setup();
    rejoinAfterShift();
    at(9_000);
    evict(p, victim, n);
    at(11_000);
    closeUnused(p, victim);
    expect(cutShort(p)).toBe(false);
  });

  it('red: the other end heard the Disconnect or the close, so the old path was alive (nothing was shifted)', () => {
    const { victim, p, n, at, evict, closeUnused, hearDisconnect, hearClose, connect, cutShort, rejoinAfterShift } = setup();
    rejoinAfterShift();
    evict(p, victim, n);
    hearDisconnect(victim, p);
    at(5_000);
    closeUnused(p, victim);
    closeUnused(victim, p); // as in a live run: both ends drop the unused connection
    connect(victim, p);
    expect(cutShort(p)).toBe(false);
    const closed = setup();
    closed.rejoinAfterShift();
    closed.evict(closed.p, closed.victim, closed.n);
    closed.at(5_000);
    closed.closeUnused(closed.p, closed.victim);
    closed.hearClose(closed.victim, closed.p);
    expect(closed.cutShort(closed.p)).toBe(false);
    // Told of the Disconnect, yet superseded before the close: still a live path.
    const told = setup();
    told.rejoinAfterShift();
    told.evict(told.p, told.victim, told.n);
    told.hearDisconnect(told.victim, told.p);
    told.at(4_000);
    told.connect(told.victim, told.p);
    told.at(5_000);
    told.closeUnused(told.p, told.victim);
    expect(told.cutShort(told.p)).toBe(false);
    void hearClose;
  });

  it('red: one old path ended for a reason no other fault explains', () => {
    const { victim, p, q, n, connect, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift();
    pDropsVictimFor(n);
    connect(victim, p);
    connect(victim, q); // q's path only superseded: it could have idled out on q's side otherwise
    connect(q, victim);
    expect(cutShort(p)).toBe(true);
    expect(cutShort(p, q)).toBe(false);
  });

  it('holds when the newcomer comes back across a subset cut that healed', () => {
    // The default layout with --chaos 20, seed 31: a partition_subset healed 26 s after the
    // shift, and nodes it had held on the other side joined through the victim's old peers.
    const { victim, p, n, at, connect, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift('partition_subset', [n]);
    pDropsVictimFor(n);
    at(10_000);
    connect(victim, p);
    expect(cutShort(p)).toBe(true);
  });

  it('red: the newcomer was on the evicting end\'s own side of the subset cut, or only a link was cut', () => {
    const { victim, p, n, at, connect, cutShort, rejoinAfterShift, pDropsVictimFor } = setup();
    rejoinAfterShift('partition_subset', [n, p]);
    pDropsVictimFor(n);
    at(10_000);
    connect(victim, p);
    expect(cutShort(p)).toBe(false);
    const pair = setup();
    pair.rejoinAfterShift('partition_pair', [pair.p, pair.n]);
    pair.pDropsVictimFor(pair.n);
    pair.at(10_000);
    pair.connect(pair.victim, pair.p);
    expect(pair.cutShort(pair.p)).toBe(false);
  });

  it('holds when the evicting end rejoined through a contact another fault held away from it; red without its Join or its fault', () => {
    /** `faulted` is cut from 0.5 to 3 s; p joins through `contact` (if any), then evicts the victim for `newcomer`. */
    const evictedWhileRejoining = (primitive: string, faulted: 'p' | 'o' | 'n', contact: 'o' | null, newcomer: 'o' | 'q') => {
      const t = setup();
      t.rejoinAfterShift(primitive, [t[faulted]]);
      if (contact !== null) t.join(t.p, t[contact]);
      t.pDropsVictimFor(t[newcomer]);
      t.at(10_000);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p);
    };
    // gossip-mesh-to-mesh-chaos under --chaos 20, seed 1104: a bridge's own NAT shift emptied a
    // topic's view, its seed check joined every topic through the observer, and taking the
    // observer up evicted the victim, whose path it closed as unused before either end idled out.
    expect(evictedWhileRejoining('nat_shift', 'p', 'o', 'o')).toBe(true);
    // The newcomer may be a walk's end rather than the contact, and the fault may have taken the
    // contact (the evicting end's seed) instead: burst-kill-5, seed 1223.
    expect(evictedWhileRejoining('burst_kill', 'o', 'o', 'q')).toBe(true);
    // Red: the same fault on the evicting end, but the newcomer came to it (no Join of its own).
    expect(evictedWhileRejoining('nat_shift', 'p', null, 'o')).toBe(false);
    // Red: the Join, but no fault had cut the evicting end off (the other fault took n).
    expect(evictedWhileRejoining('burst_kill', 'n', 'o', 'o')).toBe(false);
  });

  it("holds past a node fault's window when the evicting end rejoined through the revived seed at its next seed check; red for a Join elsewhere", () => {
    // chaos-soak-9prim-1min under --chaos 20, seed 1335: a compute whose seed a kill_node took
    // until 60.6 s joined through it at 66.3 s, past the revert plus the rejoin allowance, and
    // evicted the victim to take it up.
    const late = (contact: 'o' | 'q') => {
      const t = setup();
      t.rejoinAfterShift('burst_kill', [t.o]); // o cut from 0.5 s, reverted at 3 s: window until 8 s
      t.at(9_000);
      t.join(t.p, t[contact]);
      t.evict(t.p, t.victim, t[contact]);
      t.at(11_000);
      t.closeUnused(t.p, t.victim);
      t.at(14_000);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p);
    };
    expect([late('o'), late('q')]).toEqual([true, false]);
  });

  it("holds past a subset cut's window when the newcomer's seed dialer, backing off at the heal, got through only at its retry; red past the retry and the allowance", () => {
    // A node a partition_subset held on the other side retries its seed with a growing backoff
    // (a dial times out after 5 s, then waits 2, 4, 8 s). Its dial begun just before the heal
    // fails a dial timeout after it and arms an 8 s retry: it reaches its seed, and sends its
    // Join, only then, past the heal's rejoin allowance and past a seed-check interval after the
    // heal (so no Join of its own within that interval explains it). A walk of that Join ends at
    // p, whose full view evicts the shifted victim to take it up; p closes the path as unused
    // before either end could idle out. The heal explains the eviction until the retry plus the
    // allowance (mesh-grow-shrink under --chaos 8, seed 112, before the redial fix: retries 4 s
    // after dials that timed out 1.5 s after the heal). Red: the eviction came past that; or the
    // retry was armed later than a dial timeout after the heal (a dial begun after it).
    const build = (lastRetryAtMs: number, evictAfterJoinMs: number) => {
      const t = setup();
      const retry = (attempt: number, delayMs: number) => {
        t.dialFailed(t.n, t.o);
        t.tel.emit(t.n.name, 'mesh.seed.retry', { attempt, delayMs, peerId: t.o.nodeId });
      };
      t.at(500);
      const cut = t.chaos('partition_subset', [t.n]);
      t.at(5_500);
      retry(1, 2_000);
      t.at(12_500);
      retry(2, 4_000);
      t.at(17_000);
      t.chaos('nat_shift', [t.victim]);
      t.at(18_000);
      t.revert(cut, 'partition_subset'); // the heal: its window ends at 23 s, a seed-check interval after it at 28 s
      t.at(lastRetryAtMs);
      retry(3, 8_000);
      const joinAtMs = lastRetryAtMs + 8_000;
      t.at(joinAtMs);
      t.join(t.n, t.o);
      t.at(joinAtMs + evictAfterJoinMs);
      t.evict(t.p, t.victim, t.n);
      t.at(joinAtMs + evictAfterJoinMs + 1_500);
      t.closeUnused(t.p, t.victim);
      t.at(joinAtMs + evictAfterJoinMs + 3_000);
      t.connect(t.victim, t.p); // the victim's end, unaware, superseded at the new address
      return t.cutShortAt(17_000, t.p);
    };
    expect(build(21_500, 100)).toBe(true);
    expect(build(21_500, 5_100)).toBe(false);
    expect(build(23_500, 100)).toBe(false);
  });

  it('holds when the newcomer was rejoining through the evicting end, its own seed held away by another event; red without the failed dial or with it to a node not held away', () => {
    // clock-skew-60s under --chaos 20, seed 3030: a compute, its view emptied by other events,
    // failed to dial its seed inside a partition_subset and joined through the observer 5 s
    // later; the observer evicted the shifted broker to take it up and closed the path as unused.
    // Here q (n's seed) is cut from the rest from 0.5 to 3 s and n's dial to it fails at 2.5 s;
    // n, outside the cut like p, is held away from p by nothing, did not just start and was
    // evicted by no one: only its Join through p at 4.5 s, after that failed dial, says it came
    // in because of the cut.
    const rejoinedThroughEvictor = (dialed: 'q' | 'o' | null) => {
      const t = setup();
      t.at(500);
      const cut = t.chaos('partition_subset', [t.q]);
      t.at(SHIFT_AT_MS);
      t.chaos('nat_shift', [t.victim]);
      t.at(2_500);
      if (dialed !== null) t.dialFailed(t.n, t[dialed]);
      t.at(3_000);
      t.revert(cut, 'partition_subset');
      t.at(4_500);
      t.join(t.n, t.p);
      t.at(4_600);
      t.evict(t.p, t.victim, t.n);
      t.at(6_000);
      t.closeUnused(t.p, t.victim);
      t.at(10_000);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p);
    };
    expect([rejoinedThroughEvictor('q'), rejoinedThroughEvictor(null), rejoinedThroughEvictor('o')]).toEqual([true, false, false]);
  });

  it('holds when the newcomer had just started (a boot, no other fault), and not when it started long before', () => {
    // 10,000 nodes, --chaos 40, seed 3: amid the boot, old neighbours evicted the shifted node
    // to admit nodes that had just started.
    const joining = setup();
    joining.at(SHIFT_AT_MS);
    joining.chaos('nat_shift', [joining.victim]);
    joining.at(2_000);
    joining.ready(joining.q);
    joining.at(2_500);
    joining.pDropsVictimFor(joining.q);
    joining.at(6_000);
    joining.connect(joining.victim, joining.p);
    expect(joining.cutShort(joining.p)).toBe(true);
    // Red: the newcomer had been up for longer than the rejoin allowance.
    const settled = setup();
    settled.ready(settled.q);
    settled.at(SHIFT_AT_MS);
    settled.chaos('nat_shift', [settled.victim]);
    settled.at(5_500);
    settled.evict(settled.p, settled.victim, settled.q);
    settled.at(7_000);
    settled.closeUnused(settled.p, settled.victim);
    settled.at(9_000);
    settled.connect(settled.victim, settled.p);
    expect(settled.cutShort(settled.p)).toBe(false);
  });

  it('leaves out a short-lived path that never carried a neighbour relation and was closed as unused', () => {
    // The same run: two of the six old paths were a join's connections, closed as unused.
    const build = (related: boolean) => {
      const t = setup();
      t.connect(t.victim, t.q);
      t.connect(t.q, t.victim);
      if (related) t.neighbourUp(t.q, t.victim);
      t.rejoinAfterShift();
      t.pDropsVictimFor(t.n);
      t.closeUnused(t.victim, t.q);
      t.at(5_200);
      t.closeUnused(t.q, t.victim);
      t.at(6_000);
      t.connect(t.victim, t.p);
      return t;
    };
    const transient = build(false);
    expect(transient.cutShort(transient.p, transient.q)).toBe(true);
    // Alone (every old path transient) nothing could have shown the shift by silence, as with no
    // old path at all (mesh-grow-shrink --chaos 20, seed 147).
    expect(transient.cutShort(transient.q)).toBe(true);
    // Red: a path that carried a neighbour relation must be cut short like any other.
    const overlay = build(true);
    expect(overlay.cutShort(overlay.p, overlay.q)).toBe(false);
    expect(overlay.cutShort(overlay.q)).toBe(false);
  });

  it('leaves out a path one end held no relation on and swept, the holding end ended by the reset the close drew', () => {
    // lossy-link-25pct under --chaos 20, seed 7038: a broker wedged until 60.62 s took a
    // restarted gateway's Neighbor request from its backlog and let it go again at the gateway's
    // close, but its reply still took the gateway's view. The gateway was shifted at 61.26 s, the
    // broker swept the connection as unused at 66.21 s, and the gateway's end drew a reset 38 ms
    // later. The broker's sweep ends such a connection whether or not the path is alive.
    const build = (qHolds: boolean, victimEnd: 'reset after' | 'reset before' | 'heard') => {
      const t = setup();
      t.connect(t.victim, t.q);
      t.connect(t.q, t.victim, 'outbound');
      t.neighbourUp(t.victim, t.q);
      if (qHolds) t.neighbourUp(t.q, t.victim);
      t.rejoinAfterShift();
      t.pDropsVictimFor(t.n); // the p path is cut short
      t.at(5_200);
      if (victimEnd === 'reset before') t.disconnectedBy(t.victim, t.q, 'reset');
      t.closeUnused(t.q, t.victim);
      t.at(5_240);
      if (victimEnd === 'reset after') t.disconnectedBy(t.victim, t.q, 'reset');
      if (victimEnd === 'heard') t.hearClose(t.victim, t.q);
      t.at(6_000);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p, t.q);
    };
    expect(build(false, 'reset after')).toBe(true);
    // Red: q held the victim too (a relation at both ends must be cut short like any other); the
    // victim's end drew its reset before q's close (not the close's answer); or it heard the
    // close (the path was alive: nothing was shifted).
    expect(build(true, 'reset after')).toBe(false);
    expect(build(false, 'reset before')).toBe(false);
    expect(build(false, 'heard')).toBe(false);
  });

  it('leaves out a path whose relation both ends had let go before the shift, closed as unused after it', () => {
    // flap-link under --chaos 20, seed 503: the observer evicted the compute 24 ms before its
    // shift, the compute heard the Disconnect 10 ms before it, and both swept the idle
    // connection 2.0 and 2.4 s after.
    const build = (heardBeforeShift: boolean) => {
      const t = setup();
      t.at(500);
      const kill = t.chaos('burst_kill', [t.n]); // rejoinAfterShift's shape, written out around q's eviction
      t.connect(t.victim, t.q);
      t.connect(t.q, t.victim);
      t.neighbourUp(t.q, t.victim);
      t.neighbourUp(t.victim, t.q);
      t.at(SHIFT_AT_MS - 24);
      t.evict(t.q, t.victim, t.o);
      if (heardBeforeShift) {
        t.at(SHIFT_AT_MS - 10);
        t.hearDisconnect(t.victim, t.q);
      }
      t.at(SHIFT_AT_MS);
      t.chaos('nat_shift', [t.victim]);
      t.at(3_000);
      t.revert(kill, 'burst_kill');
      t.pDropsVictimFor(t.n); // the p path is cut short
      t.closeUnused(t.q, t.victim);
      t.at(5_400);
      t.closeUnused(t.victim, t.q);
      t.at(6_000);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p, t.q);
    };
    expect(build(true)).toBe(true);
    // Red: the victim still held q at the shift (the Disconnect had not arrived): a path that
    // carried a relation then must be cut short like any other.
    expect(build(false)).toBe(false);
  });

  it('holds when the newcomer rejoins across a healed subset cut at its seed check, after the allowance', () => {
    // nat-shift under --chaos 20, seed 96: nodes of a subset cut healed at 83.1 s sent their
    // Joins at their next seed check, 89.1 and 89.4 s, and old peers evicted the shifted node
    // to admit them.
    const build = (joinAtMs: number | null) => {
      const t = setup();
      t.rejoinAfterShift('partition_subset', [t.n]); // healed at 3 s: the window ends at 8 s
      if (joinAtMs !== null) {
        t.at(joinAtMs);
        t.join(t.n, t.o);
      }
      const evictAtMs = Math.max(joinAtMs ?? 0, 9_000) + 100;
      t.at(evictAtMs);
      t.evict(t.p, t.victim, t.n);
      t.at(evictAtMs + 1_500);
      t.closeUnused(t.p, t.victim);
      t.at(evictAtMs + 2_500);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p);
    };
    expect(build(9_500)).toBe(true);
    // Red: no Join since the heal, or the first one later than a seed-check interval after it.
    expect(build(null)).toBe(false);
    expect(build(13_500)).toBe(false);
  });

  it('holds when the newcomer came back after a disturbed node\'s arrival had just evicted it, one step on only', () => {
    // nat-shift under --chaos 20, seed 96: the shifted registry evicted a bridge for a node of a
    // healed subset cut; the bridge, its view empty, asked again, and the registry evicted the
    // old path's peer to take it back.
    const build = (steps: 1 | 2, atMs: number) => {
      const t = setup();
      t.rejoinAfterShift('partition_subset', [t.n]); // the window ends at 8 s
      t.at(atMs);
      let bounced = t.q;
      t.evict(t.o, t.q, t.n); // o evicts q for the disturbed newcomer
      t.hearDisconnect(t.q, t.o);
      if (steps === 2) {
        t.evict(t.victim, t.o, t.q); // q comes back at the victim, which evicts o for it
        t.hearDisconnect(t.o, t.victim);
        bounced = t.o;
      }
      t.at(atMs + 20);
      t.evict(t.p, t.victim, bounced); // p evicts the old path's peer to take the bounced node
      t.at(atMs + 1_500);
      t.closeUnused(t.p, t.victim);
      t.at(atMs + 2_500);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p);
    };
    expect(build(1, 3_500)).toBe(true);
    // Red: two steps from the disturbed arrival; or the first eviction after the cut's window.
    expect(build(2, 3_500)).toBe(false);
    expect(build(1, 9_000)).toBe(false);
  });

  it('holds when the victim had just started and its sweep closed a path its view never took, unheard', () => {
    // partition-subset under --chaos 20, seed 131: a node shifted 32 ms after its restart; the
    // observer took its Join, sent before the shift; its own view never took the observer, it
    // closed the connection as unused, and the observer's end, hearing nothing, was superseded
    // at the victim's seed check.
    const build = (startedAtMs: number, variant: 'unheard' | 'heard' | 'related') => {
      const t = setup();
      t.at(startedAtMs);
      t.ready(t.victim);
      t.at(SHIFT_AT_MS - 20);
      t.connect(t.victim, t.p);
      t.connect(t.p, t.victim);
      t.neighbourUp(t.p, t.victim);
      if (variant === 'related') t.neighbourUp(t.victim, t.p);
      t.at(SHIFT_AT_MS);
      t.chaos('nat_shift', [t.victim]);
      t.at(3_300);
      t.closeUnused(t.victim, t.p);
      if (variant === 'heard') t.hearClose(t.p, t.victim);
      t.at(11_700);
      t.connect(t.p, t.victim);
      t.connect(t.victim, t.p);
      return t.cutShort(t.p);
    };
    expect(build(SHIFT_AT_MS - 32, 'unheard')).toBe(true);
    // Red: up for longer than the rejoin allowance; the other end heard the close (the path
    // was alive); or the victim's view had taken the peer (an eviction must explain the close).
    expect(build(SHIFT_AT_MS - 32, 'heard')).toBe(false);
    expect(build(SHIFT_AT_MS - 32, 'related')).toBe(false);
    const early = setup();
    early.ready(early.victim);
    early.at(SHIFT_AT_MS - 20);
    early.connect(early.victim, early.p);
    early.connect(early.p, early.victim);
    early.neighbourUp(early.p, early.victim); // as above: not a transient path
    early.at(6_100);
    early.chaos('nat_shift', [early.victim]); // 6.1 s after its start
    early.at(8_400);
    early.closeUnused(early.victim, early.p);
    early.at(16_800);
    early.connect(early.p, early.victim);
    expect(early.cutShortAt(6_100, early.p)).toBe(false);
  });

  it('leaves out a path whose far end opened just after the shift, judging relations of that connection only', () => {
    // wedge-node-5s under --chaos 20, seed 221: a registry's dial of a node restarted 35 ms
    // before its shift completed 8 ms after it; both ends closed the unused connection, and the
    // registry's later neighbour relation rode a new connection.
    const t = setup();
    t.at(500);
    const kill = t.chaos('burst_kill', [t.n]);
    t.at(SHIFT_AT_MS - 10);
    t.connect(t.victim, t.q);
    t.at(SHIFT_AT_MS);
    t.chaos('nat_shift', [t.victim]);
    t.at(SHIFT_AT_MS + 8);
    t.connect(t.q, t.victim);
    t.at(3_000);
    t.revert(kill, 'burst_kill');
    t.pDropsVictimFor(t.n); // the p path is cut short, at 5 s
    t.at(5_100);
    t.closeUnused(t.q, t.victim);
    t.at(5_200);
    t.closeUnused(t.victim, t.q);
    t.at(6_000);
    t.connect(t.victim, t.p);
    t.at(8_990);
    t.connect(t.q, t.victim);
    t.neighbourUp(t.q, t.victim);
    expect(t.cutShort(t.p, t.q)).toBe(true);
    // Alone, every old path was transient: none could have shown the shift by silence.
    expect(t.cutShort(t.q)).toBe(true);
  });

  it('holds when the far end\'s process was taken by another event after the eviction, the Disconnect unheard', () => {
    // mesh-grow-shrink under --chaos 20, seed 170: the shifted broker evicted a gateway 23.3 s
    // after the shift, for a node just started, and closed the path; a kill_node took the
    // gateway 4.7 s later, 2 s before its end would have idled out.
    const build = (killAtMs: number | null, heard: boolean) => {
      const t = setup();
      t.rejoinAfterShift(); // n disturbed until 8 s
      t.at(3_500);
      t.evict(t.victim, t.p, t.n);
      if (heard) {
        t.at(3_520);
        t.hearDisconnect(t.p, t.victim);
      }
      const kill = () => {
        t.at(killAtMs!);
        t.chaos('kill_node', [t.p]);
      };
      if (killAtMs !== null && killAtMs < 5_000) kill();
      t.at(5_000);
      t.closeUnused(t.victim, t.p);
      if (killAtMs !== null && killAtMs >= 5_000) kill();
      return t.cutShort(t.p);
    };
    expect(build(8_200, false)).toBe(true);
    // Red: never taken; taken within a second of the eviction (its Disconnect may have been on
    // its way); or it had heard the Disconnect (the path was alive).
    expect(build(null, false)).toBe(false);
    expect(build(3_900, false)).toBe(false);
    expect(build(8_200, true)).toBe(false);
  });

  it('holds when the far end left the mesh after the shift, before it could idle out, the Disconnect unheard', () => {
    // mesh-grow-shrink under --chaos 20: seed 3984, the shifted broker evicted a gateway for a
    // revived node 6.1 s after the shift and closed the path; the gateway left at 60 s (the
    // layout shrinking), 16 s before its end would have idled out. Seed 4012, a compute left 8.7 s
    // after a broker's shift, its goodbye sent to the old address, and the broker evicted it for
    // a newcomer 6 s later.
    const build = (leaveAtMs: number | null, heard: boolean) => {
      const t = setup();
      const leave = () => {
        t.at(leaveAtMs!);
        t.tel.emit(t.p.name, 'mesh.node.stopping', { reason: 'shrink' });
      };
      if (leaveAtMs !== null && leaveAtMs < 500) leave();
      t.rejoinAfterShift(); // n disturbed until 8 s
      if (leaveAtMs !== null && leaveAtMs >= 3_000 && leaveAtMs < 3_500) leave();
      t.at(3_500);
      t.evict(t.victim, t.p, t.n);
      if (heard) {
        t.at(3_520);
        t.hearDisconnect(t.p, t.victim);
      }
      t.at(5_000);
      t.closeUnused(t.victim, t.p);
      if (leaveAtMs !== null && leaveAtMs >= 5_000) leave();
      return t.cutShort(t.p);
    };
    expect(build(8_200, false)).toBe(true); // after the eviction
    expect(build(3_200, false)).toBe(true); // after the shift, before the eviction
    // Red: it never left; it had heard the Disconnect (the path was alive); it left before the
    // shift (its path was gone at the shift, not the shift's to show).
    expect(build(null, false)).toBe(false);
    expect(build(8_200, true)).toBe(false);
    expect(build(400, false)).toBe(false);
  });

  it('holds when the far end\'s process was taken after the shift and before the eviction, sooner than it could idle out', () => {
    // partition-subset under --chaos 20, seed 598: a burst_kill took a bridge 22.9 s after a
    // broker's shift; the broker evicted the dead bridge for a node just revived 1.8 s later and
    // closed the path before its own end could idle out. Neither end could show silence.
    const build = (killAtMs: number, heardAtMs: number | null) => {
      const t = setup();
      const kill = () => {
        t.at(killAtMs);
        t.chaos('kill_node', [t.p]);
      };
      if (killAtMs < 500) kill();
      t.rejoinAfterShift(); // n disturbed until 8 s
      if (heardAtMs !== null) {
        t.at(heardAtMs);
        t.hearDisconnect(t.p, t.victim);
      }
      if (killAtMs >= 500) kill();
      t.at(3_500);
      t.evict(t.victim, t.p, t.n);
      t.at(5_000);
      t.closeUnused(t.victim, t.p);
      return t.cutShort(t.p);
    };
    expect(build(3_200, null)).toBe(true);
    // Red: taken before the shift (its path was another event's at the shift, not the shift's);
    // or it had heard a Disconnect after the shift before it died (the path was alive).
    expect(build(SHIFT_AT_MS - 700, null)).toBe(false);
    expect(build(3_200, 3_100)).toBe(false);
  });

  it('holds when the shift cut a handshake: the dial was accepted before it and failed after it', () => {
    // nat-shift under --chaos 20, seed 407: a broker restarted 19 ms before its shift had its
    // dials accepted 6 and 4 ms before it; both timed out (the answers went to the old address),
    // and the acceptors closed their unused ends 1.7 and 2.8 s later.
    const build = (failAtMs: number | null, completed: boolean, dialledBack = false) => {
      const t = setup();
      t.at(SHIFT_AT_MS - 6);
      t.connect(t.p, t.victim); // p accepts the victim's dial
      t.neighbourUp(t.p, t.victim); // and takes its request: not a transient path
      t.at(SHIFT_AT_MS);
      t.chaos('nat_shift', [t.victim]);
      if (completed) {
        t.at(SHIFT_AT_MS + 10);
        t.connect(t.victim, t.p, 'outbound'); // the victim's dial opened
      }
      if (dialledBack) {
        t.at(SHIFT_AT_MS + 3_300);
        t.connect(t.victim, t.p); // p dialled the victim itself: another path
      }
      if (failAtMs !== null) {
        t.at(failAtMs);
        t.dialFailed(t.victim, t.p);
      }
      t.at(Math.max(failAtMs ?? 0, SHIFT_AT_MS) + 1_700);
      t.closeUnused(t.p, t.victim);
      return t.cutShortAt(SHIFT_AT_MS, t.p);
    };
    expect(build(SHIFT_AT_MS + 4_994, false)).toBe(true);
    // restart-node under --chaos 20, seed 2613: the acceptor dialled back before the dial failed;
    // that connection is not the dial's end.
    expect(build(SHIFT_AT_MS + 4_994, false, true)).toBe(true);
    // Red: the handshake completed (the path was alive), or the dial failed later than a dial
    // timeout after the shift, or did not fail at all.
    expect(build(null, true)).toBe(false);
    expect(build(SHIFT_AT_MS + 6_000, false)).toBe(false);
    expect(build(null, false)).toBe(false);
  });

  it('holds when one connection whose dial began before the shift superseded both ends after it', () => {
    // burst-kill-5 under --chaos 20, seed 3324: the victim dialled p while p was down; p, back,
    // dialled the victim 0.14 s before the shift, and the victim's dial, retried past the shift,
    // opened at both ends 0.6 s after it. The old connections idled out without a span.
    const build = (opts: { victimClosed?: boolean; pClosed?: boolean; wedged?: boolean } = {}) => {
      const t = setup();
      if (opts.wedged === true) {
        t.at(SHIFT_AT_MS - 500);
        t.chaos('wedge_node', [t.victim]);
      }
      t.at(SHIFT_AT_MS - 140);
      t.connect(t.victim, t.p); // the victim takes p's dial in
      t.at(SHIFT_AT_MS - 130);
      t.connect(t.p, t.victim, 'outbound');
      t.neighbourUp(t.p, t.victim);
      t.neighbourUp(t.victim, t.p);
      t.at(SHIFT_AT_MS);
      t.chaos('nat_shift', [t.victim]);
      t.at(SHIFT_AT_MS + 300);
      if (opts.victimClosed === true) t.disconnectedBy(t.victim, t.p, 'reset');
      if (opts.pClosed === true) t.hearClose(t.p, t.victim);
      t.at(SHIFT_AT_MS + 626);
      t.connect(t.p, t.victim); // p takes the victim's dial in
      t.at(SHIFT_AT_MS + 636);
      t.connect(t.victim, t.p, 'outbound');
      return t.cutShortAt(SHIFT_AT_MS, t.p);
    };
    expect(build()).toBe(true);
    // Red: the victim's old end closed first (its dial could have begun after that); p's end was
    // ended by a close first; a wedge of the victim can hold a close's report back.
    expect(build({ victimClosed: true })).toBe(false);
    expect(build({ pClosed: true })).toBe(false);
    expect(build({ wedged: true })).toBe(false);
  });

  it('red: no old path, nothing to explain', () => {
    const { cutShort, rejoinAfterShift } = setup();
    rejoinAfterShift();
    expect(cutShort()).toBe(false);
  });
});
