/**
 * Churn without cause goes red.
 *
 * Goal: the churn invariant (src/scenario/invariants/churn.ts) passes healthy fault-free runs,
 * fails a substrate that tears down live neighbour links although the mesh heals within a
 * second, fails a neighbour down that names no cause or a fault-only cause outside fault
 * periods, and forgives the same down inside the window of a chaos event that targeted one of
 * its two nodes (only then). Method: whole runs of small
 * scenarios (one with the `closeUsedConnections` test double), and spans written into a formed
 * cluster's trace as a node would write them.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/scenario/cluster.js';
import { ChurnWatcher, checkChurn, faultPeriods } from '../src/scenario/invariants/churn.js';
import { runScenario } from '../src/scenario/runner.js';
import { HARNESS_NODE } from '../src/sim/telemetry/index.js';
import { standardMesh, type TopologySpec } from '../src/scenario/topology.js';

const TWELVE: TopologySpec = { meshes: [standardMesh('mesh-a', 3)], bridges: 0 };
const scenario = { name: 'churn', description: 'test', topology: TWELVE, durationMs: 30_000, healWindowMs: 10_000 };

function formed(): Cluster {
  const cluster = new Cluster({ seed: 'churn', topology: TWELVE });
  cluster.boot();
  cluster.scheduler.runFor(10_000);
  return cluster;
}

/** A neighbour pair of running nodes: [node name, peer id]. */
function pair(cluster: Cluster): [string, string] {
  const a = cluster.plans[1];
  return [a.name, cluster.app(a.nodeId)!.activeView('mesh-a')[0]];
}

