/**
 * Chaos detectors judge a run by the run's own timers: a scenario file that sets the network's
 * idle timeout or the substrate's staleness TTL gets deadlines and evidence windows made of
 * those values, and random chaos draws fault lengths that those timers can show.
 *
 * Found by random layouts with random `node` and `network` settings under `--chaos 8–24`: with a
 * 60 s idle timeout every nat_shift timed out at "idle 30 s + …" before the old paths idled out;
 * with a 60 s staleness TTL kill_node and burst_kill timed out waiting for prunes due after their
 * deadline; a partition_subset of the default 50–60 s was shorter than a 60 s idle timeout, so
 * its sides could not notice it; and with a 10 s idle timeout a 9 s wedge drawn from the default
 * range made its peers take it for dead.
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { killNode } from '../../src/primitives/kill-node.js';
import { natShift } from '../../src/primitives/nat-shift.js';
import { firewallDurationRange } from '../../src/primitives/firewall-inbound.js';
import { subsetDurationRange } from '../../src/primitives/partition-subset.js';
import { probeRoundMs, T, timersOf } from '../../src/primitives/timing.js';
import { wedgeDrawMaxMs } from '../../src/primitives/wedge-node.js';
import { Cluster } from '../../src/scenario/cluster.js';
import { runScenario } from '../../src/scenario/runner.js';
import { DEFAULT_TOPOLOGY } from '../../src/scenario/topology.js';
import { DEFAULT_NETWORK_CONFIG } from '../../src/sim/network/index.js';
import { chaosLog, explain, worldOf } from '../support/chaos.js';
import { scenarioOf } from '../support/scenario-file.js';

describe("a run's timers", () => {
  it("are the scenario's network and node settings, the defaults for the rest", () => {
    const cluster = new Cluster({
      seed: '7',
      topology: DEFAULT_TOPOLOGY,
      network: { idleTimeoutMs: 60_000, keepAliveMs: 20_000 },
      node: { stalenessTtlMs: 45_000, topic: { plumtree: { graftTimeout1Ms: 150 } } },
    });
    expect(worldOf(cluster).timers).toEqual({ ...T, idleTimeoutMs: 60_000, keepAliveMs: 20_000, stalenessTtlMs: 45_000, graftTimeout1Ms: 150 });
    expect(worldOf(new Cluster({ seed: '7', topology: DEFAULT_TOPOLOGY })).timers).toEqual(T);
    expect(T.idleTimeoutMs).toBe(DEFAULT_NETWORK_CONFIG.idleTimeoutMs);
  });

  it('make the deadlines, in milliseconds and in the formula', () => {
    const cluster = new Cluster({ seed: '7', topology: DEFAULT_TOPOLOGY, network: { idleTimeoutMs: 60_000 }, node: { stalenessTtlMs: 60_000 } });
    const world = worldOf(cluster);
    const victim = cluster.plans[3].nodeId;
    const kill = killNode.detector(world, { targets: [victim], params: {} }, 0);
    // max(idle 60 s, digest 2 s + TTL 60 s + pruner 5 s) + probe round 5 s + slack 5 s
    expect(kill.deadlineMs).toBe(77_000);
    expect(kill.deadlineFormula).toBe('max(idle 60 s, digest 2 s + TTL 60 s + pruner 5 s) + probe round 5 s + slack 5 s');
    const shift = natShift.detector(world, { targets: [victim], params: {} }, 0);
    expect(shift.deadlineMs).toBe(85_000);
    expect(shift.deadlineFormula).toContain('idle 60 s + seed check 10 s');
    // The defaults' run keeps the deadlines the docs print.
    const plain = worldOf(new Cluster({ seed: '7', topology: DEFAULT_TOPOLOGY }));
    expect(killNode.detector(plain, { targets: [victim], params: {} }, 0).deadlineMs).toBe(47_000);
    expect(natShift.detector(plain, { targets: [victim], params: {} }, 0).deadlineMs).toBe(55_000);
  });

  it('give a probe round ten link delays and a pass-on when that is longer than 5 s', () => {
    expect(probeRoundMs(T)).toBe(5_000);
    const wan = timersOf({ ...DEFAULT_NETWORK_CONFIG, link: { ...DEFAULT_NETWORK_CONFIG.link, latencyMs: 400, jitterMs: 100 } }, { topic: { plumtree: { graftTimeout1Ms: 1_500, graftTimeout2Ms: 1_100 } } });
    // 10 × 500 ms on the way down, and a pass-on: 2 × (5 + 1,500 + 1,100) ms.
    expect(probeRoundMs(wan)).toBe(10_210);
  });

  it('bound the drawn lengths: cuts long enough to notice, wedges short enough not to look dead', () => {
    expect(subsetDurationRange(T)).toEqual([50_000, 60_000]);
    expect(subsetDurationRange(timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 60_000 }))).toEqual([73_000, 83_000]);
    expect(subsetDurationRange(timersOf(DEFAULT_NETWORK_CONFIG, { stalenessTtlMs: 60_000 }))).toEqual([80_000, 90_000]);
    // Shorter timers keep the default range: it is noticed sooner still.
    expect(subsetDurationRange(timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 10_000, keepAliveMs: 5_000 }))).toEqual([50_000, 60_000]);
    expect(firewallDurationRange(T)).toEqual([45_000, 55_000]);
    expect(firewallDurationRange(timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 60_000 }))).toEqual([75_000, 85_000]);
    // A stranded victim dials again at its seed check (fast-check seed 20015: a 30 s check).
    expect(firewallDurationRange(timersOf(DEFAULT_NETWORK_CONFIG, { seedCheckIntervalMs: 30_000 }))).toEqual([65_000, 75_000]);
    expect(firewallDurationRange(timersOf({ ...DEFAULT_NETWORK_CONFIG, dialTimeoutMs: 10_000 }))).toEqual([50_000, 60_000]);
    expect(firewallDurationRange(timersOf({ ...DEFAULT_NETWORK_CONFIG, dialTimeoutMs: 2_000 }, { seedCheckIntervalMs: 5_000 }))).toEqual([45_000, 55_000]);
    // Held within the longest fault a schedule may ask for (10 minutes).
    expect(firewallDurationRange(timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 700_000, keepAliveMs: 350_000 }))).toEqual([600_000, 600_000]);
    expect(wedgeDrawMaxMs(T)).toBe(10_000);
    expect(wedgeDrawMaxMs(timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 10_000, keepAliveMs: 5_000 }))).toBe(3_000);
    expect(wedgeDrawMaxMs(timersOf(DEFAULT_NETWORK_CONFIG, { stalenessTtlMs: 8_000 }))).toBe(4_000);
    expect(wedgeDrawMaxMs(timersOf({ ...DEFAULT_NETWORK_CONFIG, idleTimeoutMs: 3_000, keepAliveMs: 2_000 }))).toBe(1_000);
  });
});

describe('random chaos on a scenario file with its own timers', () => {
  /** One mesh of 32 nodes and two bridges, no observer, the protocol profile, a 60 s idle timeout. */
  const slowIdle = scenarioOf({
    name: 'knob-17',
    profile: 'protocol',
    topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 5, compute: 10, registry: 7, broker: 10 } }], bridges: 2, observer: false },
    bootSpacingMs: 5,
    durationMs: 180_000,
    healWindowMs: 60_000,
    node: { hyparview: { passiveViewCapacity: 15 }, plumtree: { optimizationThreshold: 12 } },
    network: { idleTimeoutMs: 60_000, keepAliveMs: 30_000 },
  });

  it('passes with a 60 s idle timeout: nat_shift and burst_kill wait for the idle timeout the run has', () => {
    // Red when the detectors read the default timers: the nat_shift timed out at 55 s
    // ("idle 30 s + …") with an old path not yet idled out, and the burst_kill at 47 s.
    const { report } = runScenario(withChaos(slowIdle, { random: { count: 9 } }), '78316');
    const log = chaosLog(report);
    expect(report.verdict, explain({ report, events: log })).toBe('pass');
    const shift = log.find((e) => e.primitive === 'nat_shift')!;
    expect(shift.deadlineFormula).toContain('idle 60 s');
    expect(shift.waitedMs).toBeGreaterThan(55_000);
    const burst = log.find((e) => e.primitive === 'burst_kill')!;
    expect(burst.deadlineMs).toBe(70_000);
    expect(burst.waitedMs).toBeGreaterThan(47_000);
  });

  /** One mesh of nine and the observer, the full profile, with `network` settings; `count` random events of `primitive` alone. */
  function oneKind(primitive: 'partition_subset' | 'wedge_node', network: Record<string, number>, count: number, seed: string) {
    const scenario = scenarioOf({
      name: `timers-${primitive}`,
      profile: 'full',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 3, compute: 3, registry: 3 } }] },
      durationMs: 150_000,
      healWindowMs: 60_000,
      network,
    });
    const { report } = runScenario(withChaos(scenario, { random: { count, pool: [primitive] } }), seed);
    const log = chaosLog(report);
    expect(report.verdict, explain({ report, events: log })).toBe('pass');
    return log;
  }

  it('draws cuts a 60 s idle timeout can show: partition_subset is noticed on both sides', () => {
    // Red with the default 50–60 s draw: "the sides did not notice the cut before the repair".
    const log = oneKind('partition_subset', { idleTimeoutMs: 60_000, keepAliveMs: 30_000 }, 2, '1');
    expect(log.map((e) => e.primitive)).toEqual(['partition_subset', 'partition_subset']);
    for (const e of log) expect(Number(e.params.durationMs)).toBeGreaterThanOrEqual(73_000);
  });

  it('draws firewalls a 60 s idle timeout lets the victim dial out of', () => {
    // Red with the default 45–55 s draw: a bridge of a two-bridge layout without the observer held
    // its firewalled links (the other bridge's dials) to the revert, and the bridge topic's
    // probes to it over them were lost: "was not shown in the mesh while firewalled".
    const scenario = scenarioOf({
      name: 'knob4-159',
      profile: 'full',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 7, registry: 1 } }], bridges: 2, observer: false },
      bootSpacingMs: 20,
      durationMs: 180_000,
      healWindowMs: 60_000,
      node: { hyparview: { activeViewCapacity: 4, shuffleIntervalMs: 30_000 }, plumtree: { dispatchTimeoutMs: 50 }, substrate: { prunerIntervalMs: 1_000, persistIntervalMs: 10_000 } },
      network: { rtoMinMs: 50, idleTimeoutMs: 60_000, keepAliveMs: 30_000 },
    });
    const { report } = runScenario(withChaos(scenario, { random: { count: 24 } }), '54549');
    const log = chaosLog(report);
    expect(report.verdict, explain({ report, events: log })).toBe('pass');
    const firewalls = log.filter((e) => e.primitive === 'firewall_inbound');
    expect(firewalls.length).toBeGreaterThan(0);
    for (const e of firewalls) expect(Number(e.params.durationMs)).toBeGreaterThanOrEqual(75_000);
  });

  it('waits for a probe round a slow link needs: flap_link at 400 ms a hop', () => {
    // Red with 5 s rounds: with graft timeouts above the round trip a probe took longer than 5 s to
    // reach all 30 nodes, each re-send started the round over, and flap_link timed out on
    // "probe deliveries" (7 of 140 random layouts at 100–400 ms a hop).
    const scenario = scenarioOf({
      name: 'wang-108',
      profile: 'protocol',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 9, compute: 10, registry: 8, broker: 3 } }], bridges: 0 },
      bootSpacingMs: 50,
      durationMs: 120_000,
      healWindowMs: 60_000,
      node: { plumtree: { graftTimeout1Ms: 1_500, graftTimeout2Ms: 1_100 } },
      network: { latencyMs: 400, jitterMs: 100, lossPct: 3, deadPeer: 'reset' },
    });
    const { report } = runScenario(withChaos(scenario, { random: { count: 13 } }), '26024');
    const log = chaosLog(report);
    expect(report.verdict, explain({ report, events: log })).toBe('pass');
    const flap = log.find((e) => e.primitive === 'flap_link')!;
    expect(flap.deadlineFormula).toContain('probe round 10.21 s');
  });

  it('draws wedges a 10 s idle timeout does not take for death', () => {
    // Red with the default 1–10 s draw: an 8.3 s wedge, and the observer idled its link out.
    const log = oneKind('wedge_node', { idleTimeoutMs: 10_000, keepAliveMs: 5_000 }, 4, '4');
    expect(log).toHaveLength(4);
    for (const e of log) expect(Number(e.params.durationMs)).toBeLessThanOrEqual(3_000);
  });
});
