/**
 * dialsHeldByOthers (src/primitives/evidence.ts): a node that made no connection in a window,
 * and whose every failed dial in it went to a peer other events had cut off from it, could reach
 * nobody it tried; restart_node and firewall_inbound then leave its rejoin to those events.
 * cutDialsWait (src/primitives/reach.ts): the same dials give nat_shift and restart_node the time
 * until those cuts let go, plus a seed retry, a dial and a probe round.
 * Goal: each holds only then. Method: spans written by hand into an unstarted cluster's
 * trace, with the cut given as a function of peer and time, or as a chaos event's window.
 */
import { describe, expect, it } from 'vitest';
import { dialsHeldByOthers } from '../../src/primitives/evidence.js';
import { cutDialsWait, cutWindows, type CutWindow } from '../../src/primitives/reach.js';
import { burstKillSpec } from '../../src/primitives/burst-kill.js';
import { killNodeSpec } from '../../src/primitives/kill-node.js';
import { natShiftSpec } from '../../src/primitives/nat-shift.js';
import { deadlineOf, ExtensibleDeadline } from '../../src/primitives/schema.js';
import { revertedAfterDetectionByMs, T, timersOf } from '../../src/primitives/timing.js';
import { DEFAULT_NETWORK_CONFIG } from '../../src/sim/network/index.js';
import { handTrace } from '../support/hand-trace.js';

function setup() {
  const t = handTrace('dials-held');
  const [node, a, b] = t.nodes;
  const failDial = (peer: typeof a) => t.tel.emit(node.name, 'mesh.peer.dial_failed', { peerId: peer.nodeId, reason: 'timeout' });
  // a is cut off from the node from 1 s to 20 s; b never is.
  const cut = (peer: string, atMs: number) => peer === a.nodeId && atMs >= 1_000 && atMs <= 20_000;
  return { t, node, a, b, failDial, cut };
}

describe('dialsHeldByOthers', () => {
  it('returns the failed dials when every one went to a peer other events cut off', () => {
    const { t, node, a, failDial, cut } = setup();
    t.at(6_000);
    failDial(a);
    t.at(13_000);
    failDial(a);
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 20_000, cut).map((s) => s.endMs)).toEqual([6_000, 13_000]);
  });

  it('counts a dial cut at its start though the cut ended before it timed out', () => {
    const { t, node, a, failDial, cut } = setup();
    t.at(24_000); // started at 19 s, inside the cut
    failDial(a);
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 30_000, cut)).toHaveLength(1);
    t.at(31_000); // started at 26 s: the way was open
    failDial(a);
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 40_000, cut)).toEqual([]);
  });

  it('returns none when one dial went to a peer nothing cut off', () => {
    const { t, node, a, b, failDial, cut } = setup();
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 20_000, cut)).toEqual([]); // no dial at all
    t.at(6_000);
    failDial(a);
    t.at(7_000);
    failDial(b);
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 6_500, cut)).toHaveLength(1);
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 8_000, cut)).toEqual([]);
  });

  it('returns none when the node made a connection in the window', () => {
    const { t, node, a, b, failDial, cut } = setup();
    t.at(6_000);
    failDial(a);
    t.at(7_000);
    t.connected(node, b, 'outbound');
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 6_500, cut)).toHaveLength(1);
    expect(dialsHeldByOthers(t.world, node.nodeId, 1_000, 8_000, cut)).toEqual([]);
  });
});

