/**
 * Reachability from chaos spans, and the chaos-aware gossip-swarm-forms assertion.
 *
 * Goal: a chaos window cuts exactly the pairs its primitive cuts (every pair of a node fault,
 * the targeted pair of a link fault, the pairs across a subset partition, none for disk or
 * clock faults) from apply until revert plus the rejoin allowance; the swarm's digest need is
 * scaled by the reachable share, and still fails a mesh whose reachable nodes stop gossiping.
 * Method: chaos spans written into a cluster's trace by hand; whole runs of gossip-swarm-forms
 * with one real chaos event.
 */
import { describe, expect, it } from 'vitest';
import { reachableShare, sendCut } from '../src/catalog/chaos-reach.js';
import { cutWindows, isCut, LINKS_DIE, REJOIN_ALLOWANCE_MS, WORKLOAD_FAILURE } from '../src/primitives/reach.js';
import { withChaos } from '../src/catalog/chaos-scenarios.js';
import { Cluster } from '../src/scenario/cluster.js';
import { gossipSwarmForms, SWARM_TOPOLOGY } from '../src/catalog/mesh-scenarios.js';
import { runScenario } from '../src/scenario/runner.js';
import { HARNESS_NODE } from '../src/sim/telemetry/index.js';

function traced(events: [name: string, targets: string, fromMs: number, untilMs: number | null][]): Cluster {
  const cluster = new Cluster({ seed: 'reach', topology: SWARM_TOPOLOGY });
  const tel = cluster.telemetry;
  const steps = events.flatMap(([name, targets, from, until], i) => [
    { at: from, i, apply: true, name, targets },
    ...(until === null ? [] : [{ at: until, i, apply: false, name, targets }]),
  ]).sort((a, b) => a.at - b.at);
  const applied = new Map<number, { traceId: string; spanId: string }>();
  for (const s of steps) {
    cluster.scheduler.runFor(s.at - cluster.scheduler.nowMs);
    if (s.apply) applied.set(s.i, tel.emit(HARNESS_NODE, 'chaos.primitive.applied', { name: s.name, targets: s.targets, params: '{}' })!);
    else tel.emit(HARNESS_NODE, 'chaos.primitive.reverted', { name: s.name }, { parent: applied.get(s.i)! });
  }
  return cluster;
}

describe('reachability from chaos spans', () => {
  it('node, link and subset faults cut their pairs; disk and clock faults cut none', () => {
    const q = traced([
      ['kill_node', 'a', 1_000, 2_000],
      ['partition_pair', 'b,c', 10_000, 11_000],
      ['partition_subset', 'd,e', 20_000, null],
      ['clock_skew', 'f', 0, null],
    ]).telemetry.query;
    const w = cutWindows(q);
    expect(w.map((x) => [x.cut, x.fromMs, x.untilMs])).toEqual([
      ['node', 1_000, 2_000 + REJOIN_ALLOWANCE_MS],
      ['link', 10_000, 11_000 + REJOIN_ALLOWANCE_MS],
      ['subset', 20_000, Infinity],
    ]);
    expect([isCut(w, 'a', 'z', 999), isCut(w, 'z', 'a', 1_000), isCut(w, 'a', 'z', 6_999), isCut(w, 'a', 'z', 7_000)]).toEqual([false, true, true, false]);
    expect([isCut(w, 'b', 'c', 10_500), isCut(w, 'b', 'z', 10_500)]).toEqual([true, false]);
    expect([isCut(w, 'd', 'e', 25_000), isCut(w, 'd', 'z', 25_000), isCut(w, 'f', 'z', 25_000)]).toEqual([false, true, false]);
  });

  it('a workload failure cuts its victims from it on, for good, as a kill whose process dies', () => {
    const cluster = traced([['kill_node', 'a', 1_000, 2_000]]);
    cluster.scheduler.runFor(3_000 - cluster.scheduler.nowMs);
    cluster.telemetry.emit(HARNESS_NODE, 'workload.failure', { targets: 'b,c', mode: 'crash', killed: 2 });
    const w = cutWindows(cluster.telemetry.query);
    expect(w.map((x) => [x.name, x.cut, x.fromMs, x.untilMs, [...x.targets].join(',')])).toEqual([
      ['kill_node', 'node', 1_000, 2_000 + REJOIN_ALLOWANCE_MS, 'a'],
      [WORKLOAD_FAILURE, 'node', 3_000, Infinity, 'b,c'],
    ]);
    expect([isCut(w, 'b', 'z', 2_999), isCut(w, 'b', 'z', 3_000), isCut(w, 'z', 'c', 1e9), isCut(w, 'd', 'z', 1e9)]).toEqual([false, true, true, false]);
    expect(LINKS_DIE.has(WORKLOAD_FAILURE)).toBe(true);
  });

  it('a send is cut when a fault that drops everything outlasts the end: an inbound firewall only toward an accepted end, a slowed or lossy link never', () => {
    const w = cutWindows(
      traced([
        ['partition_subset', 'a', 1_000, 5_000],
        ['firewall_inbound', 'f', 1_000, 5_000],
        ['slow_link', 's,t', 1_000, 5_000],
        ['lossy_link', 'l,m', 1_000, 5_000],
      ]).telemetry.query,
    );
    // Sent into the partition, which outlasts the end's close at 4.9 s but not one at 5 s.
    expect([sendCut(w, 'z', 'a', false, 1_000, 4_999), sendCut(w, 'a', 'z', true, 2_000, 4_999), sendCut(w, 'z', 'a', false, 2_000, 5_000), sendCut(w, 'z', 'a', false, 999, 2_000)]).toEqual([true, true, false, false]);
    // The firewall drops what reaches f's accepted ends, not f's own dials, nor what f sends.
    expect([sendCut(w, 'z', 'f', true, 2_000, 3_000), sendCut(w, 'z', 'f', false, 2_000, 3_000), sendCut(w, 'f', 'z', true, 2_000, 3_000)]).toEqual([true, false, false]);
    expect([sendCut(w, 's', 't', true, 2_000, 3_000), sendCut(w, 'l', 'm', true, 2_000, 3_000)]).toEqual([false, false]);
  });

  it('the reachable share is 1 without chaos and the pair-time share with it', () => {
    expect(reachableShare(traced([]).telemetry.query, ['a', 'b'], ['a', 'b'], 10_000)).toBe(1);
    // a is cut for the first half of the window: of the two ordered pairs, each is reachable half the time.
    const q = traced([['kill_node', 'a', 0, 5_000 - REJOIN_ALLOWANCE_MS]]).telemetry.query;
    expect(reachableShare(q, ['a', 'b'], ['a', 'b'], 10_000)).toBe(0.5);
  });
});

describe('gossip-swarm-forms under chaos', () => {
  const wedged = withChaos(gossipSwarmForms, { events: [{ atMs: 15_000, primitive: 'wedge_node', overrides: { durationMs: 10_000 } }] });

  it('passes with one node wedged for 10 s of the window', () => {
    const { report } = runScenario(wedged, '1');
    expect(report.violations).toEqual([]);
    expect(report.chaos).toMatchObject({ events: 1, passed: 1 });
  });

  it('still fails when reachable nodes stop gossiping digests', () => {
    const { report } = runScenario({ ...wedged, node: { digestIntervalMs: 60_000 } }, '1');
    const swarm = report.violations.filter((v) => v.check === 'gossip-swarm-forms');
    expect(swarm.map((v) => v.message)).toEqual([expect.stringMatching(/^only \d+ digests received by the 4 nodes within 34 s \(need \d+ = 200 × 0\.\d{3} reachable\)$/)]);
  });
});
