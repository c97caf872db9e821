/**
 * Detectors under compound faults (the default layout's --chaos 8 sweep, seed 8). Goal: a probe
 * a detector sends once its own damage is reverted expects no receiver that other chaos events
 * had cut off from the probe's origin when it was sent, and a probe that must reach a victim
 * starts where other events left a path to it; the victim itself is never excused. Method: the
 * five first events of seed 8, fired by hand on the default layout. A restart_node of bridge
 * 48958bc3 (17.9 s) leaves it two mesh-a neighbours, gateway-4b763a78 and the observer; the
 * partition_subset at 31.1 s cuts gateway-4b763a78 and every other link between {observer,
 * bridge-48958bc3} and {gateway-3ca88f6f, registry-a6c1b322, bridge-a5831259} that the kill of
 * compute-fc2ab2b6 (33 s) did not end, and mesh-a's overlay outside the cut is two islands until
 * those connections idle out (~61 s). The restart's probe from its bridge, the partition_pair's
 * closing round from the observer, and the wedge_node's probe to registry-a6c1b322 from the
 * observer all timed out waiting for the other island; now each passes, and the wedged node is
 * shown its probe from an origin in its own island (and excused only from a probe sent when the
 * other events had cut it off from every origin there: the battery under --chaos 8).
 *
 * And a join another event held up (the bridged-full `--chaos 8` sweep, seed 32): a bridge joins
 * a mesh only through its one seed there, so a bridge that a kill_node revives while a
 * firewall_inbound holds that seed stays off the mesh (its dials to the seed time out) until the
 * firewall lifts or a member takes it up from its passive view. A partition_pair's closing round
 * on that mesh timed out waiting for it; now the bridge is excused, read from its own spans (no
 * mesh.gossip.join on the mesh, an empty active view, a mesh.peer.dial_failed to the seed inside
 * the firewall's window). The same firewall set outside the chaos engine excuses nothing.
 *
 * And a victim's last digests held on their way by another event (the default layout under
 * --chaos 20, seed 2885; seed 1 until a node ignored an accept from a peer it had evicted, seed
 * 35 until the transport's loss detection): the staleness pruner counts from local receipt, so a
 * node whose every path from the victim another event had cut at the kill, over a connection that
 * outlived the cut, may hear a digest the victim sent before it died only once the cut heals and
 * prune it a TTL later. The kill's detection waits for that prune — and only for it — until it is
 * due.
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/catalog/registry.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { connectedPeersOf, prunedBy } from '../../src/primitives/evidence.js';
import { heldDigest } from '../../src/primitives/held-digest.js';
import { KILL_DEADLINE_MS } from '../../src/primitives/kill-node.js';
import { PLUMTREE_PASS_ON_MS } from '../../src/primitives/timing.js';
import { firstEnd } from '../../src/primitives/old-paths-cut-short.js';
import { cutOffFrom, cutOffTowards, cutWindows, otherCutWindows, othersCutEveryPath, overlayAt } from '../../src/primitives/reach.js';
import { DETOUR_HOLD_MS, heldUpFrom } from '../../src/primitives/partition-pair.js';
import { plannedNodes } from '../../src/scenario/topology.js';
import type { AnySpanFilter, SpanRecord } from '../../src/sim/telemetry/index.js';
import { chaosLog, passedEvent, runRandomChaos, withoutAckIdleRestart, worldOf } from '../support/chaos.js';
import { firewallBetween } from '../support/chaos-links.js';
import { withoutObserver } from '../support/scenario-file.js';

const SEED_8_EVENTS = [
  { atMs: 17_922, primitive: 'restart_node', fault: { targets: ['bridge-48958bc3'], params: { downtimeMs: 1_692 } } },
  { atMs: 22_161, primitive: 'partition_pair', fault: { targets: ['gateway-e1e53a40', 'bridge-a5831259'], params: { durationMs: 14_030 } } },
  { atMs: 30_925, primitive: 'wedge_node', fault: { targets: ['registry-a6c1b322'], params: { durationMs: 3_888 } } },
  {
    atMs: 31_066,
    primitive: 'partition_subset',
    fault: { targets: ['gateway-4b763a78', 'broker-4bdfa4bd', 'broker-79b63a86', 'compute-4a498636', 'registry-df3474a7'], params: { size: 5, durationMs: 59_708 } },
  },
  { atMs: 32_976, primitive: 'kill_node', fault: { targets: ['compute-fc2ab2b6'], params: {} } },
] as const;

/**
 * A kill of `victim` under `--chaos 20` (the run and the kill must pass), and what, by the spans,
 * held the victim's digest from `pruner`: its prune, and `heldDigest`'s answer at the kill's own
 * deadline.
 */
function heldDigestCase(scenario: string | Scenario, seed: string, primitive: 'kill_node' | 'burst_kill', victim: string, pruner: string) {
  const run = runRandomChaos(scenario, 20, seed);
  const { cluster } = run;
  const kill = passedEvent(run, (e) => e.primitive === primitive && e.targets.includes(victim));
  const world = worldOf(cluster);
  const [v, p] = [cluster.idOfName(victim), cluster.idOfName(pruner)];
  const killed = kill.targets.map((n) => cluster.idOfName(n));
  const held = heldDigest(world, otherCutWindows(world, { targets: killed, params: {} }, kill.atMs), v, p, killed, kill.atMs, kill.atMs + KILL_DEADLINE_MS);
  return { kill, world, v, p, killed, pruned: prunedBy(world, p, v, kill.atMs), held };
}

