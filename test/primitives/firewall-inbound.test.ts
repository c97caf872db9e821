/**
 * FirewallInbound. Goal: a node whose inbound connections are dropped stays in the mesh through
 * the connections it dials out (probes from and to it are delivered, its heartbeat shows peers,
 * nobody prunes it); and the detector goes red when its outbound connections are not kept.
 * Method: the `firewall-inbound` battery scenario over two seeds; then the same with a
 * stateless firewall double that also blocks the node's own outbound connections, alone and
 * with a concurrent kill elsewhere (which must not excuse it). And a run that stops before the
 * revert, with a receiver cut off outside the chaos engine: the timeout names that receiver.
 */
import { describe, expect, it } from 'vitest';
import { BATTERY_EVENT_AT_MS, withChaos } from '../../src/catalog/chaos-scenarios.js';
import { chaosExtension } from '../../src/primitives/engine.js';
import { firewallBlock, firewallInbound, oneSidedIslands, sentWhileRejoining } from '../../src/primitives/firewall-inbound.js';
import type { ChaosWorld } from '../../src/primitives/types.js';
import { handTrace } from '../support/hand-trace.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import type { RunContext, RunExtension } from '../../src/scenario/scenario.js';
import { plannedNodes } from '../../src/scenario/topology.js';
import { chaosLog, worldOf, expectGreen, explain, passedEvent, runChaos, runRandomChaos, scenarioNamed, withoutAckIdleRestart } from '../support/chaos.js';
import { isolateAt, statelessFirewall } from '../support/chaos-links.js';
import { fourMeshesTwoBridges, scenarioOf, withoutObserver } from '../support/scenario-file.js';
import { cutOffFrom, otherCutWindows, overlayAt, type OwnBlock } from '../../src/primitives/reach.js';
import { runScheduleFile } from '../../src/property/replay.js';
import { loadScheduleFile } from '../../src/property/schedule.js';
import { join } from 'node:path';

/** `extension` without `settled`/`pendingUntilMs`: the runner does not wait for it after the main phase. */
function withoutSettling(extension: (ctx: RunContext) => RunExtension): (ctx: RunContext) => RunExtension {
  return (ctx) => {
    const e = extension(ctx);
    return { start: () => e.start(), finish: () => e.finish(), violations: () => e.violations(), report: () => e.report() };
  };
}

/**
 * A `--chaos 20` run of `scenario` whose firewall on `victim` passed: the event, the observer's
 * prune of the victim's digest after it, and the victim's first dial after it.
 */
function prunedBeforeRedial(scenario: string | Scenario, seed: string, victim: string) {
  const run = runRandomChaos(scenario, 20, seed);
  const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === victim);
  const q = run.cluster.telemetry.query;
  const observer = run.cluster.plans.find((p) => p.role === 'observer')!;
  const pruned = q.find({ name: 'mesh.staleness.pruned', node: observer.name, sinceMs: e.atMs }).find((s) => String(s.attrs.nodeIds).includes(run.cluster.idOfName(victim)))!;
  const redial = q.first({ name: 'mesh.peer.connected', node: victim, sinceMs: e.atMs, attrs: { direction: 'outbound' } })!;
  return { run, e, q, pruned, redial };
}

