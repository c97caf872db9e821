/**
 * FlapLink. Goal: a link that goes down and up repeatedly causes no reconnect storm between its
 * ends and the mesh ends connected; and the detector goes red on a storm. Method: the
 * `flap-link` battery scenario over two seeds; then a network whose idle and dial timeouts are
 * short enough that every down really drops the connection — green with the real node, red
 * with a node variant that re-dials a lost peer at once and after every failed dial. And the
 * pair is part of "the mesh ends connected": one end kept cut off from every node from the last
 * up phase on (outside the chaos engine) never gets the closing round, and the detection times
 * out (it used to pass: the pair counts as faulted until the verdict, and the round expected
 * everyone but them).
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario } from '../../src/scenario/runner.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { plannedNodes } from '../../src/scenario/topology.js';
import { cutOffTowards, otherCutWindows } from '../../src/primitives/reach.js';
import { chaosLog, expectGreen, explain, passedEvent, runChaos, runRandomChaos, scenarioNamed, withoutAckIdleRestart, worldOf } from '../support/chaos.js';
import { isolateAt } from '../support/chaos-links.js';
import { withoutObserver } from '../support/scenario-file.js';

/** Every 3 s down outlives the connection (idle 1.5 s) and any dial in it (dial timeout 250 ms). */
const HARSH_NETWORK: Partial<Scenario> = { network: { keepAliveMs: 500, idleTimeoutMs: 1_500, dialTimeoutMs: 250 } };

describe('flap_link', () => {
  it('flap-link', () => {
    expectGreen('flap-link', ['1', '2'], ['mesh.probe.delivered']);
  });

  it('flap-link stays within the dial bound when every down drops the connection', () => {
    const run = runChaos('flap-link', '1', undefined, HARSH_NETWORK);
    expect(run.events[0].verdict, explain(run)).toBe('passed');
  });

  it('flap-link goes red when lost peers are re-dialled without backoff', () => {
    const run = runChaos('flap-link', '1', { redialLostPeers: true }, HARSH_NETWORK);
    expect(run.events[0].verdict, explain(run)).toBe('failed_assertion');
    expect(run.events[0].message).toMatch(/reconnect storm/);
    expect(run.report.verdict).toBe('fail');
  });

  it('an end of the link that never hears the mesh after the last flap keeps the detection from passing', () => {
    const base = withoutObserver('flap-end-stays-cut', 'full', [12], 0, 90_000);
    const plans = plannedNodes(base.topology, '1');
    const pair = [plans[2], plans[7]];
    // 4 flaps of 2 s down, 2 s up from 10 s: the window ends at 26 s; the first end is cut off in the last up phase.
    const chaotic = withChaos(base, {
      events: [{ atMs: 10_000, primitive: 'flap_link', fault: { targets: pair.map((p) => p.name), params: { flaps: 4, downMs: 2_000, upMs: 2_000 } } }],
    });
    const { report } = runScenario({ ...chaotic, extensions: [...(chaotic.extensions ?? []), isolateAt(pair[0].nodeId, 25_000)] }, '1');
    const [e] = chaosLog(report);
    expect(e.verdict, e.message).toBe('failed_timeout');
    // The timeout names what it waited for: the cut-off end's delivery of the closing round.
    const timeout = report.violations.find((v) => v.check === 'chaos-detection-timeout')!;
    expect(timeout.message).toContain(`still missing: probe deliveries: ${pair[0].name} (mesh-a)`);
  });
});

