/**
 * Every whole-cluster check of the checker goes red when its invariant is broken.
 *
 * Goal: the safety and liveness checks of src/scenario/checker.ts that had no red test fail on
 * a cluster where the behaviour they guard was broken, and pass on the same cluster before.
 * Method: a formed 4-node mesh plus observer; each case breaks one thing through the paths a
 * bug would take — Gossip frames sent by a neighbour (a payload nobody broadcast, a repeat
 * after the dedup table was lost), views edited by hand, a node killed under its peers — and
 * calls the check directly.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../src/protocol/codec.js';
import { TimeBoundMap } from '../src/protocol/plumtree-cache.js';
import { messageIdOf, PLUMTREE_LIMITS } from '../src/protocol/plumtree.js';
import { encodePayload } from '../src/mesh/payload.js';
import { topicIdOf } from '../src/mesh/topic-id.js';
import { checkGhosts, checkProbes, checkSafety, checkViews, watchProbeDeliveries, type Violation } from '../src/scenario/checker.js';
import { Cluster } from '../src/scenario/cluster.js';
import { ProbeWorkload } from '../src/scenario/probes.js';
import { SWARM_TOPOLOGY } from '../src/catalog/mesh-scenarios.js';
import { withChaos } from '../src/catalog/chaos-scenarios.js';
import { findScenario } from '../src/catalog/registry.js';
import { racedViewChange, runScenario } from '../src/scenario/runner.js';
import type { RunContext, Scenario } from '../src/scenario/scenario.js';
import { tableBounds, type TableBounds } from '../src/scenario/table-bounds.js';
import { withoutAckIdleRestart } from './support/chaos.js';
import { scenarioOf } from './support/scenario-file.js';

/** The checker's bounds for a plain scenario on this topology (derived from the configuration). */
function boundsOf(cluster: Cluster): TableBounds {
  const scenario: Scenario = { name: 'checker-red', description: 'checker red tests', topology: SWARM_TOPOLOGY, durationMs: 60_000 };
  return tableBounds(scenario, cluster);
}

function formed(): { cluster: Cluster; x: string; p: string } {
  const cluster = new Cluster({ seed: 'checker-red', topology: SWARM_TOPOLOGY });
  cluster.boot();
  cluster.scheduler.runFor(10_000);
  const x = cluster.plans.find((plan) => plan.role === 'gateway')!.nodeId;
  return { cluster, x, p: cluster.app(x)!.activeView('mesh-a')[0] };
}

/** Two subscribers of mesh-a other than the observer. */
const meshNodes = (cluster: Cluster) => cluster.plans.filter((plan) => plan.meshIds.includes('mesh-a') && plan.role !== 'observer').slice(0, 2);

const checksOf = (violations: readonly { check: string }[]) => [...new Set(violations.map((v) => v.check))];

/** Neighbour `p` sends `x` one Gossip carrying `content`. */
function gossip(cluster: Cluster, p: string, x: string, content: Uint8Array): void {
  const frame = encodeEnvelope({ topic: topicIdOf('mesh-a'), message: { type: 'Gossip', id: messageIdOf(content), round: 0, content } });
  cluster.app(p)!.peers.send(x, frame);
  cluster.scheduler.runFor(200);
}