describe('firewall_inbound', () => {
  it('firewall-inbound', () => {
    for (const run of expectGreen('firewall-inbound', ['1', '2'], [])) {
      const e = run.events[0];
      // Shown in the mesh only after its inbound connections had time to idle out.
      expect(e.waitedMs).toBeGreaterThan(30_000);
      expect(e.evidence.some((s) => s.startsWith(`${e.targets[0]}:mesh.heartbeat`))).toBe(true);
      expect(e.evidence.some((s) => s.startsWith(`${e.targets[0]}:mesh.probe.delivered`))).toBe(true);
    }
  });

  it('firewall-inbound goes red when the node\'s outbound connections are not kept', () => {
    const base = scenarioNamed('firewall-inbound');
    const run = runChaos('firewall-inbound', '1', undefined, { extensions: [statelessFirewall(), ...(base.extensions ?? [])] });
    expect(run.events).toHaveLength(1);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/fell out of the mesh|not shown in the mesh/);
    expect(run.report.verdict).toBe('fail');
  });

  it('a victim whose peers other events all took shows its neighbours by the revert over a connection it dialed, between heartbeats', () => {
    // kill-node under --chaos 20, seed 1678: broker-d1eb0db2 was firewalled 38.6-85.55 s. A subset
    // cut, a burst kill and a NAT shift took all five of its peers, so its heartbeats at 75.6 and
    // 80.6 s counted none; at 80.6 s it rejoined through the observer over an outbound connection
    // and held its new neighbours at the revert, 50 ms before its next heartbeat.
    const run = runRandomChaos(withoutAckIdleRestart(scenarioNamed('kill-node')), 20, '1678');
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'broker-d1eb0db2');
    const revertAtMs = e.atMs + Number(e.params.durationMs);
    const q = run.cluster.telemetry.query;
    const beats = q.find({ name: 'mesh.heartbeat', node: 'broker-d1eb0db2', sinceMs: e.atMs + 35_000, untilMs: revertAtMs - 1 });
    expect(beats.map((b) => b.attrs.peerCount)).toEqual([0, 0]);
    expect(e.evidence.some((s) => s.startsWith('broker-d1eb0db2:mesh.gossip.neighbor_up'))).toBe(true);
  });

  it('a link on crossed dials counts as inbound: the victim stripped of its outbound links is not owed the probes', () => {
    // clock-skew-60s under --chaos 20, seed 2006: broker-975f467a and bridge-fcd13623 dialled each
    // other at 42.0 s. The broker's span for its outbound end came 4 ms after the inbound one, but
    // the link ran on the inbound connection: it idled out 30 s after the firewall (46.4 s) went
    // up, as every link its peers had dialled did. Its two outbound neighbours, a node another
    // event killed at 80.0 s and a registry firewalled itself, left it no way in or out.
    const run = runRandomChaos(withoutAckIdleRestart(scenarioNamed('clock-skew-60s')), 20, '2006');
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'broker-975f467a');
    const q = run.cluster.telemetry.query;
    const peerId = run.cluster.idOfName('bridge-fcd13623');
    const crossed = q.find({ name: 'mesh.peer.connected', node: 'broker-975f467a', sinceMs: 42_000, untilMs: 42_100, attrs: { peerId } });
    expect(crossed.map((c) => c.attrs.direction)).toEqual(['inbound', 'outbound']);
    const idled = q.first({ name: 'mesh.peer.disconnected', node: 'broker-975f467a', sinceMs: e.atMs, attrs: { peerId } })!;
    expect([idled.attrs.cause, idled.endMs - e.atMs < 30_000]).toEqual(['idle-timeout', true]);
  });

  it("a victim the observer evicted at boot, then stripped by other events, is not owed the probes", () => {
    // firewall-inbound under --chaos 20, seed 2027: gateway-98a98014, evicted by the observer at
    // 2.7 s (a Disconnect; its low-priority refill found views full), held four neighbours until
    // other events took them: two killed or firewalled (idled out at 45 s), a gateway restarted
    // at 32.9 s and a registry firewalled from 20 s, which its view kept. Its refills at 45 s
    // were refused (low priority: its view was not empty).
    const run = runRandomChaos('firewall-inbound', 20, '2027');
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'gateway-98a98014');
    const q = run.cluster.telemetry.query;
    const downs = q.find({ name: 'mesh.gossip.neighbor_down', node: 'gateway-98a98014', untilMs: e.atMs + 35_000 });
    expect(downs.map((d) => [run.cluster.nameOf(String(d.attrs.peerId)), d.attrs.cause])).toEqual([
      ['broker-aad013f0', 'disconnect'],
      ['observer-93ba1514', 'disconnect'],
      ['bridge-76e1a983', 'peer-down'],
      ['compute-db46119b', 'peer-down'],
    ]);
    expect(q.find({ name: 'mesh.gossip.neighbor_up', node: 'gateway-98a98014', sinceMs: 2_700, untilMs: e.atMs + 35_000 })).toHaveLength(0);
  });

  it('a victim whose every link ran on a connection its peers dialled: a prune before its links idle out is the firewall\'s own cut', () => {
    // disk-full under --chaos 20, seed 2734: every link of gateway-641ab2b3 ran on a connection
    // its peer had dialled. Firewalled at 65.55 s, it could send nothing that arrived until those
    // connections idled out (95.15-95.22 s) and it dialled them all again; the observer pruned its
    // digest at 95.0 s, the staleness TTL being as long as the idle timeout.
    const { run, e, q, pruned, redial } = prunedBeforeRedial(withoutAckIdleRestart(scenarioNamed('disk-full')), '2734', 'gateway-641ab2b3');
    expect([pruned.endMs - e.atMs < 30_000, redial.endMs > pruned.endMs]).toEqual([true, true]);
    const before = q.find({ name: 'mesh.peer.connected', node: 'gateway-641ab2b3', sinceMs: 50_000, untilMs: e.atMs });
    expect(before.map((c) => c.attrs.direction)).toEqual(['inbound', 'inbound', 'inbound']);
  });

  it('a victim whose one link of its own dialling went with a leaver: a prune before it could dial again is the firewall\'s too', () => {
    // mesh-grow-shrink under --chaos 20, seed 9059: firewalled at 55.3 s, broker-6dfa0cf8 had
    // dialled one of its four links, to compute-fd57611c, which the workload's shrink stopped at
    // 60 s; the other three were its peers' dials. Its passive view was empty, so it dialled
    // nobody until those links idled out (85 s) and its seed check joined through the observer
    // at 90.27 s; the observer had pruned it at 90.0 s. It failed "fell out of the mesh".
    const { run, e, q, pruned, redial } = prunedBeforeRedial(withoutAckIdleRestart(scenarioNamed('mesh-grow-shrink')), '9059', 'broker-6dfa0cf8');
    expect(redial.endMs).toBeGreaterThan(pruned.endMs);
    expect(q.first({ name: 'mesh.gossip.neighbor_down', node: 'broker-6dfa0cf8', sinceMs: e.atMs, untilMs: e.atMs + 5_000, attrs: { peerId: run.cluster.idOfName('compute-fd57611c') } })?.attrs.cause).toBe('disconnect');
  });

  it('a victim other events left nobody to hold owes no heartbeat with peers', () => {
    // Found by random layouts under chaos (one mesh of seven gateways and four brokers, no
    // observer, --chaos 17), shown by seed 47: a burst kill's revert brought gateway-fc15f680
    // back at 152.26 s while a partition_subset (151.28-207.13 s) held both of its seeds;
    // firewalled at 153.73 s, it never had a neighbour (its dials to the seeds timed out), and
    // the one probe to it, at 188.73 s, was excused (other events had cut it off from the
    // origin). Without the excuse the detection fails at the revert ("no heartbeat with peers").
    const scenario = scenarioOf({
      name: 'fuzz-375',
      profile: 'full',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 7, broker: 4 } }], bridges: 0, observer: false },
      bootSpacingMs: 20,
      durationMs: 180_000,
      healWindowMs: 60_000,
    });
    const run = runRandomChaos(scenario, 17, '47');
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'gateway-fc15f680');
    const beats = run.cluster.telemetry.query.find({ name: 'mesh.heartbeat', node: 'gateway-fc15f680', sinceMs: e.atMs, untilMs: e.atMs + Number(e.params.durationMs) });
    expect(beats.length).toBeGreaterThan(5);
    expect(beats.every((b) => b.attrs.peerCount === 0)).toBe(true);
    const subset = run.log.find((x) => x.primitive === 'partition_subset' && x.targets.includes('gateway-cce3fc4e') && x.targets.includes('gateway-ae4d711d'))!;
    expect(subset.revertedAtMs!).toBeGreaterThan(e.atMs + Number(e.params.durationMs));
  });

  it('a victim whose every dial out ran into other events\' cuts owes nothing the firewall did not take', () => {
    // Fast-check seed 6404 (MESHSIM_PROP_FULL=1), shrunk: one mesh of seven, gateway-5f2448da
    // firewalled at 58.9 s with every link on a connection its peers had dialled; they idled out
    // at 88.8 s, two seconds after a partition_subset took both its seeds, and its dials to them
    // timed out to the revert (red: "a delivery at gateway-5f2448da of a probe to it").
    const scenario = scenarioOf({
      name: 'random-layout', profile: 'full', bootSpacingMs: 0, durationMs: 120_000, healWindowMs: 30_000,
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 3, broker: 4 } }], bridges: 0, observer: false },
      network: { lossPct: 1, latencyMs: 5, jitterMs: 0 },
    });
    const run = runRandomChaos(scenario, 9, '67383');
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'gateway-5f2448da');
    const revertAtMs = e.atMs + Number(e.params.durationMs);
    const q = run.cluster.telemetry.query;
    const dials = q.find({ name: 'mesh.peer.dial_failed', node: 'gateway-5f2448da', sinceMs: e.atMs, untilMs: revertAtMs });
    expect(dials.length).toBeGreaterThan(0);
    expect(q.find({ name: 'mesh.peer.connected', node: 'gateway-5f2448da', sinceMs: e.atMs, untilMs: revertAtMs })).toEqual([]);
    const subset = run.log.find((x) => x.primitive === 'partition_subset')!;
    expect(dials.every((d) => subset.targets.some((t) => run.cluster.plans.find((p) => p.name === t)!.nodeId === d.attrs.peerId))).toBe(true);
  });

  it('a node that could join a topic only through the firewalled victim is not owed its probes there', () => {
    // Found by random layouts under chaos (four meshes, two bridges, no observer, --chaos 24),
    // shown by seed 35: a kill_node's revert brought bridge-54c32522 back at 71.84 s, during the
    // firewall on registry-84349836 (70.73-124.74 s), its one mesh-a seed. Its Joins on its other
    // meshes went through; its dials to the registry timed out (76.8-105.8 s), and it had no
    // mesh-a neighbour until 124.89 s, after the revert. Without the excuse the detection fails:
    // the registry's probes on mesh-a are owed to the bridge. Run with SPEC §2.1's seeds alone
    // (`disableSeedTopUp`): the bridge's fallback seed on mesh-a now lets it in.
    const scenario = fourMeshesTwoBridges();
    const run = runRandomChaos(scenario, 24, '35', { disableSeedTopUp: true });
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'registry-84349836');
    const q = run.cluster.telemetry.query;
    const revertAtMs = e.atMs + Number(e.params.durationMs);
    const back = q.last({ name: 'mesh.node.ready', node: 'bridge-54c32522', untilMs: revertAtMs })!;
    expect(back.endMs).toBeGreaterThan(e.atMs);
    const victimId = run.cluster.idOfName('registry-84349836');
    expect(q.find({ name: 'mesh.peer.dial_failed', node: 'bridge-54c32522', sinceMs: back.endMs, untilMs: revertAtMs, attrs: { peerId: victimId } }).length).toBeGreaterThan(0);
    expect(q.find({ name: 'mesh.gossip.neighbor_up', node: 'bridge-54c32522', sinceMs: back.endMs, untilMs: revertAtMs, attrs: { topic: 'mesh-a' } })).toEqual([]);
  });

  it('nodes the firewall left on an island holding the victim one-sided are not owed its probes', () => {
    // Layout-property case (fast-check seed 6437; full profile, three meshes, two bridges, no
    // observer, --chaos 24, seed 89153): mesh-b's two bridges held each other and the firewalled
    // registry-f08c9b9a, over connections they had dialled. The registry idled those out at
    // 88.0 s and let them go; they heard its keep-alives until then and nothing after (an idle
    // timeout is silent), so they held it one-sided until its packets drew a reset after the
    // revert at 112.0 s. Its probes on mesh-b could not reach them. Red without the island rule
    // (`oneSidedIslands`): the bridges were owed them.
    const run = runRandomChaos(
      scenarioOf({
        name: 'random-layout',
        profile: 'full',
        bootSpacingMs: 0,
        durationMs: 180_000,
        healWindowMs: 30_000,
        topology: {
          meshes: [
            { meshId: 'mesh-a', roles: { compute: 1, registry: 3 } },
            { meshId: 'mesh-b', roles: { compute: 1, registry: 3 } },
            { meshId: 'mesh-c', roles: { gateway: 3, compute: 1, registry: 1, broker: 8 } },
          ],
          bridges: 2,
          observer: false,
        },
      }),
      24,
      '89153',
    );
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'registry-f08c9b9a');
    const q = run.cluster.telemetry.query;
    const victimId = run.cluster.idOfName('registry-f08c9b9a');
    const revertAtMs = e.atMs + Number(e.params.durationMs);
    for (const bridge of ['bridge-34931a4f', 'bridge-8310e281']) {
      const other = bridge === 'bridge-34931a4f' ? 'bridge-8310e281' : 'bridge-34931a4f';
      // The registry let the bridge go on mesh-b at its idle-out; the bridge kept it to the revert.
      const letGo = q.last({ name: 'mesh.gossip.neighbor_down', node: 'registry-f08c9b9a', untilMs: revertAtMs, attrs: { topic: 'mesh-b', peerId: run.cluster.idOfName(bridge) } })!;
      expect(letGo.endMs).toBeGreaterThan(e.atMs + 28_000);
      expect(q.find({ name: 'mesh.gossip.neighbor_down', node: bridge, sinceMs: e.atMs, untilMs: revertAtMs, attrs: { topic: 'mesh-b', peerId: victimId } })).toEqual([]);
      // Its only other mesh-b neighbour then was the other bridge.
      const ups = q.find({ name: 'mesh.gossip.neighbor_up', node: bridge, untilMs: letGo.endMs, attrs: { topic: 'mesh-b' } }).map((s) => run.cluster.nameOf(String(s.attrs.peerId)));
      const downs = q.find({ name: 'mesh.gossip.neighbor_down', node: bridge, untilMs: revertAtMs, attrs: { topic: 'mesh-b' } }).map((s) => run.cluster.nameOf(String(s.attrs.peerId)));
      expect(new Set(ups.filter((n) => !downs.includes(n)))).toEqual(new Set(['registry-f08c9b9a', other]));
    }
    expect(run.report.verdict, run.report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });

  it('an island is a part of the overlay the victim holds no node of, with a one-sided link to it', () => {
    const overlay = (views: Record<string, string[]>) => new Map(Object.entries(views));
    // v holds a and b; c and d hold v and each other: an island.
    expect([...oneSidedIslands(overlay({ v: ['a', 'b'], a: ['v', 'b'], b: ['a', 'v'], c: ['d', 'v'], d: ['c', 'v'] }), 'v')].sort()).toEqual(['c', 'd']);
    // c also holds a, which v holds: a path the probe can take.
    expect([...oneSidedIslands(overlay({ v: ['a'], a: ['v'], c: ['v', 'a'] }), 'v')]).toEqual([]);
    // Held by a node v holds counts too (links count both ways).
    expect([...oneSidedIslands(overlay({ v: ['a'], a: ['v', 'c'], c: ['v'] }), 'v')]).toEqual([]);
    // A part that holds no link to v is no island the firewall made.
    expect([...oneSidedIslands(overlay({ v: ['a'], a: ['v'], c: ['d'], d: ['c'] }), 'v')]).toEqual([]);
    // A victim that holds nobody: whoever holds it is on an island (its probes cannot reach the
    // victim; the detector excuses nobody from the victim's own probes then, which reach nobody).
    expect([...oneSidedIslands(overlay({ v: [], c: ['v', 'd'], d: ['c'] }), 'v')].sort()).toEqual(['c', 'd']);
  });

  it('a victim that holds nobody excuses nobody from its own probes: they reach nobody', () => {
    // Hand-written spans: every other subscriber held the victim one-sided and each other, and
    // the victim held nobody once its inbound links idled out. Without the guard each would be
    // an island excused from its probes, every probe to it excused too, and the detection would
    // pass on nothing; with it, the victim's probes are owed and it fails.
    const t = handTrace('fw-holds-nobody', { running: true });
    const { cluster, at, up, down, chaos, ready } = t;
    const [v, ...rest] = t.nodes;
    const others = [...rest, t.observer()];
    const world: ChaosWorld = { ...t.world, probe: (meshId, origin) => ({ probeId: `probe-${cluster.scheduler.nowMs}-${origin}`, meshId, origin: origin!, sentAtMs: cluster.scheduler.nowMs, expected: [] }) };
    at(50);
    for (const n of [v, ...others]) ready(n);
    at(100);
    for (const [i, x] of others.entries()) {
      up(x, v);
      up(v, x);
      up(x, others[(i + 1) % others.length]);
      up(others[(i + 1) % others.length], x);
    }
    at(40_000);
    chaos('firewall_inbound', [v]);
    const detection = firewallInbound.detector(world, { targets: [v.nodeId], params: { durationMs: 45_000 } }, 40_000);
    at(70_000);
    for (const x of others) down(v, x, 'peer-down');
    let verdict = null;
    for (let ms = 75_000; ms <= 85_500 && verdict === null; ms += 500) {
      at(ms);
      verdict = detection.poll(ms);
    }
    expect(verdict?.verdict).toMatchObject({ result: 'failed_assertion', message: expect.stringContaining('deliveries of a probe from') });
  });

  it('a probe to the victim from a node on such an island is no evidence either way', () => {
    // Layout-property case (fast-check seed 6441; full profile, three meshes, two bridges, no
    // observer, --chaos 21, seed 99992): every link of the firewalled bridge-042c44f1 ran on a
    // connection its peers had dialled, and it idled them all out at 70.96 s. On the bridge
    // topic its one peer, bridge-fc0d134c, held it one-sided and sent the probe to it at 76.36 s;
    // a kill_node took bridge-fc0d134c at 79.32 s, past the revert, and the victim's seed dial to
    // it failed. Red without the rule: the probe to the victim was owed.
    const run = runRandomChaos(
      scenarioOf({
        name: 'random-layout',
        profile: 'full',
        bootSpacingMs: 50,
        durationMs: 120_000,
        healWindowMs: 30_000,
        topology: {
          meshes: [
            { meshId: 'mesh-a', roles: { gateway: 3, compute: 1 } },
            { meshId: 'mesh-b', roles: { compute: 2, registry: 3, broker: 2 } },
            { meshId: 'mesh-c', roles: { gateway: 1, registry: 6 } },
          ],
          bridges: 2,
          observer: false,
        },
      }),
      21,
      '99992',
    );
    const e = passedEvent(run, (x) => x.primitive === 'firewall_inbound' && x.targets[0] === 'bridge-042c44f1');
    const q = run.cluster.telemetry.query;
    const [victim, peer] = ['bridge-042c44f1', 'bridge-fc0d134c'].map((n) => run.cluster.idOfName(n));
    const idled = q.last({ name: 'mesh.gossip.neighbor_down', node: 'bridge-042c44f1', untilMs: 76_000, attrs: { topic: 'bridge', peerId: peer } })!;
    expect([idled.endMs, idled.attrs.reason]).toEqual([70_964, 'idle-timeout']);
    expect(q.find({ name: 'mesh.gossip.neighbor_down', node: 'bridge-fc0d134c', sinceMs: e.atMs, untilMs: 79_323, attrs: { topic: 'bridge', peerId: victim } })).toEqual([]);
    const probe = q.find({ name: 'mesh.probe.sent', node: 'bridge-fc0d134c', sinceMs: 71_000, untilMs: 79_323, attrs: { topic: 'bridge' } });
    expect(probe.length).toBeGreaterThan(0);
    expect(q.find({ name: 'mesh.probe.delivered', node: 'bridge-042c44f1', sinceMs: probe[0].endMs, attrs: { probeId: probe[0].attrs.probeId } }).filter((s) => s.endMs < e.atMs + Number(e.params.durationMs))).toEqual([]);
    const kill = run.log.find((x) => x.primitive === 'kill_node' && x.targets[0] === 'bridge-fc0d134c')!;
    expect([kill.atMs, kill.revertedAtMs! > e.atMs + Number(e.params.durationMs)]).toEqual([79_323, true]);
  });

  it('a probe to the victim sent while it was still rejoining the topic is not owed once other events took every sender', () => {
    // Layout property, fast-check seed 6468 (seed 99994, --chaos 21), its two events: on a topic
    // of two bridges, the probe to the firewalled one left while its link there had just idled
    // out, it rejoined over its own dial 0.6 s later, and a burst kill took the other bridge, the
    // topic's only other subscriber, 0.9 s after that, before the 5 s re-send. Red without the
    // rule ("probes from/to it not delivered: a delivery at bridge-c580fb1c of a probe to it on
    // bridge").
    const layout = {
      name: 'random-layout',
      profile: 'full',
      bootSpacingMs: 5,
      durationMs: 180_000,
      healWindowMs: 30_000,
      topology: { meshes: [{ meshId: 'mesh-a', roles: { compute: 1, registry: 7, broker: 1 } }, { meshId: 'mesh-b', roles: { gateway: 2, compute: 2, registry: 3, broker: 1 } }], bridges: 2, observer: false },
      network: { lossPct: 5, latencyMs: 20, jitterMs: 0 },
      node: { substrate: { rejoinFromPeerCache: true } },
    };
    const victim = 'bridge-c580fb1c';
    const firewall = { atMs: 94_492, primitive: 'firewall_inbound', fault: { targets: [victim], params: { durationMs: 54_650 } } } as const;
    const kill = { atMs: 131_002, primitive: 'burst_kill', fault: { targets: ['registry-cc568b52', 'registry-69954184', 'bridge-97859a92'], params: { count: 3 } } } as const;
    const { report, cluster } = runScenario(withChaos(scenarioOf(layout), { events: [firewall, kill] }), '99994');
    const [e] = chaosLog(report);
    expect(e.verdict, e.message).toBe('passed');
    // By the spans: the one probe to it on the bridge topic left when no link there touched it,
    // and it took the other bridge up after, before the kill and the re-send due 5 s after.
    const q = cluster.telemetry.query;
    const id = (name: string) => cluster.plans.find((p) => p.name === name)!.nodeId;
    const [probe, ...more] = q.find({ name: 'mesh.probe.sent', node: 'bridge-97859a92', sinceMs: firewall.atMs, attrs: { topic: 'bridge' } });
    expect([probe.endMs, more]).toEqual([129_492, []]);
    const overlay = overlayAt(worldOf(cluster), 'bridge', probe.endMs);
    expect([overlay.get(id(victim)) ?? [], overlay.get(id('bridge-97859a92')) ?? []]).toEqual([[], []]);
    const up = q.find({ name: 'mesh.gossip.neighbor_up', node: victim, sinceMs: probe.endMs, attrs: { topic: 'bridge' } })[0];
    expect([up.endMs, up.attrs.peerId]).toEqual([130_110, id('bridge-97859a92')]);
    expect(kill.atMs - probe.endMs).toBeLessThan(5_000);
    // The rule's two conditions, each shown to decide: not before the victim took the neighbour
    // up, and not for a probe sent once a link touched it.
    const world = worldOf(cluster);
    const sent = (atMs: number) => [{ probeId: 'p', meshId: 'bridge', origin: id('bridge-97859a92'), sentAtMs: atMs, expected: [] }];
    expect(sentWhileRejoining(world, id(victim), 'bridge', sent(probe.endMs), kill.atMs)).toBe(true);
    expect(sentWhileRejoining(world, id(victim), 'bridge', sent(probe.endMs), up.endMs - 1)).toBe(false);
    expect(sentWhileRejoining(world, id(victim), 'bridge', sent(up.endMs + 100), kill.atMs)).toBe(false);
    expect(sentWhileRejoining(world, id(victim), 'bridge', [], kill.atMs)).toBe(false);
    // The kill is what the rule excuses: without it the re-send reaches the victim.
    const alone = runScenario(withChaos(scenarioOf(layout), { events: [firewall] }), '99994');
    const [f] = chaosLog(alone.report);
    expect(f.verdict, f.message).toBe('passed');
    expect(f.evidence.some((x) => x.startsWith(`${victim}:mesh.probe.delivered`))).toBe(true);
  });

  it('a topic the victim alone subscribes to owes no probe to it', () => {
    // Found by random layouts under chaos: three meshes, one bridge and no observer (seed 93377,
    // --chaos 18). The bridge topic's only subscriber was the firewalled bridge itself, so no
    // probe to it could be sent, and the detection failed at the revert ("probes from/to it not
    // delivered") though the bridge was shown on every mesh.
    const base = withoutObserver('lone-bridge', 'full', [4, 4], 1, 80_000);
    const bridge = plannedNodes(base.topology, '1').find((p) => p.role === 'bridge')!;
    const chaotic = withChaos(base, { events: [{ atMs: 10_000, primitive: 'firewall_inbound', fault: { targets: [bridge.name], params: { durationMs: 45_000 } } }] });
    const { report, cluster } = runScenario(chaotic, '1');
    const [e] = chaosLog(report);
    expect(e.verdict, e.message).toBe('passed');
    expect(cluster.subscribers('bridge').map((p) => p.name)).toEqual([bridge.name]);
    // Shown on both meshes: probes to it delivered there.
    const delivered = e.evidence.filter((x) => x.startsWith(`${bridge.name}:mesh.probe.delivered`));
    expect(delivered.length).toBeGreaterThanOrEqual(2);
    expect(report.verdict).toBe('pass');
  });

  it('a run that stops before the revert times out, and the timeout names the receivers the victim\'s probe still misses', () => {
    // The verdict comes by the revert; only a run that stops first (its event budget spent) can
    // time the detection out. A test double stands in: the chaos engine without its wait for
    // pending detections, so the run ends with the main phase, between the probes and the revert.
    const base = withoutObserver('firewall-cut-short', 'full', [12], 0, 50_000);
    const plans = plannedNodes(base.topology, '1');
    const [victim, unheard] = [plans[3], plans[5]];
    // Firewalled 10–55 s: probes from 45 s (after its inbound connections idle out).
    const chaotic = withChaos({ ...base, liveness: false }, { events: [{ atMs: 10_000, primitive: 'firewall_inbound', fault: { targets: [victim.name], params: { durationMs: 45_000 } } }] });
    // A receiver cut off from everyone at 40 s, outside the chaos engine: nothing excuses it.
    const extensions = [...(chaotic.extensions ?? []).map(withoutSettling), isolateAt(unheard.nodeId, 40_000)];
    const { report } = runScenario({ ...chaotic, extensions }, '1');
    const [e] = chaosLog(report);
    expect(e.verdict, e.message).toBe('failed_timeout');
    const timeout = report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toContain(`still missing: deliveries of a probe from ${victim.name}: ${unheard.name} (mesh-a)`);
  });

  it('a concurrent fault that leaves the victim a path excuses nothing', () => {
    // The same broken firewall, with a node elsewhere killed a second later: the detector now
    // weighs the other fault's cuts before blaming a prune, and must still blame this one.
    const events = [
      { atMs: BATTERY_EVENT_AT_MS, primitive: 'firewall_inbound' as const },
      { atMs: BATTERY_EVENT_AT_MS + 1_000, primitive: 'kill_node' as const },
    ];
    const run = runChaos('firewall-inbound', '1', undefined, { extensions: [statelessFirewall(), chaosExtension({ events })] });
    expect(run.events.map((e) => e.primitive)).toEqual(['firewall_inbound', 'kill_node']);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/fell out of the mesh/);
  });
});

