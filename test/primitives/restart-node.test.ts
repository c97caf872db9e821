/**
 * RestartNode. Goal: a node killed and respawned with the same identity reconnects, rejoins its
 * topics, keeps heartbeating, and once the idle timeout has passed leaves no ghost connection
 * or view entry behind; the detector goes red when lost peers are never reported to the
 * overlay (stale view entries of the dead incarnation stay), and its timeout names them; a
 * victim that comes back cut off from everyone times out naming the reconnect it lacks. Also:
 * the identity really comes back from the data dir, and a node whose disk was full at first
 * boot still restarts.
 * Method: the `restart-node` battery scenario over two seeds; the same with a node variant
 * without peer-down reporting; a victim cut off (outside the chaos engine) while it is down; a
 * hand-driven cluster for the identity cases; spans written by hand into an unstarted cluster's
 * trace for a claim another event's kill explains.
 */
import { describe, expect, it } from 'vitest';
import { readIdentity } from '../../src/mesh/identity.js';
import { Cluster } from '../../src/scenario/cluster.js';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import { DEFAULT_TOPOLOGY, plannedNodes } from '../../src/scenario/topology.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario } from '../../src/scenario/runner.js';
import { isolateAt } from '../support/chaos-links.js';
import { chaosLog, expectGreen, explain, passedEvent, runChaos, runRandomChaos, scenarioNamed, withoutAckIdleRestart, worldOf } from '../support/chaos.js';
import { handTrace } from '../support/hand-trace.js';
import type { NodeVariant } from '../../src/mesh/config.js';
import { scenarioOf, withoutObserver } from '../support/scenario-file.js';
import { othersCutOff } from '../../src/primitives/reach.js';
import { oneSidedClaims, restartDeadlineMs, restartGhostWindowMs } from '../../src/primitives/restart-node.js';
import { T, timersOf } from '../../src/primitives/timing.js';

