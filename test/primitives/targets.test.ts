/**
 * Target choice. Goal: a primitive whose evidence is what other nodes see of its victim never
 * draws a node no other node shares a topic with (`hasTopicPeer`): nothing could notice what is
 * done to it, nor show it recover. Method: layouts the random-layouts property found, with meshes
 * of one node and no bridge or observer, run under the chaos they failed with; and the rule read
 * on plans directly.
 */
import { describe, expect, it } from 'vitest';
import { hasTopicPeer } from '../../src/primitives/targets.js';
import { runScenario } from '../../src/scenario/runner.js';
import { runRandomChaos, worldOf } from '../support/chaos.js';
import { scenarioOf } from '../support/scenario-file.js';

/** Two meshes of one node each: neither node shares a topic with anyone. */
function twoLoneNodes(roles: readonly [string, string], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'random-layout',
    profile: 'full',
    bootSpacingMs: 0,
    durationMs: 120_000,
    healWindowMs: 30_000,
    topology: { meshes: [{ meshId: 'mesh-a', roles: { [roles[0]]: 1 } }, { meshId: 'mesh-b', roles: { [roles[1]]: 1 } }], bridges: 0, observer: false },
    ...extra,
  };
}

/** Primitives judged on what others see of the victim; the rest (disk_full, wedge_node, clock_skew) read the victim's own spans. */
const SEEN_BY_OTHERS = new Set(['kill_node', 'burst_kill', 'restart_node', 'nat_shift', 'firewall_inbound']);

describe('hasTopicPeer', () => {
  it('is false for the only node of a mesh with no bridge or observer, true once a bridge or the observer shares its topic', () => {
    const lone = runScenario({ ...scenarioOf(twoLoneNodes(['gateway', 'registry'])), durationMs: 1_000 }, '1').cluster;
    const world = worldOf(lone);
    expect(world.nodes.map((p) => hasTopicPeer(world, p.nodeId))).toEqual([false, false]);
    const bridged = runScenario({ ...scenarioOf({ ...twoLoneNodes(['gateway', 'registry']), topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1 } }, { meshId: 'mesh-b', roles: { registry: 1 } }], bridges: 1, observer: false } }), durationMs: 1_000 }, '1').cluster;
    const w2 = worldOf(bridged);
    expect(w2.nodes.every((p) => hasTopicPeer(w2, p.nodeId))).toBe(true);
    const observed = runScenario({ ...scenarioOf({ ...twoLoneNodes(['gateway', 'registry']), topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1 } }, { meshId: 'mesh-b', roles: { registry: 1 } }], bridges: 0, observer: true } }), durationMs: 1_000 }, '1').cluster;
    const w3 = worldOf(observed);
    expect(w3.nodes.every((p) => hasTopicPeer(w3, p.nodeId))).toBe(true);
  });
});

describe('a node alone on its topics is no target for a primitive others must witness', () => {
  it('nat_shift: layout property seed 6410 (a gateway and a registry, each its mesh\'s only node; seed 9308, --chaos 25)', () => {
    // Before: a nat_shift took the registry at 113.0 s and timed out on "no connection formed
    // both ways at the new address": it had none before and nobody to make one with. Two
    // firewall_inbound events on the same nodes passed with no evidence at all.
    const run = runRandomChaos(scenarioOf(twoLoneNodes(['gateway', 'registry'])), 25, '9308');
    expect(run.report.verdict, run.report.violations.map((v) => v.message).join('\n')).toBe('pass');
    expect(run.log.filter((e) => SEEN_BY_OTHERS.has(e.primitive))).toEqual([]);
    // What needs no witness still runs on them, with the node's own spans as evidence.
    expect(run.log.length).toBeGreaterThan(0);
    for (const e of run.log) expect(e.evidence.length, `${e.primitive} #${e.id}`).toBeGreaterThan(0);
    expect(run.report.chaos).toMatchObject({ skipped: 19 });
  });

  it('restart_node: layout property seed 6413 (two gateways, each its mesh\'s only node, 1 % loss; seed 1, --chaos 4)', () => {
    // Before: a restart_node took one at 61.8 s and timed out waiting for it to reconnect.
    const run = runRandomChaos(scenarioOf(twoLoneNodes(['gateway', 'gateway'], { network: { lossPct: 1, latencyMs: 5, jitterMs: 0 } })), 4, '1');
    expect(run.report.verdict, run.report.violations.map((v) => v.message).join('\n')).toBe('pass');
    expect(run.log.filter((e) => SEEN_BY_OTHERS.has(e.primitive))).toEqual([]);
    expect(run.report.chaos).toMatchObject({ skipped: 3 });
  });
});