describe('a link the victim dropped is judged by the firewall as it stood then', () => {
  it('an island of bridges other events took off: the probes to the victim came from the other part (seeds/, fast-check seed 6488)', () => {
    // Layout property, fast-check seed 6488 (seed 51448, --chaos 20), saved in seeds/. The
    // firewalled bridge-b84dd2c9 lost its mesh-a links to bridge-7a270aae and registry-ee5ca159,
    // both over connections they had dialled, to idle timeouts at 104.7 s, and dialled
    // bridge-7a270aae out again 0.2 s later for the other topics. Two bursts (107.4 and 109.6 s)
    // took the other mesh-a links of it and of the two bridges it still held (to lives they
    // ended), and the probes to it came from the other part until the revert at 122.7 s. Red
    // before ("probes from/to it not delivered: a delivery at bridge-b84dd2c9 of a probe to it on
    // mesh-a"): the own cut was read from the connections at the probe's send, when the latest
    // one to bridge-7a270aae was the victim's own dial, so the drop counted as the mesh's.
    const loaded = loadScheduleFile(join(import.meta.dirname, '..', '..', 'seeds', 'firewall-inbound-island-of-bridges-dropped-before-redial.json'));
    if (!loaded.ok) throw new Error(loaded.error);
    const run = runScheduleFile(loaded.file, { replay: { kind: 'schedule-replay', schedule: 'seeds/firewall-inbound-island-of-bridges-dropped-before-redial.json' }, ...(loaded.base === undefined ? {} : { base: loaded.base }) });
    if (!run.ok) throw new Error(run.error);
    const { report, cluster } = run.outcome;
    const log = chaosLog(report);
    const firewall = log.find((e) => e.primitive === 'firewall_inbound' && e.targets[0] === 'bridge-b84dd2c9')!;
    expect(firewall.verdict, firewall.message).toBe('passed');
    expect(report.verdict).toBe('pass');
    const world = worldOf(cluster);
    const id = (name: string) => cluster.plans.find((p) => p.name === name)!.nodeId;
    const victim = id('bridge-b84dd2c9');
    const [probe] = cluster.telemetry.query.find({ name: 'mesh.probe.sent', sinceMs: 110_000, untilMs: 110_100, attrs: { topic: 'mesh-a' } }).filter((s) => s.node !== 'bridge-b84dd2c9');
    expect([probe.endMs, probe.node]).toEqual([110_038, 'compute-ee9a6537']);
    const others = otherCutWindows(world, { targets: [victim], params: {} }, firewall.atMs);
    const cutOff = (block: OwnBlock) => cutOffFrom(world, others, 'mesh-a', id(probe.node), probe.endMs, block).has(victim);
    expect(cutOff(firewallBlock(world, victim, probe.endMs))).toBe(true);
    // The same cut read only from the connections at the send: the drop of bridge-7a270aae,
    // whose latest connection was then the victim's own dial, counts as the mesh's.
    const atSend = firewallBlock(world, victim, probe.endMs);
    expect(cutOff(Object.assign((x: string, y: string) => atSend(x, y), { inboundOnlyOf: victim }))).toBe(false);
  });
});