describe('cutDialsWait', () => {
  // a inside a subset cut from 1 s, reverted at 20 s; b never cut.
  const windowOf = (a: string): CutWindow => ({ name: 'partition_subset', cut: 'subset', targets: new Set([a]), fromMs: 1_000, revertedAtMs: 20_000, untilMs: 25_000 });

  it('waits from the last revert of the cuts every failed dial ran into, by a seed retry, a dial and a probe round', () => {
    const { t, node, a, failDial } = setup();
    t.at(6_000);
    failDial(a);
    t.at(13_000);
    failDial(a);
    const wait = cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 1_000, 14_000);
    // 20 s + seed retry max 30 s + dial timeout 5 s + probe resend 5 s + slack 5 s.
    expect(wait).toEqual({ untilMs: 65_000, formula: 'then, for dials other events cut off (partition_subset reverted @ 20000 ms): revert + seed retry max 30 s + dial timeout 5 s + probe resend 5 s + slack 5 s' });
  });

  it('gives none for a dial to a peer no cut held, for a dial begun after the revert, or with no failed dial', () => {
    const { t, node, a, b, failDial } = setup();
    expect(cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 1_000, 5_000)).toBeNull();
    t.at(6_000);
    failDial(a);
    t.at(7_000);
    failDial(b);
    expect(cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 1_000, 6_500)).not.toBeNull();
    expect(cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 1_000, 8_000)).toBeNull();
    // Timed out at 31 s, so begun at 26 s: past the revert and its rejoin allowance, the way was open.
    t.at(31_000);
    failDial(a);
    expect(cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 30_000, 32_000)).toBeNull();
  });

  it("does not count a window on the node itself: its dials begin once it is back, during the window's rejoin allowance", () => {
    // The node killed by another event from 1 s, revived at 20 s (its window runs to 25 s with
    // the rejoin allowance); it dials b, which nothing cuts, at its revival and after.
    const { t, node, b } = setup();
    const ownKill: CutWindow = { name: 'kill_node', cut: 'node', targets: new Set([node.name]), fromMs: 1_000, revertedAtMs: 20_000, untilMs: 25_000 };
    t.at(20_000);
    t.tel.emit(node.name, 'mesh.peer.dial_failed', { peerId: b.nodeId, reason: 'refused' });
    t.at(22_000);
    t.tel.emit(node.name, 'mesh.peer.dial_failed', { peerId: b.nodeId, reason: 'refused' });
    expect(cutDialsWait(t.world, [ownKill], node.nodeId, 1_000, 23_000)).toBeNull();
    // The same window on the peer holds both.
    expect(cutDialsWait(t.world, [{ ...ownKill, targets: new Set([b.name]) }], node.nodeId, 1_000, 23_000)?.untilMs).toBe(65_000);
  });

  it("counts a dial to one of the detector's own victims as a dead end, but needs one that other events held", () => {
    const { t, node, a, b, failDial } = setup();
    t.at(6_000);
    failDial(a);
    t.at(7_000);
    failDial(b); // b is the detector's own victim here
    expect(cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 1_000, 8_000, [b.nodeId])?.untilMs).toBe(65_000);
    expect(cutDialsWait(t.world, [windowOf(a.name)], node.nodeId, 6_500, 8_000, [b.nodeId])).toBeNull(); // b's dial alone
  });

  it('waits for a cut still in place by when it is due to end, a kill by its deadline, and not for one with no end', () => {
    const { t, node, a, failDial } = setup();
    t.at(6_000);
    failDial(a);
    const inPlace = { ...windowOf(a.name), revertedAtMs: Infinity, untilMs: Infinity };
    expect(cutDialsWait(t.world, [{ ...inPlace, dueMs: 30_000 }], node.nodeId, 1_000, 8_000)).toEqual({
      untilMs: 75_000,
      formula: 'then, for dials other events cut off (partition_subset due to revert @ 30000 ms): revert + seed retry max 30 s + dial timeout 5 s + probe resend 5 s + slack 5 s',
    });
    // A kill is reverted when its detection settles: by its deadline, 47 s after it at the latest.
    const kill = { ...inPlace, name: 'burst_kill', cut: 'node' as const };
    expect(cutDialsWait(t.world, [kill], node.nodeId, 1_000, 8_000)?.formula).toContain('(burst_kill due to revert @ 48000 ms)');
    expect(cutDialsWait(t.world, [{ ...kill, name: 'workload_failure' }], node.nodeId, 1_000, 8_000)).toBeNull(); // never reverted
  });

  it('reads the kills\' and the shift\'s latest revert from the same timers as their specs\' deadlines', () => {
    const slow = timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 60_000, keepAliveMs: 20_000, dialTimeoutMs: 8_000, link: { ...DEFAULT_NETWORK_CONFIG.link, latencyMs: 400, jitterMs: 50 } }, { stalenessTtlMs: 45_000, seedCheckIntervalMs: 7_000 });
    for (const timers of [T, slow]) {
      expect(revertedAfterDetectionByMs('kill_node', timers)).toBe(deadlineOf(killNodeSpec, {}, timers).ms);
      expect(revertedAfterDetectionByMs('burst_kill', timers)).toBe(deadlineOf(burstKillSpec, { count: 3 }, timers).ms);
      expect(revertedAfterDetectionByMs('nat_shift', timers)).toBe(deadlineOf(natShiftSpec, {}, timers).ms);
    }
    expect(revertedAfterDetectionByMs('partition_subset', T)).toBeUndefined();
  });

  it('reads when a fault of fixed length is due to end from its applied span, until it is reverted', () => {
    const { t, a, b } = setup();
    t.at(1_000);
    const subset = t.chaos('partition_subset', [a], '{"size":3,"durationMs":53544}');
    const restart = t.chaos('restart_node', [b], '{"downtimeMs":2404}');
    t.chaos('kill_node', [b]);
    const before = cutWindows(t.world.spans);
    expect(before.map((w) => [w.name, w.dueMs])).toEqual([
      ['partition_subset', 54_544],
      ['restart_node', 3_404],
      ['kill_node', undefined],
    ]);
    t.at(3_404);
    t.revert(restart, 'restart_node');
    t.at(54_544);
    t.revert(subset, 'partition_subset');
    expect(cutWindows(t.world.spans).map((w) => [w.name, w.revertedAtMs, w.dueMs])).toEqual([
      ['partition_subset', 54_544, undefined],
      ['restart_node', 3_404, undefined],
      ['kill_node', Infinity, undefined],
    ]);
  });
});

describe('ExtensibleDeadline', () => {
  it('takes one wait, at the spec deadline, and only one that ends past it', () => {
    const d = new ExtensibleDeadline(10_000, 47_000, 'spec');
    expect(d.open(56_999)).toBe(false);
    expect(d.open(57_000)).toBe(true);
    d.extend({ untilMs: 57_000, formula: 'no later' });
    expect([d.ms, d.formula]).toEqual([47_000, 'spec']);
    d.extend(null);
    d.extend({ untilMs: 80_000, formula: 'then, a' });
    expect([d.ms, d.formula, d.open(90_000)]).toEqual([70_000, 'spec; then, a', false]);
    d.extend({ untilMs: 99_000, formula: 'then, b' });
    expect([d.ms, d.formula]).toEqual([70_000, 'spec; then, a']);
  });
});

