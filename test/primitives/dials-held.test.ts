/**
 * dialsHeldByOthers (src/primitives/evidence.ts): a node that made no connection in a window,
 * and whose every failed dial in it went to a peer other events had cut off from it, could reach
 * nobody it tried; restart_node and firewall_inbound then leave its rejoin to those events.
 * Goal: the excuse holds only then. Method: spans written by hand into an unstarted cluster's
 * trace, with the cut given as a function of peer and time.
 */
import { describe, expect, it } from 'vitest';
import { dialsHeldByOthers } from '../../src/primitives/evidence.js';
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
