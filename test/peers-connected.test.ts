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
import { Cluster } from '../src/scenario/cluster.js';
import { standardMesh } from '../src/scenario/topology.js';
import { HARNESS_NODE } from '../src/sim/telemetry/index.js';
import { worldOf } from './support/chaos.js';

describe('peers connected to a node', () => {
  it('counts a connect until its disconnect, and not past the peer\'s kill until it reconnects', () => {
    const cluster = new Cluster({ seed: 'peers-connected', topology: { meshes: [standardMesh('mesh-a', 1)], bridges: 0 } });
    const world = worldOf(cluster);
    const [a, b, c, d] = cluster.plans.filter((x) => x.meshIds.includes('mesh-a'));
    const at = (ms: number) => cluster.scheduler.runFor(ms - cluster.scheduler.nowMs);
    const t = cluster.telemetry;
    const ready = (p: typeof a, incarnation: number) =>
      t.emit(p.name, 'mesh.node.ready', { nodeId: p.nodeId, nodeName: p.name, nodeType: 'gateway', meshId: 'mesh-a', incarnation });
    const connect = (p: typeof a) => t.emit(p.name, 'mesh.peer.connected', { peerId: a.nodeId, direction: 'outbound' });

    for (const p of [b, c, d]) ready(p, 1);
    at(1_000);
    for (const p of [b, c, d]) connect(p);
    at(2_000);
    t.emit(b.name, 'mesh.peer.disconnected', { peerId: a.nodeId, reason: 'closed-locally', cause: 'unused' });
    t.emit(HARNESS_NODE, 'sim.node.killed', { targets: c.name, mode: 'crash', incarnation: 1 });
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
