/**
 * Which peers held a connection to a node at an instant, by their own spans
 * (src/primitives/evidence.ts `peersConnectedTo`, read by the nat_shift, restart_node and
 * partition_subset detectors). Goal: a peer counts from its mesh.peer.connected about the node
 * until its mesh.peer.disconnected, within its current incarnation; a peer whose process was
 * killed since it connected holds nothing (a killed process says no goodbye, so its last span
 * about the node is still the connect), until it connects again in a new life.
 * Method: spans written into an unstarted cluster's trace by hand, as a run would emit them.
 */
import { describe, expect, it } from 'vitest';
import { peersConnectedTo } from '../src/primitives/evidence.js';
import { handTrace } from './support/hand-trace.js';

describe('peers connected to a node', () => {
  it('counts a connect until its disconnect, and not past the peer\'s kill until it reconnects', () => {
    const { world, observer, nodes, at, ready: readyOf, connected, disconnected, killed } = handTrace('peers-connected');
    const a = observer();
    const [b, c, d] = nodes;
    const ready = (p: typeof a, incarnation: number) => readyOf(p, { incarnation, nodeType: 'gateway' });
    const connect = (p: typeof a) => connected(p, a, 'outbound');

    for (const p of [b, c, d]) ready(p, 1);
    at(1_000);
    for (const p of [b, c, d]) connect(p);
    at(2_000);
    disconnected(b, a, 'closed-locally', 'unused');
    killed(c);
    const sorted = (ids: string[]) => [...ids].sort();
    expect(sorted(peersConnectedTo(world, a.nodeId, 1_500))).toEqual(sorted([b.nodeId, c.nodeId, d.nodeId]));
    expect(peersConnectedTo(world, a.nodeId, 2_000)).toEqual([d.nodeId]); // b said goodbye, c was killed

    at(3_000);
    ready(c, 2); // restarted: a new life holds nothing until it connects again
    expect(peersConnectedTo(world, a.nodeId, 3_000)).toEqual([d.nodeId]);
    at(4_000);
    connect(c);
    expect(sorted(peersConnectedTo(world, a.nodeId, 4_000))).toEqual(sorted([c.nodeId, d.nodeId]));
  });
});