describe('detectors under compound faults', () => {
  it('probes across a concurrent subset cut expect only the receivers the other events left reachable', () => {
    const scenario = withChaos(findScenario('default')!, { events: SEED_8_EVENTS.map((e) => ({ ...e, fault: { targets: [...e.fault.targets], params: { ...e.fault.params } } })) });
    const { report } = runScenario(scenario, '8');
    const log = chaosLog(report);
    expect(log.map((e) => `${e.primitive} ${e.verdict}`), log.map((e) => `${e.primitive}: ${e.message ?? ''}`).join('; ')).toEqual([
      'restart_node passed',
      'partition_pair passed',
      'wedge_node passed',
      'partition_subset passed',
      'kill_node passed',
    ]);
    // The wedged node got its probe (it is never excused), from a node of its own island.
    const wedge = log.find((e) => e.primitive === 'wedge_node')!;
    expect(wedge.evidence.some((s) => s.startsWith('registry-a6c1b322:mesh.probe.delivered'))).toBe(true);
  });

  /**
   * Two meshes of 16 gateways and two bridges, seed 7, with SPEC §2.1's seeds alone
   * (`disableSeedTopUp`: the bridge's mesh-a fallback seed would let it in). The last bridge is killed at 10 s and
   * revived when that detection passes (41 s); its one mesh-a seed is firewalled from 15 s to
   * 75 s; two other mesh-a gateways are partitioned from 40 s to 55 s. The revived bridge's dials
   * to its seed time out (46 s, 53 s, 62 s) and its mesh-a view stays empty (but for 11 ms at
   * 42.2 s: it takes up a gateway that closes their new connection as unused at that instant)
   * until the other bridge takes it up at 60.3 s: the partition_pair's rounds of 55 s and 60 s
   * cannot reach it, and the detection used to time out at 65 s.
   */
  function heldUpJoin() {
    const base = { ...withoutAckIdleRestart(withoutObserver('join-held-up', 'full', [16, 16], 2, 90_000)), variantOf: () => ({ disableSeedTopUp: true }) };
    const plans = plannedNodes(base.topology, '7');
    const bridge = plans.filter((p) => p.role === 'bridge').at(-1)!;
    const seedA = plans[bridge.seeds.find((s) => s.meshIds.length === 1 && s.meshIds[0] === 'mesh-a')!.index];
    const gateways = plans.filter((p) => p.role === 'gateway' && p.meshIds.includes('mesh-a') && p !== seedA);
    const kill = { atMs: 10_000, primitive: 'kill_node' as const, fault: { targets: [bridge.name], params: {} } };
    const firewall = { atMs: 15_000, primitive: 'firewall_inbound' as const, fault: { targets: [seedA.name], params: { durationMs: 60_000 } } };
    const pair = { atMs: 40_000, primitive: 'partition_pair' as const, fault: { targets: [gateways[1].name, gateways[5].name], params: { durationMs: 15_000 } } };
    return { base, bridge, seedA, kill, firewall, pair };
  }

  it('a bridge whose join another event held up is not owed a closing round on that mesh', () => {
    const { base, bridge, seedA, kill, firewall, pair } = heldUpJoin();
    const { report, cluster } = runScenario(withChaos(base, { events: [kill, firewall, pair] }), '7');
    const log = chaosLog(report);
    expect(log.map((e) => `${e.primitive} ${e.verdict}`), log.map((e) => `${e.primitive}: ${e.message ?? ''}`).join('; ')).toEqual([
      'kill_node passed',
      'firewall_inbound passed',
      'partition_pair passed',
    ]);
    // The case is the one meant: the revived bridge's dial to its mesh-a seed failed before the repair.
    const q = cluster.telemetry.query;
    const failed = q.find({ name: 'mesh.peer.dial_failed', node: bridge.name, attrs: { peerId: seedA.nodeId } });
    expect(failed.some((s) => s.endMs > 41_000 && s.endMs < 55_000)).toBe(true);
    expect(q.find({ name: 'mesh.gossip.join', node: bridge.name, attrs: { topic: 'mesh-a' } }).filter((s) => s.endMs > 41_000 && s.endMs < 65_000)).toEqual([]);
    // The search from the bridge backwards (which origins it was cut off from: how wedge_node
    // picks its probe's origin) names the same origins as a search from each origin.
    const world = worldOf(cluster);
    const plans = plannedNodes(base.topology, '7');
    const own = { targets: [pair.fault.targets[0], pair.fault.targets[1]].map((n) => plans.find((p) => p.name === n)!.nodeId), params: {} };
    const others = otherCutWindows(world, own, 40_000);
    const isCut = cutOffTowards(world, others, 'mesh-a', bridge.nodeId, 56_000);
    const origins = world.nodes.filter((p) => p.meshIds.includes('mesh-a') && p.nodeId !== bridge.nodeId);
    for (const o of origins) expect(isCut(o.nodeId), o.name).toBe(cutOffFrom(world, others, 'mesh-a', o.nodeId, 56_000).has(bridge.nodeId));
    expect(origins.filter((o) => isCut(o.nodeId)).length).toBeGreaterThan(0);
  });

  it("a kill's probe round does not wait for a survivor other events cut off from its origin", () => {
    // gossip-mesh-to-mesh-chaos with --chaos 4, seed 3: a partition_subset at 47.4 s holds every
    // mesh-a neighbour of broker-b5d78f40 apart from the rest while kill_node's round (after the
    // victim's neighbours noticed) is out. The round timed out waiting for the broker.
    const { report, cluster } = runScenario(withChaos(findScenario('gossip-mesh-to-mesh-chaos')!, { random: { count: 4 } }), '3');
    const kill = chaosLog(report).find((e) => e.primitive === 'kill_node')!;
    expect(kill.verdict, kill.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    // The case is the one meant: some mesh-a probe sent while the kill was judged could not reach the broker.
    const world = worldOf(cluster);
    const victim = world.nodes.find((p) => p.name === kill.targets[0])!;
    const broker = world.nodes.find((p) => p.name === 'broker-b5d78f40')!;
    const others = otherCutWindows(world, { targets: [victim.nodeId], params: {} }, kill.atMs);
    const sent = cluster.telemetry.query.find({ name: 'mesh.probe.sent', sinceMs: kill.atMs, untilMs: kill.atMs + kill.waitedMs, attrs: { topic: 'mesh-a' } });
    expect(sent.some((s) => cutOffFrom(world, others, 'mesh-a', cluster.idOfName(s.node), s.endMs).has(broker.nodeId))).toBe(true);
  });

  it('a partition_pair on two nodes still rejoining after another event does not ask their probes for a detour', () => {
    // remove-resilience with --chaos 8, seed 14: the burst_kill of 20 s revives its victims at
    // 51.0 s, and a partition_pair at 51.5 s cuts two of them apart while they rejoin: their
    // views hold little but each other, which is the burst's doing, not a mesh that lost detours.
    const { report } = runScenario(withChaos(findScenario('remove-resilience')!, { random: { count: 8 } }), '14');
    const log = chaosLog(report);
    const burst = log.find((e) => e.primitive === 'burst_kill' && e.atMs === 20_000)!;
    const pair = log.find((e) => e.primitive === 'partition_pair')!;
    expect(pair.targets.every((t) => burst.targets.includes(t))).toBe(true);
    expect(pair.atMs - burst.revertedAtMs!).toBeLessThan(5_000);
    expect(pair.verdict, pair.message).toBe('passed');
    expect(report.verdict).toBe('pass');
  });

  it("a firewalled node whose only outbound neighbours another event killed is not asked to show probes", () => {
    // partition-pair with --chaos 8, seed 18: compute-30ccde38 is firewalled from 16.3 s; at
    // 45.6 s a burst_kill takes its two outbound neighbours, and its inbound links idle out
    // (the firewall's doing) 0.5 s later. From its probe phase (51.3 s) to the revert it can
    // reach nobody and nobody it, as the overlay its spans show says; the detector waited for its
    // probes and failed.
    const { report } = runScenario(withChaos(findScenario('partition-pair')!, { random: { count: 8 } }), '18');
    const log = chaosLog(report);
    const firewall = log.find((e) => e.primitive === 'firewall_inbound' && e.targets[0] === 'compute-30ccde38')!;
    const burst = log.find((e) => e.primitive === 'burst_kill')!;
    expect(burst.atMs).toBeGreaterThan(firewall.atMs);
    expect(firewall.verdict, firewall.message).toBe('passed');
    expect(report.verdict).toBe('pass');
  });

  // A seed case stood here: the default layout's --chaos 20, seed 421, a firewalled registry whose
  // two outbound neighbours other events restarted after it took them up, so nobody could reach
  // it. Once HyParView stopped taking in a NeighborReply from a peer it had evicted, that seed's
  // schedule changed, and about 8,500 runs (default, partition-pair, restart-node and
  // firewall-inbound seeds) met the situation again nowhere. The rule, another event's restart
  // cutting a link that ran on the old incarnation's connection, is shown holding and red by the
  // hand-written trace in test/reach.test.ts ('the receivers other events cut off from an origin').

  it('a node other events stripped of every neighbour but a firewalled one is not owed a firewalled origin\'s probe', () => {
    // firewall-inbound under --chaos 20, seed 1025: broker-c8408077's mesh-b neighbours were cut
    // off by a partition_subset (51.8 s), moved by a NAT shift (54.6 s) or killed (73.9 s) by
    // other events, and idled out (81.1–103.9 s); its last one is broker-663bf7de, firewalled
    // from 56.8 s, whose end of that link (dialled by broker-c8408077) idled out. Both
    // firewalls' probes (broker-663bf7de's, from 91.8 s, and bridge-467ccea7's, from 106.1 s)
    // waited for broker-c8408077, which no running node held from 103.9 s (the killed bridge's
    // spans hold it until its revival at 106.4 s) until broker-663bf7de's firewall lifted at
    // 107.9 s. The seed check now rejoins a node stranded so through its seed (src/mesh/node.ts,
    // strandedFrom); the case runs with that rule off, as the seed check was when it was found.
    const asFound = { ...findScenario('firewall-inbound')!, variantOf: () => ({ disableStrandedRejoin: true }) };
    const { report, cluster } = runScenario(withChaos(asFound, { random: { count: 20 } }), '1025');
    const log = chaosLog(report);
    const firewalls = log.filter((e) => e.primitive === 'firewall_inbound');
    expect(firewalls.map((e) => `${e.targets[0]} ${e.verdict}`)).toEqual(['bridge-5d02ddf9 passed', 'gateway-25ac5096 passed', 'broker-663bf7de passed', 'bridge-467ccea7 passed']);
    expect(report.verdict).toBe('pass');
    // The case is the one meant: at 106.5 s broker-c8408077 holds only the firewalled broker,
    // nobody holds broker-c8408077, and none of its links went down but to a lost transport.
    const world = worldOf(cluster);
    const stranded = cluster.idOfName('broker-c8408077');
    const overlay = overlayAt(world, 'mesh-b', 106_500);
    expect(overlay.get(stranded)!.map((id) => world.nameOf(id))).toEqual(['broker-663bf7de']);
    expect([...overlay.values()].some((view) => view.includes(stranded))).toBe(false);
    const downs = cluster.telemetry.query.find({ name: 'mesh.gossip.neighbor_down', node: 'broker-c8408077', untilMs: 106_500, attrs: { topic: 'mesh-b' } });
    expect(downs.map((d) => d.attrs.cause)).toEqual(['peer-down', 'peer-down', 'peer-down', 'peer-down']);
  });

  it('a partition_subset side does not wait for a node another concurrent subset cut off from it', () => {
    // partition-subset with --chaos 8, seed 12: a random partition_subset at 19.2 s and the
    // battery's at 20 s cut mesh-b three ways; bridge-29b574c9's mesh-b neighbours outside the
    // battery's subset were all inside the other one, so the observer's side probes (on the
    // overlay the spans show, this cut applied) could not reach it. The side was judged broken.
    // Found before the unused sweep waited for a Join's answer, which moves this run's events.
    const { report, cluster } = runScenario({ ...withChaos(findScenario('partition-subset')!, { random: { count: 8 } }), variantOf: () => ({ sweepUnansweredJoins: true }) }, '12');
    const log = chaosLog(report);
    const own = log.find((e) => e.primitive === 'partition_subset' && e.atMs === 20_000)!;
    expect(log.filter((e) => e.primitive === 'partition_subset')).toHaveLength(2);
    expect(own.verdict, own.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    // The case is the one meant: a side probe of the observer's during the cut had the bridge cut off by the other event.
    const world = worldOf(cluster);
    const ids = (names: readonly string[]) => names.map((n) => world.nodes.find((p) => p.name === n)!.nodeId);
    const inside = new Set(ids(own.targets));
    const others = otherCutWindows(world, { targets: [...inside], params: {} }, own.atMs);
    const bridge = ids(['bridge-29b574c9'])[0];
    const observer = world.nodes.find((p) => p.role === 'observer')!;
    const sent = cluster.telemetry.query.find({ name: 'mesh.probe.sent', node: observer.name, sinceMs: own.atMs, untilMs: own.revertedAtMs!, attrs: { topic: 'mesh-b' } });
    expect(sent.some((p) => cutOffFrom(world, others, 'mesh-b', observer.nodeId, p.endMs, (x, y) => inside.has(x) !== inside.has(y)).has(bridge))).toBe(true);
  });

  it('a wedged node other events cut off from every origin on a topic is not owed that probe', () => {
    // mesh-five-types-present-chaos with --chaos 8, seed 13: eleven events in five seconds. The
    // wedged bridge-b2c6fc47 (10.1–19.1 s) was, on mesh-b, cut off by the others (a
    // partition_subset, kills) from every node that could send it a probe until after the
    // deadline; the round waited for it and timed out.
    const { report, cluster } = runScenario(withChaos(findScenario('mesh-five-types-present-chaos')!, { random: { count: 8 } }), '13');
    const log = chaosLog(report);
    const wedge = log.find((e) => e.primitive === 'wedge_node')!;
    expect(wedge.targets).toEqual(['bridge-b2c6fc47']);
    expect(wedge.verdict, wedge.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    // The case is the one meant: when the round went out, no running mesh-b node could reach the bridge.
    const world = worldOf(cluster);
    const victim = world.nodes.find((p) => p.name === 'bridge-b2c6fc47')!;
    const others = otherCutWindows(world, { targets: [victim.nodeId], params: {} }, wedge.atMs);
    const sent = cluster.telemetry.query.find({ name: 'mesh.probe.sent', sinceMs: wedge.revertedAtMs!, untilMs: wedge.atMs + wedge.waitedMs, attrs: { topic: 'mesh-b' } });
    expect(sent.length).toBeGreaterThan(0);
    const first = sent[0];
    expect(cutOffTowards(world, others, 'mesh-b', victim.nodeId, first.endMs)(cluster.idOfName(first.node))).toBe(true);
  });

  it("slow_link's and nat_shift's probes expect no one other events cut off from the origin", () => {
    // mesh-five-types-present-chaos seed 23 and remove-resilience seed 36, each with --chaos 8:
    // a slow_link's round waited for the observer, and a nat_shift's for the observer and its
    // victim, while concurrent partitions, shifts and kills had cut them off from the origin.
    const slow = runScenario(withChaos(findScenario('mesh-five-types-present-chaos')!, { random: { count: 8 } }), '23').report;
    const slowEvent = chaosLog(slow).find((e) => e.primitive === 'slow_link' && e.targets.includes('bridge-8d4cffdf'))!;
    expect(slowEvent.verdict, slowEvent.message).toBe('passed');
    expect(chaosLog(slow).filter((e) => e.primitive === 'partition_subset' && e.atMs < slowEvent.atMs)).toHaveLength(2);
    const shift = runScenario(withChaos(findScenario('remove-resilience')!, { random: { count: 8 } }), '36').report;
    const shiftEvent = chaosLog(shift).find((e) => e.primitive === 'nat_shift')!;
    expect(shiftEvent.verdict, shiftEvent.message).toBe('passed');
    expect(shift.verdict).toBe('pass');
  });

  it('a closing round does not wait for a node another event revived a moment before', () => {
    // chaos-soak-9prim-1min with --chaos 8, seed 26 (13 events): flap_link's closing round at
    // 62.4 s waited for bridge-db072c2c, which a burst_kill had revived at 62.0 s and which had
    // not rejoined yet (no path to it even without the other events: its views were empty).
    const { report, cluster } = runScenario(withChaos(findScenario('chaos-soak-9prim-1min')!, { random: { count: 8 } }), '26');
    const log = chaosLog(report);
    const flap = log.find((e) => e.primitive === 'flap_link')!;
    expect(flap.verdict, flap.message).toBe('passed');
    const burst = log.find((e) => e.primitive === 'burst_kill' && e.targets.includes('bridge-db072c2c'))!;
    const flapEndMs = flap.atMs + 4 * (Number(flap.params.downMs) + Number(flap.params.upMs));
    expect(flapEndMs - burst.revertedAtMs!).toBeGreaterThanOrEqual(0);
    expect(flapEndMs - burst.revertedAtMs!).toBeLessThan(5_000);
    // The case is the one meant: at the round's send time the bridge was out of reach even
    // without the other events, and inside the burst's window.
    const world = worldOf(cluster);
    const bridge = world.nodes.find((p) => p.name === 'bridge-db072c2c')!;
    const sent = cluster.telemetry.query.find({ name: 'mesh.probe.sent', sinceMs: flapEndMs, untilMs: flapEndMs + 1_000, attrs: { topic: 'bridge' } })[0];
    const others = otherCutWindows(world, { targets: flap.targets.map((n) => world.nodes.find((p) => p.name === n)!.nodeId), params: {} }, flap.atMs);
    expect(cutOffFrom(world, others, 'bridge', cluster.idOfName(sent.node), sent.endMs).has(bridge.nodeId)).toBe(true);
    expect(cutOffFrom(world, [], 'bridge', cluster.idOfName(sent.node), sent.endMs).has(bridge.nodeId)).toBe(false);
  });

  it("partition_pair's detour check counts a link to a peer another event restarted as dead, as the probe rounds do", () => {
    // The default layout with --chaos 20, seed 3: broker-b5d78f40's one detour at 40.5 s ran
    // to broker-7c64a3db over a connection the restart_node of 14.2 s had ended (it idles out
    // at about 44 s); its other neighbours were under a kill, a burst kill and a restart. The
    // detour check read that link as alive and blamed the mesh.
    const { report, cluster } = runScenario(withChaos(findScenario('default')!, { random: { count: 20 } }), '3');
    const log = chaosLog(report);
    const pair = log.find((e) => e.primitive === 'partition_pair' && e.atMs === 39_992)!;
    expect(pair.targets).toEqual(['broker-b5d78f40', 'registry-0fcfbfaa']);
    expect(pair.verdict, pair.message).toBe('passed');
    const restart = log.find((e) => e.primitive === 'restart_node' && e.targets[0] === 'broker-7c64a3db')!;
    expect(restart.atMs).toBeLessThan(20_000);
    // The link's holder took the peer up before that restart and kept it.
    const up = cluster.telemetry.query.last({ name: 'mesh.gossip.neighbor_up', node: 'broker-b5d78f40', untilMs: 40_492, attrs: { peerId: cluster.idOfName('broker-7c64a3db'), topic: 'mesh-a' } })!;
    expect(up.endMs).toBeLessThan(restart.atMs);
  });

  it("nat_shift does not ask for an idle timeout on old paths that nodes back from a healed partition displaced", () => {
    // The default layout with --chaos 20, seed 31: kill_node's revert revived gateway-951f19cd at
    // 50.0 s and nat_shift moved it at 50.6 s, while it was still rejoining (inside the kill's
    // node cut): its one old path ran to the observer. At 76.5 s a partition_subset healed and two
    // of its nodes joined through the observer and the victim, which evicted each other to admit
    // them; the observer closed the old path as unused at 79.0 s, and the victim's next packet on
    // it drew the observer's reset at 79.1 s (a running endpoint answers for a connection it
    // closed), before either end could idle out (≈ 80.5 s). The detection timed out: no old path
    // judged dead by silence. (Before the running endpoints' resets, the victim closed its end
    // as unused at 79.4 s.)
    const { report, cluster } = runScenario(withChaos(withoutAckIdleRestart(findScenario('default')!), { random: { count: 20 } }), '31');
    const log = chaosLog(report);
    const shift = log.find((e) => e.primitive === 'nat_shift')!;
    expect(shift.verdict, shift.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    // The case is the one meant: the victim was revived just before the shift.
    const kill = log.find((e) => e.primitive === 'kill_node' && e.targets[0] === shift.targets[0])!;
    expect(shift.atMs - kill.revertedAtMs!).toBeGreaterThan(0);
    expect(shift.atMs - kill.revertedAtMs!).toBeLessThan(5_000);
    // Each end of its one old path evicted the other end to admit a node the partition_subset had
    // held on the other side, healed < 5 s before; the observer's end was then closed as unused,
    // and the victim's first ended by the reset that close drew.
    const q = cluster.telemetry.query;
    const world = worldOf(cluster);
    const victim = cluster.idOfName(shift.targets[0]);
    const old = connectedPeersOf(world, victim, shift.atMs);
    expect(old.map((id) => cluster.nameOf(id))).toEqual(['observer-946f2b04']);
    const subset = log.find((e) => e.primitive === 'partition_subset' && e.atMs < shift.atMs && e.revertedAtMs! > shift.atMs)!;
    for (const [node, peer] of [[victim, old[0]], [old[0], victim]]) {
      const close = firstEnd(world, { node, peer }, shift.atMs)!;
      expect([close.attrs.reason, close.attrs.cause]).toEqual(node === victim ? ['reset', 'reset'] : ['closed-locally', 'unused']);
      const eviction = q.first({ name: 'mesh.gossip.neighbor_down', node: cluster.nameOf(node), sinceMs: shift.atMs, attrs: { peerId: peer, cause: 'evicted' } })!;
      const admitted = q.find({ name: 'mesh.gossip.neighbor_up', node: cluster.nameOf(node), sinceMs: eviction.endMs, untilMs: eviction.endMs }).find((up) => up.seq > eviction.seq)!;
      expect(subset.targets).toContain(cluster.nameOf(String(admitted.attrs.peerId)));
      expect(subset.targets).not.toContain(cluster.nameOf(node));
      expect(eviction.endMs - subset.revertedAtMs!).toBeLessThan(5_000);
      expect(close.endMs - shift.atMs).toBeLessThan(30_000);
    }
  });

  it("a kill waits for a prune of the victim's digest another event held on its way, until that prune is due", () => {
    // Seed 2885: a partition_pair between registry-3b9f483a and bridge-65228171 (35.0–54.3 s)
    // held the last digest compute-376f2e5e sent to the bridge before the burst kill of 36.7 s;
    // it arrived at 54.4 s, and the bridge pruned the compute at 85.9 s.
    const { kill, world, v, p, killed, pruned, held } = heldDigestCase('default', '2885', 'burst_kill', 'compute-376f2e5e', 'bridge-65228171');
    // The case is the one meant: the pruner's prune came after the kill's own deadline, and
    // the other event's cut is what held the digest (its revert + RTO max + TTL + pruner +
    // probe round + slack is the deadline the detection took).
    expect(pruned!.endMs - kill.atMs).toBeGreaterThan(KILL_DEADLINE_MS);
    expect(held!.by).toBe('partition_pair');
    expect(kill.deadlineMs).toBe(held!.untilMs + 45_000 - kill.atMs);
    expect(pruned!.endMs).toBeLessThan(held!.untilMs + 35_000);
    // Without the other events nothing is held.
    expect(heldDigest(world, [], v, p, killed, kill.atMs, kill.atMs + KILL_DEADLINE_MS)).toBeNull();
  });

  it("a digest held two hops from the pruner, past nodes the same burst killed, is waited for too", () => {
    // lossy-link-25pct under --chaos 20, seed 127: the burst kill of 48.8 s took a registry and
    // two more mesh-b nodes. The registry's last digest reached compute-65d2d977 and
    // compute-0b2e1165, whose every link out was cut (firewalls, a kill, and a partition_pair
    // between compute-65d2d977 and broker-bc8758b5, 47.6–66.0 s); every other path to the
    // observer ran through the burst's other two victims. When the pair healed, the digest went
    // on, and the observer pruned the registry past the kill's own deadline. The wait used to ask
    // for a cut on the observer's own links, and for every path, the dead ones too, to be cut.
    const { kill, pruned, held } = heldDigestCase('lossy-link-25pct', '127', 'burst_kill', 'registry-d3460137', 'observer-3affaddf');
    expect(pruned!.endMs - kill.atMs).toBeGreaterThan(KILL_DEADLINE_MS);
    // The wait runs to the latest revert of a cut on such a link: a firewall_inbound on a bridge
    // (reverted at 85.1 s) that compute-65d2d977 also pushed to; its node cut reads every link
    // of the bridge as cut.
    expect(held).toEqual({ by: 'firewall_inbound', revertedAtMs: 85_095, untilMs: 85_095 + 10_000 });
    expect(kill.deadlineMs).toBe(held!.untilMs + 45_000 - kill.atMs);
    expect(pruned!.endMs).toBeLessThan(held!.untilMs + 35_000);
  });

  it('a digest held on any link another event cut, once seen let go, is waited for downstream of it too', () => {
    // mesh-five-types-present-chaos under --chaos 20, seed 2716: gateway-fba1a8d8's last digest,
    // 58 ms before the burst kill of 12.1 s, went three hops to bridge-a803a48f, whose link to
    // broker-fb5ce325 a partition_pair had cut since 10.7 s. The pair healed at 28.6 s; the copy
    // went on from the broker through two restarted nodes to compute-0a55da77, which a NAT shift
    // had cut off from the first copy. Both pruned the victim just past the kill's deadline.
    for (const pruner of ['broker-fb5ce325', 'compute-0a55da77']) {
      const { kill, world, v, p, killed, pruned, held } = heldDigestCase('mesh-five-types-present-chaos', '2716', 'burst_kill', 'gateway-fba1a8d8', pruner);
      expect(pruned!.endMs - kill.atMs).toBeGreaterThan(KILL_DEADLINE_MS);
      expect(held).toEqual({ by: 'partition_pair', revertedAtMs: 28_623, untilMs: 28_623 + 10_000 });
      // Red: without the learns that show the copy let go, or without the other events, nothing is held.
      const q = world.spans;
      const released: readonly SpanRecord[] = q.find({ name: 'mesh.digest.learned', sinceMs: held!.revertedAtMs, untilMs: held!.untilMs, attrs: { nodeId: v } });
      expect(released.map((r) => r.node)).toEqual(['registry-981820b5', 'gateway-6c347bb3']);
      const unseen = (r: SpanRecord) => !released.includes(r);
      const spans: typeof q = Object.assign(Object.create(q), {
        find: (f: AnySpanFilter) => q.find(f).filter(unseen),
        first: (f: AnySpanFilter) => q.find(f).find(unseen),
        last: (f: AnySpanFilter) => q.find(f).filter(unseen).at(-1),
      });
      const others = otherCutWindows(world, { targets: killed, params: {} }, kill.atMs);
      // The broker's copy waited on its own cut link, from the bridge: that holds without the
      // learns. The compute's came on from the broker, which only the learns show.
      const unseenHeld = heldDigest({ ...world, spans }, others, v, p, killed, kill.atMs, kill.atMs + KILL_DEADLINE_MS);
      if (pruner === 'broker-fb5ce325') expect(unseenHeld).toEqual(held);
      else expect(unseenHeld).toBeNull();
      expect(heldDigest(world, [], v, p, killed, kill.atMs, kill.atMs + KILL_DEADLINE_MS)).toBeNull();
    }
  });

  it("a digest held on the pruner's own cut link is waited for even where other paths were left", () => {
    // lossy-link-25pct under --chaos 20, seed 8833: bridge-015283c4 sent its last digest at 66.9 s,
    // 41 ms before broker-2659d5cf took it as a neighbour, and a burst killed it at 67.2 s. Plumtree
    // passes a broadcast on only to the neighbours a node has as it passes, so none of the paths
    // left brought the broker that digest; registry-600f2b5f queued it on their link, which a
    // partition_pair had cut since 66.7 s, and the broker had it at the pair's repair (80.4 s)
    // and pruned the bridge past the kill's own deadline.
    const { kill, world, v, p, killed, pruned, held } = heldDigestCase('lossy-link-25pct', '8833', 'burst_kill', 'bridge-015283c4', 'broker-2659d5cf');
    expect(pruned!.endMs - kill.atMs).toBeGreaterThan(KILL_DEADLINE_MS);
    const others = otherCutWindows(world, { targets: killed, params: {} }, kill.atMs);
    const pair = others.find((w) => w.name === 'partition_pair' && w.targets.has('broker-2659d5cf'))!;
    expect([...pair.targets].sort()).toEqual(['broker-2659d5cf', 'registry-600f2b5f']);
    expect(held).toEqual({ by: 'partition_pair', revertedAtMs: pair.revertedAtMs, untilMs: pair.revertedAtMs + world.links.config.rtoMaxMs });
    expect(kill.deadlineMs).toBe(held!.untilMs + 45_000 - kill.atMs);
    expect(pruned!.endMs).toBeLessThan(held!.untilMs + 35_000);
    // The case is the one meant: paths were left, the victim's own link to the broker among them.
    expect(othersCutEveryPath(world, others, ['mesh-a'], v, p, kill.atMs, (x, y) => (killed.includes(x) && x !== v) || (killed.includes(y) && y !== v))).toBe(false);
  });

  it('a pruner cut off at the kill waits for the later neighbour that relayed it a held copy', () => {
    // partition-pair under --chaos 20, seed 6817: a NAT shift had cut registry-5c82c6fb off since
    // 61.1 s when compute-26afd51f was killed at 79.3 s. The registry rejoined at 88.4 s and took
    // broker-5cd20a1c as a neighbour at 90.5 s; a partition_pair (77.1–90.7 s) had held the
    // compute's last digests from the broker. Both pruned the compute at 125.2 and 125.35 s,
    // after the closing round no longer fitted; the round went out at the deadline and timed out.
    const { kill, world, v, p, killed, pruned, held } = heldDigestCase(withoutAckIdleRestart(findScenario('partition-pair')!), '6817', 'kill_node', 'compute-26afd51f', 'registry-5c82c6fb');
    expect(pruned!.endMs - kill.atMs).toBeGreaterThan(KILL_DEADLINE_MS - 10_000);
    const others = otherCutWindows(world, { targets: killed, params: {} }, kill.atMs);
    const broker = heldDigest(world, others, v, world.nodes.find((n) => n.name === 'broker-5cd20a1c')!.nodeId, killed, kill.atMs, kill.atMs + KILL_DEADLINE_MS);
    expect(broker?.by).toBe('partition_pair');
    // The registry's copy is the broker's, passed on.
    expect(held).toEqual({ ...broker, untilMs: broker!.untilMs + PLUMTREE_PASS_ON_MS });
    expect(kill.deadlineMs).toBe(held!.untilMs + 45_000 - kill.atMs);
    // Red: no copy of the registry's own was held.
    expect(heldDigest(world, others, v, p, killed, kill.atMs, kill.atMs + KILL_DEADLINE_MS, false)).toBeNull();
  });

  it("a dead node's digest a relay held through a cut and let go late is not news: the pruner's entry ages from the copy it first had", () => {
    // Default layout under --chaos 20, seed 1292: bridge-811eb702 died in a burst kill at 23.1 s.
    // A partition_pair between compute-4eb45535 and bridge-f7367162 (18.5–35.4 s) held two of
    // its mesh-b digests, seq 10 and 11; the observer had seq 11 from mesh-a at 22.9 s and got
    // both copies again at 35.5 s. Taken as news, they renewed its entry: the prune came at 70.0 s
    // and the closing round, sent at the deadline (70.1 s), timed out.
    const run = runRandomChaos({ ...findScenario('default')!, traceLevel: 'trace' }, 20, '1292');
    const kill = passedEvent(run, (e) => e.primitive === 'burst_kill' && e.targets.includes('bridge-811eb702'));
    const pair = run.log.find((e) => e.primitive === 'partition_pair' && e.targets.includes('bridge-f7367162'))!;
    const world = worldOf(run.cluster);
    const victim = run.cluster.idOfName('bridge-811eb702');
    const observer = world.nodes.find((n) => n.name.startsWith('observer-'))!;
    // The case is the one meant: copies of the victim's digest reached the observer from the
    // relay just after the pair healed, long after the victim died.
    const late = world.spans.find({ name: 'mesh.gossip.received', node: observer.name, sinceMs: pair.revertedAtMs!, untilMs: pair.revertedAtMs! + 1_000, attrs: { origin: victim, kind: 'digest' } });
    expect(late.map((s) => run.cluster.nameOf(String(s.attrs.from)))).toEqual(['bridge-f7367162', 'bridge-f7367162']);
    // The prune counts from the copy first had (22.9 s): due by TTL + pruner, leaving the round its time.
    const pruned = prunedBy(world, observer.nodeId, victim, kill.atMs)!;
    expect(pruned.endMs).toBeLessThanOrEqual(kill.atMs + 37_000);
    expect(kill.deadlineMs).toBe(KILL_DEADLINE_MS);
  });

  it('a held prune that comes just before the deadline leaves the closing round its time after it', () => {
    // restart-node under --chaos 20, seed 1679: a partition_pair between registry-09d5237f and
    // bridge-f7e50d57 (60.0–76.1 s) held the last digests broker-20ff31b2 sent towards
    // compute-b2388ac8 before the burst kill of 63.9 s; the compute pruned them at 110.70 s,
    // 0.2 s before the kill's deadline. The closing probe round, sent at the deadline, used to
    // time out at once.
    const { kill, pruned, held } = heldDigestCase(withoutAckIdleRestart(findScenario('restart-node')!), '1679', 'burst_kill', 'broker-20ff31b2', 'compute-b2388ac8');
    // The case is the one meant: the prune came within the round and slack before the deadline,
    // and the other event's cut held the digest; the deadline is the held prune's.
    expect(pruned!.endMs - kill.atMs).toBeGreaterThan(KILL_DEADLINE_MS - 10_000);
    expect(pruned!.endMs - kill.atMs).toBeLessThanOrEqual(KILL_DEADLINE_MS);
    expect(held!.by).toBe('partition_pair');
    expect(kill.deadlineMs).toBe(held!.untilMs + 45_000 - kill.atMs);
  });

  it("a digest behind a packet lost on a flapping link arrives once a later packet gets through, within the kill's own deadline", () => {
    // Seed 35: gateway-0bdf41a7's every mesh-a path from bridge-b8aa5e1c (killed at 35.2 s) was
    // cut by other events; its link to broker-858f5da1 flapped from 29.8 s to 58.8 s. One packet
    // of the broker's stream, lost in a down phase at 30.0 s, used to wait out its own backoff
    // (each retry fell in a down phase) and hold the victim's digests 15–17 behind it until
    // 52.6 s: the gateway pruned the victim past 47 s, and only the held-digest wait passed the
    // kill. With the transport's loss detection (RFC 9002 §6.1) the packet is resent once a later
    // one got through (33.2 s): the prune comes within the kill's own deadline, which stays as
    // it is, although the spans still show a cut that could have held the digest.
    const { kill, pruned, held } = heldDigestCase('default', '35', 'kill_node', 'bridge-b8aa5e1c', 'gateway-0bdf41a7');
    expect(pruned!.endMs - kill.atMs).toBeLessThanOrEqual(KILL_DEADLINE_MS);
    expect(kill.deadlineMs).toBe(KILL_DEADLINE_MS);
    expect(held?.by).toBe('flap_link');
  });

  it('a held digest lengthens the wait for its prune, never excuses it: a pruner that never prunes still fails the kill', () => {
    // Seed 35 with the staleness pruner off on gateway-0bdf41a7 alone: the kill's detection
    // waits for its prune until the held digest's prune was due, then times out — and the run
    // waits for that longer deadline before it reverts what is left.
    const scenario = withChaos(findScenario('default')!, { random: { count: 20 } });
    const { report } = runScenario({ ...scenario, variantOf: (plan) => (plan.name === 'gateway-0bdf41a7' ? { disablePruner: true } : {}) }, '35');
    const kill = chaosLog(report).find((e) => e.primitive === 'kill_node' && e.targets[0] === 'bridge-b8aa5e1c')!;
    expect(kill.verdict).toBe('failed_timeout');
    expect(kill.deadlineMs).toBeGreaterThan(KILL_DEADLINE_MS);
    expect(kill.waitedMs).toBeGreaterThanOrEqual(kill.deadlineMs);
    expect(report.violations.filter((v) => v.check === 'run-budget')).toEqual([]);
    expect(report.violations.find((v) => v.check === 'chaos-detection-timeout')?.message).toContain('gateway-0bdf41a7: mesh.staleness.pruned of bridge-b8aa5e1c');
  });

  it('the same firewall set outside the chaos engine excuses nothing', () => {
    const { base, bridge, seedA, kill, pair } = heldUpJoin();
    const chaotic = withChaos(base, { events: [kill, pair] });
    const { report } = runScenario({ ...chaotic, extensions: [...(chaotic.extensions ?? []), firewallBetween(seedA.nodeId, 15_000, 75_000)] }, '7');
    const e = chaosLog(report).find((x) => x.primitive === 'partition_pair')!;
    expect(e.verdict, `${bridge.name}: ${e.message ?? ''}`).toBe('failed_timeout');
  });

  it("partition_pair's detour check counts a holder another event took down before it could pass the probe on", () => {
    // mesh-five-types-present-chaos with --chaos 20, seed 13 (14 events in 3.5 s): a
    // partition_pair cut registry-d7be093d from bridge-b2c6fc47 at 11.0 s; the bridge's one other
    // mesh-b neighbour, compute-484096fe, took the registry's probe 39 ms after it was sent and
    // was restarted 63 ms later, before the bridge's graft reached it. The probe reached the
    // bridge only over the healed link, and the detection failed: no other path.
    const { report, cluster } = runScenario(withChaos(findScenario('mesh-five-types-present-chaos')!, { random: { count: 20 } }), '13');
    const log = chaosLog(report);
    const pair = log.find((e) => e.primitive === 'partition_pair' && e.targets.join() === 'registry-d7be093d,bridge-b2c6fc47')!;
    expect(pair.verdict, pair.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    // The case is the one meant: the holder's restart began within the hold after the send.
    const q = cluster.telemetry.query;
    const sent = q.first({ name: 'mesh.probe.sent', node: 'registry-d7be093d', sinceMs: pair.atMs })!;
    const held = q.first({ name: 'mesh.probe.delivered', node: 'compute-484096fe', sinceMs: sent.startMs, attrs: { probeId: String(sent.attrs.probeId) } })!;
    const restart = log.find((e) => e.primitive === 'restart_node' && e.targets[0] === 'compute-484096fe')!;
    expect(held.endMs).toBeLessThan(restart.atMs);
    expect(restart.atMs - sent.startMs).toBeLessThanOrEqual(DETOUR_HOLD_MS);
    // A node cut that began later than the hold stays where it was.
    const windows = cutWindows(q).filter((w) => w.name === 'restart_node' && w.targets.has('compute-484096fe'));
    expect(heldUpFrom(windows, sent.startMs, DETOUR_HOLD_MS)[0].fromMs).toBe(sent.startMs);
    expect(heldUpFrom(windows, restart.atMs - DETOUR_HOLD_MS - 1, DETOUR_HOLD_MS)[0].fromMs).toBe(restart.atMs);
  });

  it("partition_pair's detour check counts relays a subset cut took from the receiver while the probe was in flight", () => {
    // partition-pair with --chaos 20, seed 3897: broker-e0f292be's probe to compute-4f8513fb left
    // at 20.5 s; registry-c4451aaa had it 15 ms later and compute-206251c2 122 ms later, and a
    // partition_subset at 20.618 s took both from the compute before either passed it on (the
    // compute's graft was on its way). It reached the compute only over the healed link.
    const { report, cluster } = runScenario(withChaos(findScenario('partition-pair')!, { random: { count: 20 } }), '3897');
    const log = chaosLog(report);
    const pair = log.find((e) => e.primitive === 'partition_pair' && e.targets.join() === 'broker-e0f292be,compute-4f8513fb')!;
    expect(pair.verdict, pair.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    // The case is the one meant: the subset began within the hold after the send, with both
    // relays inside and the receiver outside, and the probe reached the receiver only after the heal.
    const q = cluster.telemetry.query;
    const sent = q.first({ name: 'mesh.probe.sent', node: 'broker-e0f292be', sinceMs: pair.atMs })!;
    const subset = log.find((e) => e.primitive === 'partition_subset' && e.atMs > sent.startMs)!;
    expect(subset.atMs - sent.startMs).toBeLessThanOrEqual(DETOUR_HOLD_MS);
    expect(subset.targets).toEqual(expect.arrayContaining(['registry-c4451aaa', 'compute-206251c2']));
    expect(subset.targets).not.toContain('compute-4f8513fb');
    const got = q.first({ name: 'mesh.probe.delivered', node: 'compute-4f8513fb', sinceMs: sent.startMs, attrs: { probeId: String(sent.attrs.probeId) } })!;
    expect(got.endMs).toBeGreaterThan(pair.atMs + Number(pair.params.durationMs));
    // A subset cut is held up like a node cut; one that began later than the hold stays where it was.
    const windows = cutWindows(q).filter((w) => w.name === 'partition_subset' && w.fromMs === subset.atMs);
    expect(heldUpFrom(windows, sent.startMs, DETOUR_HOLD_MS)[0].fromMs).toBe(sent.startMs);
    expect(heldUpFrom(windows, subset.atMs - DETOUR_HOLD_MS - 1, DETOUR_HOLD_MS)[0].fromMs).toBe(subset.atMs);
  });
});