describe('checker checks go red', () => {
  it('only-broadcast-payloads: a payload nobody broadcast, or a probe nobody sent', () => {
    const { cluster, x, p } = formed();
    const bounds = boundsOf(cluster);
    const delivered: Violation[] = [];
    watchProbeDeliveries(cluster, new Set(), (v) => delivered.push(v));
    expect(checkSafety(cluster, bounds)).toEqual([]);
    gossip(cluster, p, x, new TextEncoder().encode('not a payload'));
    gossip(cluster, p, x, encodePayload({ kind: 'probe', probe: { probeId: 'probe-forged', origin: p } }));
    const v = [...checkSafety(cluster, bounds), ...delivered].filter((x) => x.check === 'only-broadcast-payloads').map((x) => x.message);
    const who = cluster.nameOf(x);
    expect(v).toContain(`${who} delivered 1 payload(s) nobody broadcast`);
    expect(v).toContain(`${who} delivered unknown probe probe-forged`);
  });

  it('tables-bounded: a table past the bound derived from the configuration', () => {
    const { cluster, x, p } = formed();
    const bounds = boundsOf(cluster);
    expect(checkSafety(cluster, bounds)).toEqual([]);
    const content = encodePayload({ kind: 'probe', probe: { probeId: 'probe-1', origin: p } });
    gossip(cluster, p, x, content);
    // The same run judged with bounds one entry tighter than what the nodes now hold.
    const ids = cluster.app(x)!.topicState('mesh-a')!.plumtree.received.size;
    const tight = { ...bounds, plumtreeIds: ids - 1, plumtreeCache: ids - 1 };
    expect(checksOf(checkSafety(cluster, tight))).toEqual(['tables-bounded']);
  });

  it('tables-bounded: a node holding more connections than its bound, counted by its own peer table', () => {
    const { cluster, x } = formed();
    const bounds = boundsOf(cluster);
    const held = cluster.app(x)!.peers.connectionCount();
    expect(held).toBeGreaterThan(0);
    const at = { ...bounds, connectionsFromMs: 0 };
    expect(checkSafety(cluster, { ...at, connectionsOf: (plan) => (plan.nodeId === x ? held : 1_000) })).toEqual([]);
    const tight = checkSafety(cluster, { ...at, connectionsOf: (plan) => (plan.nodeId === x ? held - 1 : 1_000) });
    expect(tight.map((v) => v.message)).toEqual([`${cluster.nameOf(x)} has ${held} connections > ${held - 1}`]);
  });

  it('no-duplicate-delivery: a repeat Gossip after the received-id table was lost', () => {
    const { cluster, x, p } = formed();
    const content = encodePayload({ kind: 'probe', probe: { probeId: 'probe-1', origin: p } });
    gossip(cluster, p, x, content);
    gossip(cluster, p, x, content); // deduplicated: no second delivery
    expect(checkSafety(cluster, boundsOf(cluster))).toEqual([]);
    const pt = cluster.app(x)!.topicState('mesh-a')!.plumtree;
    // The bug: Plumtree forgets what it delivered (its received ids and cache start empty).
    Object.assign(pt, { received: new TimeBoundMap(PLUMTREE_LIMITS.receivedIdsMax, PLUMTREE_LIMITS.cacheEntriesMax) });
    gossip(cluster, p, x, content);
    expect(checksOf(checkSafety(cluster, boundsOf(cluster)))).toEqual(['no-duplicate-delivery']);
  });

  it('view-capacity and no-self-in-views: views edited past their bounds', () => {
    const { cluster, x } = formed();
    const hv = cluster.app(x)!.topicState('mesh-a')!.hyparview;
    for (let i = hv.active.length; i <= hv.config.activeViewCapacity; i++) hv.active.push(String(i).padStart(64, 'f'));
    hv.passive.push(x);
    expect(checksOf(checkSafety(cluster, boundsOf(cluster)))).toEqual(['view-capacity', 'no-self-in-views']);
  });

  it('overlay-connected: a node cut out of every active view, symmetrically', () => {
    const { cluster, x } = formed();
    expect(checkViews(cluster)).toEqual([]);
    for (const plan of cluster.plans) {
      const active = cluster.app(plan.nodeId)!.topicState('mesh-a')!.hyparview.active;
      if (plan.nodeId === x) active.length = 0;
      else if (active.includes(x)) active.splice(active.indexOf(x), 1);
    }
    expect(checksOf(checkViews(cluster))).toEqual(['overlay-connected']);
  });

  it('full-delivery: a probe a live subscriber never got', () => {
    const { cluster, x, p } = formed();
    const probes = new ProbeWorkload(cluster);
    const final = probes.sendFinal();
    cluster.scheduler.runFor(2_000);
    expect(final.length).toBe(cluster.meshIds().length);
    expect(checkProbes(cluster, final, probes.deliveredTo)).toEqual([]); // read from the nodes' delivery spans
    const record = { probeId: 'probe-never-sent', meshId: 'mesh-a', origin: p, sentAtMs: 0, expected: [p, x] };
    expect(checkProbes(cluster, [record], probes.deliveredTo).map((v) => v.message)).toEqual([`probe probe-never-sent on mesh-a missed by ${cluster.nameOf(x)}`]);
  });

  it('full-delivery: a final probe sent while a subscriber is cut off', () => {
    const { cluster, x } = formed();
    for (const plan of cluster.plans) if (plan.nodeId !== x) cluster.network.partition(x, plan.nodeId);
    const probes = new ProbeWorkload(cluster);
    const final = probes.sendFinal().filter((r) => r.meshId === 'mesh-a' && r.origin !== x);
    cluster.scheduler.runFor(2_000);
    expect(final).toHaveLength(1);
    expect(checkProbes(cluster, final, probes.deliveredTo).map((v) => v.message)).toEqual([`probe ${final[0].probeId} on mesh-a missed by ${cluster.nameOf(x)}`]);
  });

  it('full-delivery at the end of the heal window: the window\'s end is said with the final probes\' flight', () => {
    // 1 s a hop and a 2 s window: the checks are clean at the first poll, the final probes leave,
    // and the window closes before they could reach everyone (a random layout at 400 ms a hop,
    // seed 70740, came clean 2.0 s before the end and read as two gateways missing a probe).
    const scenario = scenarioOf({
      name: 'late-final-probes', profile: 'protocol',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 12 } }], bridges: 0, observer: false },
      bootSpacingMs: 5, durationMs: 30_000, healWindowMs: 2_000, network: { latencyMs: 1_000, jitterMs: 0 },
    });
    const { report } = runScenario(scenario, '1');
    expect(report.violations[0]).toEqual({ check: 'liveness', message: 'heal window ended 2000 ms after its final probes were sent (clean since 30000 ms)' });
    expect(report.violations.slice(1).map((v) => v.check)).toEqual(['full-delivery']);
  });

  it('full-delivery: a final probe whose every missing receiver changed its view in flight raced the overlay', () => {
    // The heal phase sends such a probe again (firewall-inbound --chaos 20, seed 8666: a broker
    // evicted 16 ms after the final probe left rejoined after it had passed).
    const { cluster, x, p } = formed();
    const a = cluster.plans.find((plan) => plan.meshIds.includes('mesh-a') && plan.nodeId !== x && plan.nodeId !== p && cluster.app(plan.nodeId) !== undefined)!.nodeId;
    const origin = p;
    const sentAtMs = cluster.scheduler.nowMs;
    const record = { probeId: 'probe-raced', meshId: 'mesh-a', origin, sentAtMs, expected: [origin, x, a] };
    const delivered = new Set<string>();
    const deliveredTo = (_probeId: string, id: string) => delivered.has(id);
    // Nobody changed a view yet: a plain miss, not a race.
    expect(racedViewChange(cluster, record, deliveredTo)).toBe(false);
    cluster.scheduler.runFor(10);
    cluster.telemetry.emit(cluster.nameOf(x), 'mesh.gossip.neighbor_down', { topic: 'mesh-a', peerId: p, cause: 'disconnect' });
    // Red: another receiver missed it with a steady view: that miss is the overlay's.
    expect(racedViewChange(cluster, record, deliveredTo)).toBe(false);
    delivered.add(a);
    expect(racedViewChange(cluster, record, deliveredTo)).toBe(true);
    // A view change on another topic says nothing about this one.
    expect(racedViewChange(cluster, { ...record, meshId: 'mesh-b' }, deliveredTo)).toBe(false);
  });

  it('the heal phase sends a raced final probe again (firewall-inbound --chaos 20, seed 8666)', () => {
    const { report, cluster } = runScenario(withChaos(withoutAckIdleRestart(findScenario('firewall-inbound')!), { random: { count: 20 } }), '8666');
    expect(report.violations).toEqual([]);
    // The first final probe on mesh-a (probe-61, sent at 136.07 s) missed the evicted broker;
    // the one sent again after it reached the broker.
    const q = cluster.telemetry.query;
    const [first] = q.find({ name: 'mesh.probe.sent', attrs: { probeId: 'probe-61' } });
    expect(first.attrs.topic).toBe('mesh-a');
    const again = q.find({ name: 'mesh.probe.sent', sinceMs: first.endMs + 1, attrs: { topic: 'mesh-a' } });
    expect(again).toHaveLength(1);
    const delivered = (probeId: unknown) => q.find({ name: 'mesh.probe.delivered', node: 'broker-d45728b2', attrs: { probeId: String(probeId) } }).length > 0;
    expect(delivered('probe-61')).toBe(false);
    expect(delivered(again[0].attrs.probeId)).toBe(true);
  });

  it('no-ghost-digests, no-ghost-connections, no-ghost-neighbors: a node killed under its peers', () => {
    const { cluster, p } = formed();
    expect([...checkGhosts(cluster), ...checkViews(cluster)]).toEqual([]);
    cluster.host(p).kill();
    expect(checksOf([...checkGhosts(cluster), ...checkViews(cluster)]).sort()).toEqual(['no-ghost-connections', 'no-ghost-digests', 'no-ghost-neighbors']);
  });
  // The main phase checks safety inside the cross-layer sample's walk over the nodes: a fault
  // that lasts between two of its seconds, and is gone before the run's last check, must still
  // reach the report, for a running node and for a wedged one (safety covers both; the
  // cross-layer checks only the running).
  it('the main phase reports a safety violation that lasted one second, running or wedged', () => {
    const selfInView = (ctx: RunContext, nodeId: string, fromMs: number) => {
      const hv = () => ctx.cluster.app(nodeId)!.topicState('mesh-a')!.hyparview;
      ctx.cluster.scheduler.at(fromMs, () => hv().passive.push(nodeId));
      ctx.cluster.scheduler.at(fromMs + 1_500, () => hv().passive.splice(hv().passive.indexOf(nodeId), 1));
    };
    const scenario: Scenario = {
      name: 'safety-in-main-phase',
      description: 'a self entry held for 1.5 s by a running node and by a wedged one',
      topology: SWARM_TOPOLOGY,
      durationMs: 20_000,
      probeIntervalMs: 0,
      extensions: [
        (ctx) => {
          const [running, wedged] = meshNodes(ctx.cluster).map((plan) => plan.nodeId);
          return {
            start: () => {
              selfInView(ctx, running, 10_200);
              ctx.cluster.scheduler.at(12_000, () => ctx.cluster.host(wedged).wedge());
              selfInView(ctx, wedged, 12_200);
              ctx.cluster.scheduler.at(14_000, () => ctx.cluster.host(wedged).unwedge());
            },
            finish: () => {},
            violations: () => [],
            report: () => ({}),
          };
        },
      ],
    };
    const { report, cluster } = runScenario(scenario, '1');
    const [running, wedged] = meshNodes(cluster).map((plan) => plan.name);
    expect(report.violations.filter((v) => v.check === 'no-self-in-views').map((v) => v.message)).toEqual([
      `${running} mesh-a holds itself in a view`,
      `${wedged} mesh-a holds itself in a view`,
    ]);
  });
});