describe('churn without cause', () => {
  it('a healthy fault-free run has none, and its downs all carry causes', () => {
    const { report, cluster } = runScenario(scenario, '1');
    expect(report.violations).toEqual([]);
    const downs = cluster.telemetry.query.find({ name: 'mesh.gossip.neighbor_down' });
    expect(downs.length).toBeGreaterThan(0);
    expect(downs.every((s) => typeof s.attrs.cause === 'string')).toBe(true);
    expect(cluster.telemetry.query.find({ name: 'mesh.peer.disconnected' }).every((s) => typeof s.attrs.cause === 'string')).toBe(true);
  });

  it('a substrate that closes connections topics still use is red', () => {
    const { report } = runScenario({ ...scenario, variantOf: () => ({ closeUsedConnections: true }) }, '1');
    const churn = report.violations.filter((v) => v.check === 'churn-without-cause');
    expect(churn.length).toBeGreaterThan(0);
    expect(churn[0].message).toMatch(/went down at \d+ ms with no fault in force \(connection closed-locally\)/);
  });

  it('a down without a cause, or for an idle timeout, outside fault periods is red', () => {
    const cluster = formed();
    const [node, peer] = pair(cluster);
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer });
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'idle-timeout' });
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'evicted' });
    cluster.telemetry.emit(node, 'mesh.peer.disconnected', { peerId: peer, reason: 'closed-locally' });
    const messages = checkChurn(cluster).map((v) => v.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/\(closed-locally\) without a cause at 10000 ms/);
    expect(messages[1]).toMatch(/went down at 10000 ms without a cause$/);
    expect(messages[2]).toMatch(/no fault in force \(connection idle-timeout\)/);
  });

  it('a close by the peer is caused only when the peer recorded why it closed', () => {
    const cluster = formed();
    const [node, peer] = pair(cluster);
    const peerName = cluster.nameOf(peer);
    const self = cluster.plans[1].nodeId;
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'closed-by-peer' });
    expect(checkChurn(cluster).map((v) => v.message)).toEqual([expect.stringMatching(/closed by the peer, which recorded no close/)]);
    cluster.scheduler.runFor(20_000);
    cluster.telemetry.emit(peerName, 'mesh.peer.disconnected', { peerId: self, reason: 'closed-locally', cause: 'unused' });
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'closed-by-peer' });
    expect(checkChurn(cluster)).toHaveLength(1); // only the first one
  });

  // Seen at 2,000 nodes under deadPeer 'close': a node re-added a neighbour 11 ms before that
  // neighbour closed their unused connection; its Neighbor request reached the closed end, the
  // host answered with a reset, and the reset arrived before the close.
  it('a reset is caused only when the peer recorded closing that connection (a packet crossed its close)', () => {
    const cluster = formed();
    const [node, peer] = pair(cluster);
    const peerName = cluster.nameOf(peer);
    const self = cluster.plans[1].nodeId;
    const resetDown = { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'reset' };
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', resetDown);
    expect(checkChurn(cluster).map((v) => v.message)).toEqual([expect.stringMatching(/no fault in force \(connection reset\)$/)]);
    cluster.scheduler.runFor(20_000);
    cluster.telemetry.emit(peerName, 'mesh.peer.disconnected', { peerId: self, reason: 'closed-locally', cause: 'unused' });
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', resetDown);
    expect(checkChurn(cluster)).toHaveLength(1); // only the first one
    cluster.scheduler.runFor(20_000); // past the lookback: that close no longer explains a reset
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', resetDown);
    expect(checkChurn(cluster)).toHaveLength(2);
  });

  // On a lossy network the peer's close can be lost; this end's next packet, at the latest its
  // keep-alive 15 s after it last sent, then draws the peer's reset (docs/failure-model.md).
  it('on a network that loses packets, a reset is caused by the peer\'s close up to the idle timeout before it', () => {
    for (const lossNum of [0, 500]) {
      const cluster = new Cluster({ seed: 'churn', topology: TWELVE, link: { lossNum, lossDen: 10_000 } });
      const watcher = new ChurnWatcher(cluster);
      const both = () => [checkChurn(cluster).length, checkChurn(cluster, watcher).length];
      cluster.boot();
      cluster.scheduler.runFor(10_000);
      const [node, peer] = pair(cluster);
      const resetDown = () => cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'reset' });
      cluster.telemetry.emit(cluster.nameOf(peer), 'mesh.peer.disconnected', { peerId: cluster.plans[1].nodeId, reason: 'closed-locally', cause: 'unused' });
      cluster.scheduler.runFor(20_000);
      resetDown();
      // Lossless, the close arrives, and only a packet that crossed it draws a reset.
      expect(both(), `lossNum ${lossNum}`).toEqual(lossNum === 0 ? [1, 1] : [0, 0]);
      if (lossNum === 0) continue;
      cluster.scheduler.runFor(21_000); // 41 s after the close: past the idle timeout and the 10 s
      resetDown();
      expect(both()).toEqual([1, 1]);
    }
  });

  // 1,000 nodes at 5 % loss: a node took its peer up again from a reply that crossed its eviction,
  // the peer (which had dropped it) closed the connection as unused, and that close, one packet
  // never retransmitted, was lost: the node heard nothing more and idled out 30 s later.
  it('on a network that loses packets, an idle timeout is caused when the peer recorded closing that connection within the idle timeout', () => {
    const idleDown = (cluster: Cluster, node: string, peer: string) =>
      cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'idle-timeout' });
    for (const lossNum of [0, 500]) {
      const cluster = new Cluster({ seed: 'churn', topology: TWELVE, link: { lossNum, lossDen: 10_000 } });
      const watcher = new ChurnWatcher(cluster); // and as judged when the spans are not kept
      const both = () => [checkChurn(cluster).length, checkChurn(cluster, watcher).length];
      cluster.boot();
      cluster.scheduler.runFor(10_000);
      const [node, peer] = pair(cluster);
      const self = cluster.plans[1].nodeId;
      cluster.telemetry.emit(cluster.nameOf(peer), 'mesh.peer.disconnected', { peerId: self, reason: 'closed-locally', cause: 'unused' });
      cluster.scheduler.runFor(30_000);
      idleDown(cluster, node, peer);
      // Lossless, a close always arrives: the idle timeout stays unexplained.
      expect(both(), `lossNum ${lossNum}`).toEqual(lossNum === 0 ? [1, 1] : [0, 0]);
      if (lossNum === 0) continue;
      cluster.scheduler.runFor(15_000); // 45 s after the close: past the idle timeout and the lookback
      idleDown(cluster, node, peer);
      expect(checkChurn(cluster).map((v) => v.message)).toEqual([expect.stringMatching(/no fault in force \(connection idle-timeout\)$/)]);
      expect(both()).toEqual([1, 1]);
      // A close for a cause other than `unused` explains nothing.
      cluster.telemetry.emit(cluster.nameOf(peer), 'mesh.peer.disconnected', { peerId: self, reason: 'closed-locally', cause: 'dead-path' });
      cluster.scheduler.runFor(30_000);
      idleDown(cluster, node, peer);
      expect(both()).toEqual([2, 2]);
    }
  });

  // Two meshes of 100 gateways at 30 % loss: a dial's five handshake attempts were all lost and
  // the neighbour it was for went down with the dial's timeout.
  it('on a network that loses packets, a failed dial is caused; on a lossless one it is not', () => {
    for (const lossNum of [0, 3_000]) {
      const cluster = new Cluster({ seed: 'churn', topology: TWELVE, link: { lossNum, lossDen: 10_000 } });
      const watcher = new ChurnWatcher(cluster);
      cluster.boot();
      cluster.scheduler.runFor(10_000);
      const [node, peer] = pair(cluster);
      cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'dial-timeout' });
      const found = [checkChurn(cluster), checkChurn(cluster, watcher)].map((vs) => vs.map((v) => v.message));
      const red = [expect.stringMatching(/no fault in force \(connection dial-timeout\)$/)];
      expect(found, `lossNum ${lossNum}`).toEqual(lossNum === 0 ? [red, red] : [[], []]);
    }
  });

  // A fault on `target` from 10 s to 15 s, then a down of node → peer at 55 s (inside the aftermath).
  const downAfterFaultOn = (target: (cluster: Cluster, node: string, peer: string) => string) => {
    const cluster = formed();
    const [node, peer] = pair(cluster);
    const targets = target(cluster, node, peer);
    const applied = cluster.telemetry.emit(HARNESS_NODE, 'chaos.primitive.applied', { name: 'kill_node', targets, params: '{}' })!;
    cluster.scheduler.runFor(5_000);
    cluster.telemetry.emit(HARNESS_NODE, 'chaos.primitive.reverted', { name: 'kill_node' }, { parent: { traceId: applied.traceId, spanId: applied.spanId } });
    expect(faultPeriods(cluster)).toEqual([{ fromMs: 10_000, untilMs: 15_000 + 30_000 + 5_000 + 5_000, targets: new Set([targets]) }]);
    cluster.scheduler.runFor(40_000);
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'idle-timeout' });
    return checkChurn(cluster);
  };

  it('the same down inside the window (and aftermath) of a fault on one of its nodes is forgiven', () => {
    expect(downAfterFaultOn((_, node) => node)).toEqual([]);
  });

  it('a fault on an uninvolved node forgives nothing', () => {
    const red = downAfterFaultOn((cluster, node, peer) => cluster.plans.find((p) => p.name !== node && p.nodeId !== peer)!.name);
    expect(red.map((v) => v.message)).toEqual([expect.stringMatching(/no fault in force \(connection idle-timeout\)/)]);
  });

  it('the watcher judges downs and closes that are not kept in memory (clusters above 1,000 nodes)', () => {
    const perPair = new Set(['mesh.gossip.neighbor_down', 'mesh.peer.disconnected']);
    const cluster = new Cluster({ seed: 'churn', topology: TWELVE, retainSpans: (name) => !perPair.has(name) });
    const watcher = new ChurnWatcher(cluster);
    cluster.boot();
    cluster.scheduler.runFor(10_000);
    const [node, peer] = pair(cluster);
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'peer-down', reason: 'idle-timeout' });
    cluster.telemetry.emit(node, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: peer, cause: 'evicted' });
    expect(cluster.telemetry.query.find({ name: 'mesh.gossip.neighbor_down' })).toEqual([]);
    expect(checkChurn(cluster)).toEqual([]); // nothing kept, nothing seen
    expect(checkChurn(cluster, watcher).map((v) => v.message)).toEqual([expect.stringMatching(/no fault in force \(connection idle-timeout\)/)]);
  });

  it('the watcher keeps closes for the lookback only, and still finds a close across a generation change', () => {
    const cluster = new Cluster({ seed: 'churn', topology: TWELVE });
    const watcher = new ChurnWatcher(cluster);
    const [a, b] = [cluster.plans[1], cluster.plans[2]];
    const close = (closer: string, peerId: string) =>
      cluster.telemetry.emit(closer, 'mesh.peer.disconnected', { peerId, reason: 'closed-locally', cause: 'unused' });
    const down = () =>
      cluster.telemetry.emit(a.name, 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: b.nodeId, cause: 'peer-down', reason: 'closed-by-peer' });
    cluster.scheduler.runFor(1_000);
    close(b.name, a.nodeId);
    for (let i = 0; i < 50; i++) close(b.name, `gone-${i}`);
    cluster.scheduler.runFor(9_500); // 10.5 s: this close starts a new generation
    close(a.name, 'gone-x');
    expect(watcher.closesKept).toBe(52);
    down(); // b's close 9.5 s ago is in the older generation: explained
    expect(watcher.suspects).toEqual([]);
    cluster.scheduler.runFor(10_000); // 20.5 s: the generation with b's close is dropped
    close(a.name, 'gone-y');
    expect(watcher.closesKept).toBe(2);
    down(); // b's close is 19.5 s old, past the lookback: unexplained, as it was before
    expect(watcher.suspects.map((x) => x.message)).toEqual([expect.stringMatching(/closed by the peer, which recorded no close/)]);
  });
});