describe('restart_node', () => {
  it('restart-node', () => {
    const runs = expectGreen('restart-node', ['1', '2'], ['mesh.node.ready', 'mesh.peer.connected', 'mesh.gossip.neighbor_up', 'mesh.heartbeat']);
    for (const run of runs) {
      const downtimeMs = run.events[0].params.downtimeMs as number;
      expect(downtimeMs).toBeGreaterThanOrEqual(1_000);
      expect(downtimeMs).toBeLessThanOrEqual(5_000);
      // Ghosts are judged only once the idle timeout has passed since the kill.
      expect(run.events[0].waitedMs).toBeGreaterThan(30_000);
    }
  });

  it('restart-node goes red when lost peers are not reported to the overlay (ghost view entries stay)', () => {
    // Both repair paths for a dead incarnation's view entries off: peer-down reporting, and the
    // Disconnect that answers traffic from a peer that is no longer a neighbour.
    const run = runChaos('restart-node', '1', { disablePeerDown: true, disableOneSidedRepair: true });
    expect(run.events[0].verdict, explain(run)).toBe('failed_timeout');
    expect(run.report.verdict).toBe('fail');
    // The timeout names the ghosts it waited to see gone.
    const timeout = run.report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toMatch(/still missing: one-sided claims gone: (connection|neighbor) \S+↔victim/);
  });

  it('goes red when the peers drop a restarted node\'s digests as old, prune its entry and have not learned it again by the deadline', () => {
    // Known bug (a node variant): digests are dropped unless their seq is above the highest
    // heard from their node. A restarted node counts again from 0, so at 60 s (seq ~30, one a
    // digest interval of 2 s) its peers drop its digests for about a minute. Connections, views
    // and the probe come back; only the digest claim sees the prune.
    const schedule = (variant: NodeVariant) => ({
      ...withChaos({ ...scenarioNamed('restart-node'), extensions: [] }, { events: [{ atMs: 60_000, primitive: 'restart_node' }] }),
      durationMs: 150_000,
      variantOf: () => variant,
    });
    const red = runScenario(schedule({ dropDigestsBelowSeenSeq: true }), '1').report;
    const [e] = chaosLog(red);
    expect(e.verdict, e.message).toBe('failed_timeout');
    const timeout = red.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toMatch(/still missing: one-sided claims gone: digest of victim pruned by \S+/);
    expect(timeout.message).not.toMatch(/(connection|neighbor) \S+↔victim/);
    // Its twin without the bug passes, on the same schedule.
    const green = runScenario(schedule({}), '1').report;
    expect(chaosLog(green)[0].verdict).toBe('passed');
  });

  it('a victim that comes back cut off from everyone times out, and the timeout says it never reconnected', () => {
    const base = withoutObserver('restart-alone', 'full', [12], 0, 60_000);
    const victim = plannedNodes(base.topology, '1')[3];
    // Cut off while it is down, for good; not a chaos event.
    const chaotic = withChaos({ ...base, liveness: false }, { events: [{ atMs: 10_000, primitive: 'restart_node', fault: { targets: [victim.name], params: { downtimeMs: 2_000 } } }] });
    const { report } = runScenario({ ...chaotic, extensions: [...(chaotic.extensions ?? []), isolateAt(victim.nodeId, 11_000)] }, '1');
    const [e] = chaosLog(report);
    expect(e.verdict, e.message).toBe('failed_timeout');
    const timeout = report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toContain(`still missing: reconnect: a mesh.peer.connected of ${victim.name} since its restart at 12000 ms`);
  });

  it('a victim every peer it dials is held by other events owes no reconnect until they let go', () => {
    // Fast-check seed 6403 (MESHSIM_PROP_FULL=1), shrunk: a restart at 78.7 s while a
    // partition_subset held both the victim's seeds (74.3-124.5 s) and a second cut, a kill and
    // a firewall the rest of its mesh; every dial it made ran into them (red: the reconnect timed
    // out at 120.2 s). The cut above, made outside the chaos engine, stays red.
    const parsed = parseScenarioJson({
      name: 'random-layout', profile: 'full', bootSpacingMs: 0, durationMs: 120_000, healWindowMs: 30_000,
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 8, registry: 1 } }], bridges: 0, observer: false },
      network: { lossPct: 1, latencyMs: 5, jitterMs: 0 },
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const { report, cluster } = runScenario(withChaos(parsed.scenario, { random: { count: 11 } }), '21699');
    const restart = chaosLog(report).find((e) => e.primitive === 'restart_node')!;
    expect(restart.targets).toEqual(['gateway-1952edfd']);
    expect(restart.verdict, restart.message).toBe('passed');
    const records = cluster.telemetry.records;
    const dials = records.filter((r) => r.name === 'mesh.peer.dial_failed' && r.node === 'gateway-1952edfd' && r.endMs > 79_683);
    expect(dials.length).toBeGreaterThan(4);
    const cutEnds = records.find((r) => r.name === 'chaos.primitive.reverted' && r.attrs.name === 'partition_subset')!.endMs;
    const back = records.find((r) => r.name === 'mesh.peer.connected' && r.node === 'gateway-1952edfd' && r.endMs > 79_683)!;
    expect(back.endMs).toBeGreaterThan(cutEnds);
    expect(report.verdict, report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });

  it('a victim that rejoined some topics waits past the deadline for one whose every seed other events held', () => {
    // Fast-check seed 6414 (MESHSIM_PROP_FULL=1): three bridges over a mesh of eight computes and
    // a registry and a mesh of one broker, 1 % loss on 50 ms links, seed 55299, --chaos 22. A
    // bridge restarted at 42.8 s rejoined the bridge topic and mesh-b at once; its two mesh-a
    // seeds were inside a partition_subset (till 83.1 s) and firewalled (till 84.6 s), and its
    // dials to them timed out until a compute took it up at 84.9 s. Its probe went out 0.5 s
    // before the deadline (red: "deliveries of a probe from bridge-d2efe21f"); the deadline now
    // runs on from those reverts (reach.ts, cutDialsWait), and the probe is delivered.
    const parsed = parseScenarioJson({
      name: 'random-layout', profile: 'full', bootSpacingMs: 0, durationMs: 120_000, healWindowMs: 30_000,
      topology: { meshes: [{ meshId: 'mesh-a', roles: { compute: 8, registry: 1 } }, { meshId: 'mesh-b', roles: { broker: 1 } }], bridges: 3, observer: false },
      network: { lossPct: 1, latencyMs: 50, jitterMs: 10 },
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const { report, cluster } = runScenario(withChaos(parsed.scenario, { random: { count: 22 } }), '55299');
    const restart = chaosLog(report).find((e) => e.primitive === 'restart_node')!;
    expect(restart.targets).toEqual(['bridge-d2efe21f']);
    expect(restart.verdict, restart.message).toBe('passed');
    expect(restart.waitedMs).toBeGreaterThan(restartDeadlineMs(2_393));
    expect(restart.deadlineFormula).toContain('then, for dials other events cut off (partition_subset reverted @ 83092 ms, firewall_inbound reverted @ 84613 ms)');
    const records = cluster.telemetry.records;
    const failed = records.filter((r) => r.name === 'mesh.peer.dial_failed' && r.node === 'bridge-d2efe21f' && r.endMs > 45_233 && r.endMs < 85_340);
    expect(new Set(failed.map((r) => cluster.nameOf(String(r.attrs.peerId))))).toEqual(new Set(['compute-8ed6fa60', 'compute-4f95116e']));
    expect(report.verdict, report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });
});

describe('restart identity', () => {
  function bootedCluster(seed: string): { cluster: Cluster; victim: string } {
    const cluster = new Cluster({ seed, topology: DEFAULT_TOPOLOGY });
    const victim = cluster.plans.find((p) => p.role === 'compute')!.nodeId;
    return { cluster, victim };
  }

  function readySpans(cluster: Cluster, nodeId: string) {
    return cluster.telemetry.query.find({ name: 'mesh.node.ready', node: cluster.nameOf(nodeId) });
  }

  it('a restarted node reads its identity back from the data dir', () => {
    const { cluster, victim } = bootedCluster('1');
    cluster.boot();
    cluster.scheduler.runFor(10_000);
    expect(readIdentity(cluster.host(victim).dataDir)?.nodeId).toBe(victim);
    cluster.host(victim).restart();
    const ready = readySpans(cluster, victim);
    expect(ready.map((s) => [s.attrs.nodeId, s.attrs.identity])).toEqual([
      [victim, 'new'],
      [victim, 'data-dir'],
    ]);
  });

  it('a node whose disk was full at first boot still restarts, and saves its identity once the disk has room', () => {
    const { cluster, victim } = bootedCluster('2');
    const host = cluster.host(victim);
    host.dataDir.fill();
    cluster.boot();
    cluster.scheduler.runFor(10_000);
    const name = cluster.nameOf(victim);
    expect(cluster.telemetry.query.first({ name: 'mesh.disk.write_failed', node: name, attrs: { path: 'identity.json' } })).toBeDefined();
    expect(readIdentity(host.dataDir)).toBeNull();
    expect(host.status).toBe('running');

    // Restart while the disk is still full: same identity, and it rejoins the mesh.
    const restartAtMs = cluster.scheduler.nowMs;
    host.restart();
    cluster.scheduler.runFor(10_000);
    expect(readySpans(cluster, victim).map((s) => s.attrs.nodeId)).toEqual([victim, victim]);
    expect(cluster.telemetry.query.first({ name: 'mesh.peer.connected', node: name, sinceMs: restartAtMs })).toBeDefined();
    expect(cluster.telemetry.query.first({ name: 'mesh.heartbeat', node: name, sinceMs: restartAtMs })).toBeDefined();

    // Room again: the persist tick retries the identity write; the next restart reads it back.
    host.dataDir.clearBallast();
    cluster.scheduler.runFor(6_000);
    expect(readIdentity(host.dataDir)).toEqual({ nodeId: victim, name, role: 'compute', meshId: cluster.plan(victim).meshId });
    host.restart();
    expect(readySpans(cluster, victim).at(-1)?.attrs.identity).toBe('data-dir');
  });
});

describe('restart_node: a prune other events forced', () => {
  // nat-shift under --chaos 20, seed 39: bridge-80c8ab55 was restarted at 76.3 s. By 110.4 s
  // every neighbour of compute-9900e122 had been taken by other events (a NAT shift, two
  // restarts, a partition_subset) and idled out; cut off from the bridge, it pruned the bridge's
  // digest at 105.3 s and heard it again only at 120.8 s, after its own seed check: past the
  // restart's deadline, which timed out on that one-sided claim.
  it('is not a one-sided claim of the restart', () => {
    const run = runRandomChaos(withoutAckIdleRestart(scenarioNamed('nat-shift')), 20, '39');
    const { cluster } = run;
    const restart = passedEvent(run, (e) => e.primitive === 'restart_node' && e.targets[0] === 'bridge-80c8ab55');
    // The case is the one meant: the prune came while other events had cut the node off from
    // the bridge, and the digest came back only after the restart's deadline.
    const world = worldOf(cluster);
    const q = cluster.telemetry.query;
    const victim = cluster.idOfName('bridge-80c8ab55');
    const pruned = q.find({ name: 'mesh.staleness.pruned', node: 'compute-9900e122', sinceMs: restart.atMs }).find((s) => String(s.attrs.nodeIds).includes(victim))!;
    const heard = q.first({ name: 'mesh.digest.learned', node: 'compute-9900e122', sinceMs: pruned.endMs, attrs: { nodeId: victim } })!;
    expect(heard.endMs).toBeGreaterThan(restart.atMs + restartDeadlineMs(Number(restart.params.downtimeMs)));
    const cut = othersCutOff(world, { targets: [victim], params: {} }, restart.atMs);
    expect(cut.from('mesh-a', victim, pruned.endMs).has(cluster.idOfName('compute-9900e122'))).toBe(true);
  });
});

describe('restart_node: a receiver whose link to the old process died with it, and every other link to other events', () => {
  // clock-skew-60s under --chaos 20, seed 270: gateway-3231d0e4 restarted at 28.5 s. Before its
  // probes (59.5 s on), broker-ad7cdf70 had lost three mesh-b links to a partitioned subset
  // (51.4 s), its link to the victim's old process to the idle timeout (58.5 s), and held only
  // gateway-75c7ed68, which another event had restarted at 45 s; its refill had dialled a node
  // another event killed, and its passive view was empty. Its one drop by the mesh's choice (an
  // eviction at 1.7 s, in the boot's churn) was made up for at once.
  it('is not owed the probe from the victim', () => {
    const run = runRandomChaos('clock-skew-60s', 20, '270');
    const { cluster } = run;
    const restart = passedEvent(run, (e) => e.primitive === 'restart_node' && e.targets[0] === 'gateway-3231d0e4');
    // The case is the one meant.
    const q = cluster.telemetry.query;
    const broker = 'broker-ad7cdf70';
    const victim = cluster.idOfName(restart.targets[0]);
    const lost = q.first({ name: 'mesh.gossip.neighbor_down', node: broker, sinceMs: restart.atMs, attrs: { topic: 'mesh-b', peerId: victim } })!;
    expect(lost.attrs.cause).toBe('peer-down');
    const opened = q.last({ name: 'mesh.peer.connected', node: broker, untilMs: lost.endMs, attrs: { peerId: victim } })!;
    expect(opened.endMs).toBeLessThan(restart.atMs);
    const probe = q.first({ name: 'mesh.probe.sent', node: restart.targets[0], sinceMs: restart.atMs })!;
    expect(q.find({ name: 'mesh.gossip.neighbor_up', node: broker, sinceMs: lost.endMs, untilMs: probe.endMs })).toHaveLength(0);
    const evicted = q.find({ name: 'mesh.gossip.neighbor_down', node: broker, untilMs: restart.atMs, attrs: { topic: 'mesh-b' } });
    expect(evicted.map((s) => s.attrs.cause)).toEqual(['evicted']);
  });
});

describe('restart_node: a peer the victim took up after its restart, killed since by another event', () => {
  // Spans written by hand into an unstarted cluster's trace. The victim restarts at 1-3 s and
  // takes up a peer at 5 s (both ends connected, each in the other's view); another event kills
  // that peer silently at 6 s, and its next incarnation (10 s) knows nothing of the victim. The
  // victim hears nothing more and keeps its claims on the peer until its idle timeout, as the
  // restart's own peers keep theirs on the victim: those claims are the kill's, not ghosts the
  // restart left (clock-skew-60s under --chaos 20, seed 1870, showed it before the redial fix).
  /** `byEvent`: the peer's kill is a chaos event's (else its process died with no event behind it). */
  function killedPeer(byEvent: boolean) {
    const { world, nodes: [victim, peer], at, ready, chaos, killed, connected, up } = handTrace('restart-killed-peer', { running: true });
    type Node = typeof victim;
    const kill = (primitive: string | null, n: Node) => {
      if (primitive !== null) chaos(primitive, [n]);
      killed(n, 'kill');
    };
    const takeUp = (from: Node, to: Node, direction: 'inbound' | 'outbound') => {
      connected(from, to, direction);
      up(from, to);
    };
    at(100);
    ready(victim);
    ready(peer);
    at(1_000);
    kill('restart_node', victim);
    at(3_000);
    ready(victim);
    at(5_000);
    takeUp(victim, peer, 'outbound');
    takeUp(peer, victim, 'inbound');
    at(6_000);
    kill(byEvent ? 'kill_node' : null, peer);
    at(10_000);
    ready(peer);
    const cutOff = othersCutOff(world, { targets: [victim.nodeId], params: {} }, 1_000);
    /** The victim's one-sided claims as its detector judges them at `nowMs` (from 1 s + the ghost window on). */
    const claimsAt = (nowMs: number) => oneSidedClaims(world, victim.nodeId, 3_000, nowMs, cutOff);
    const ghosts = [`connection ${peer.name}↔victim`, `neighbor ${peer.name}↔victim on mesh-a`];
    return { claimsAt, ghosts };
  }

  it('is not a ghost the restart left', () => {
    const killed = killedPeer(true);
    expect(killed.claimsAt(1_000 + restartGhostWindowMs(T))).toEqual([]);
    // Red: judged once the kill's own ghost window is over, the victim should have idled the
    // link out; and a peer that lost its process with no event behind it explains nothing.
    expect(killed.claimsAt(6_000 + restartGhostWindowMs(T))).toEqual(killed.ghosts);
    const unexplained = killedPeer(false);
    expect(unexplained.claimsAt(1_000 + restartGhostWindowMs(T))).toEqual(unexplained.ghosts);
  });
});

describe('restart_node: a pair whose spans about each other changed within a round trip', () => {
  it('is settling, not a claim; past the round trip it is one', () => {
    // The acceptor's end opens a link delay before the dialer's (its Initial, then the answer).
    const { world, nodes: [victim, peer], at, ready, chaos, killed, connected } = handTrace('restart-settling', { running: true });
    at(100);
    ready(victim);
    ready(peer);
    at(1_000);
    chaos('restart_node', [victim]);
    killed(victim, 'kill');
    at(3_000);
    ready(victim);
    at(40_000);
    connected(peer, victim, 'inbound');
    const cutOff = othersCutOff(world, { targets: [victim.nodeId], params: {} }, 1_000);
    const claimsAt = (nowMs: number) => oneSidedClaims(world, victim.nodeId, 3_000, nowMs, cutOff);
    expect(claimsAt(40_000 + 2 * T.linkDelayMs)).toEqual([]);
    expect(claimsAt(40_000 + 2 * T.linkDelayMs + 1)).toEqual([`connection ${peer.name}↔victim`]);
  });

  it('a restarted node churning its connections at 400 ms a hop sends its probe in time', () => {
    // A random layout at 400 ms a hop (--chaos 18, seed 24761): registry-6d29da88, restarted at
    // 102.4 s, dialled and closed as unused one connection after another; some connection was
    // open at one end and not yet (or no longer) at the other at every poll from 135.6 to 146.5 s,
    // and its probe went out 2.3 s before the deadline and timed out.
    const scenario = scenarioOf({
      name: 'wang-322',
      profile: 'full',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 4, compute: 3, registry: 10, broker: 3 } }, { meshId: 'mesh-b', roles: { registry: 4, broker: 2 } }], bridges: 3, observer: true },
      bootSpacingMs: 20,
      durationMs: 120_000,
      healWindowMs: 30_000,
      node: { plumtree: { graftTimeout1Ms: 1_260, graftTimeout2Ms: 940 } },
      network: { latencyMs: 400, jitterMs: 20 },
    });
    const run = runRandomChaos(scenario, 18, '24761');
    const e = passedEvent(run, (x) => x.primitive === 'restart_node' && x.targets[0] === 'registry-6d29da88');
    expect(e.waitedMs).toBeLessThan(restartDeadlineMs(3_187, timersOf(run.cluster.network.config, run.cluster.options.node)));
  });
});