describe('flap_link: an island the other events left holding only each other', () => {
  // nat-shift under --chaos 20, seed 438: other events' kills, restarts and shifts took every
  // other mesh-b link of registry-30b55982 and bridge-3d763c52 (75–91 s), and the two held
  // only each other until a seed check let the registry back in at 100.8 s. The flap's closing
  // rounds at 91 and 96 s could not reach them; the island's repair is the other events' to show.
  // The seed check now rejoins a node stranded so through its seed (src/mesh/node.ts,
  // strandedFrom), and the island no longer forms; the case runs with that rule off
  // (`disableStrandedRejoin`), as the seed check was when it was found.
  it('its nodes are not owed the closing round', () => {
    const run = runRandomChaos(withoutAckIdleRestart(scenarioNamed('nat-shift')), 20, '438', { disableStrandedRejoin: true });
    const { cluster } = run;
    const flap = passedEvent(run, (e) => e.primitive === 'flap_link' && e.targets.includes('registry-28a94002'));
    // The case is the one meant: each holds only the other on mesh-b, and both count as cut off.
    const q = cluster.telemetry.query;
    const [registry, bridge] = ['registry-30b55982', 'bridge-3d763c52'].map((n) => cluster.idOfName(n));
    const world = worldOf(cluster);
    const others = otherCutWindows(world, { targets: flap.targets.map((n) => cluster.idOfName(n)), params: {} }, flap.atMs);
    const observer = cluster.plans.find((p) => p.role === 'observer')!.nodeId;
    for (const [id, other] of [[registry, bridge], [bridge, registry]]) {
      expect(cutOffTowards(world, others, 'mesh-b', id, 91_066)(observer)).toBe(true);
      const views = q.find({ name: 'mesh.gossip.neighbor_up', node: cluster.nameOf(id), untilMs: 91_066, attrs: { topic: 'mesh-b' } });
      const downs = q.find({ name: 'mesh.gossip.neighbor_down', node: cluster.nameOf(id), untilMs: 91_066, attrs: { topic: 'mesh-b' } });
      const held = views.filter((u) => !downs.some((d) => d.attrs.peerId === u.attrs.peerId && d.seq > u.seq)).map((u) => u.attrs.peerId);
      expect([...new Set(held)]).toEqual([other]);
    }
  });
});

describe('flap_link: a refill that drew the other end after its dialler lost a third neighbour', () => {
  // mesh-grow-shrink under --chaos 20, seed 4119: in the last flap's up phase gateway-73f6b430 and
  // compute-e88824b7 reconnected (crossed dials: two attempts at each end), and a refused refill
  // of the compute's followed the gateway's Disconnect (a third). The compute then lost
  // gateway-dd5d0ba3 to an idle timeout and its refill, 46 ms later, drew the gateway: a fourth
  // connection in one flap, HyParView's Neighbor request, not a redial of the flapped link.
  it('is not counted against the flap', () => {
    const run = runRandomChaos('mesh-grow-shrink', 20, '4119');
    const flap = passedEvent(run, (e) => e.primitive === 'flap_link' && e.targets.join() === 'gateway-73f6b430,compute-e88824b7');
    const q = run.cluster.telemetry.query;
    const [gateway, compute] = ['gateway-73f6b430', 'compute-e88824b7'].map((n) => run.cluster.idOfName(n));
    const periodMs = Number(flap.params.downMs) + Number(flap.params.upMs);
    const lastFlapFromMs = flap.atMs + (Number(flap.params.flaps) - 1) * periodMs;
    const atGateway = q.find({ name: 'mesh.peer.connected', node: 'gateway-73f6b430', sinceMs: lastFlapFromMs, untilMs: flap.atMs + flap.waitedMs, attrs: { peerId: compute } });
    expect(atGateway.length).toBe(4);
    // The fourth: the compute's dial 46 ms after it lost a third neighbour.
    const refill = q.first({ name: 'mesh.peer.connected', node: 'compute-e88824b7', sinceMs: atGateway[3].endMs, attrs: { peerId: gateway, direction: 'outbound' } })!;
    const lost = q.last({ name: 'mesh.gossip.neighbor_down', node: 'compute-e88824b7', untilMs: refill.endMs })!;
    expect(lost.attrs.peerId).not.toBe(gateway);
    expect(refill.endMs - lost.endMs).toBeLessThan(1_000);
    // The third: a refill after the gateway's own Disconnect, which counts (a redial of the pair's link would too).
    const before = q.last({ name: 'mesh.gossip.neighbor_down', node: 'compute-e88824b7', untilMs: atGateway[2].endMs })!;
    expect([before.attrs.peerId, before.attrs.cause]).toEqual([gateway, 'disconnect']);
  });
});
