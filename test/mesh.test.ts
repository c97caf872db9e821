/**
 * Mesh acceptance (SPEC §6: `mesh-five-types-present`, `gossip-swarm-forms`,
 * `gossip-mesh-to-mesh`). Goal: each named scenario passes for fixed seeds, and the mesh really
 * did what the name says, judged by an assertion of our own over the nodes' spans rather than by
 * the scenario's checker alone. Canaries prove the checker can fail: a run whose digests never
 * flow must fail `digests-known`, a topology without bridges must fail the five-types check, and
 * an active view broken by hand must fail `views-symmetric`.
 * Method: `runScenario` from the registry (the 18-node scenarios for one seed to keep the suite
 * fast, the small swarm for three); a failure message lists the violations and the replay command.
 */
import { describe, expect, it } from 'vitest';
import { checkLiveness, checkViews } from '../src/scenario/checker.js';
import { Cluster } from '../src/scenario/cluster.js';
import { crossMeshDetected, gossipMeshToMesh, GOSSIP_SWARM_MIN_DIGESTS, GOSSIP_SWARM_WINDOW_MS, MESH_TO_MESH_DEADLINE_MS, SWARM_TOPOLOGY } from '../src/catalog/mesh-scenarios.js';
import { findScenario } from '../src/catalog/registry.js';
import { withChaos } from '../src/catalog/chaos-scenarios.js';
import { DEFAULT_TOPOLOGY, plannedNodes, type NodePlan } from '../src/scenario/topology.js';
import { runScenario, type RunOutcome, type RunReport } from '../src/scenario/runner.js';
import type { Scenario } from '../src/scenario/scenario.js';
import { replayLine } from '../src/cli/replay-line.js';
import { chaosLog, runRandomChaos, withoutAckIdleRestart } from './support/chaos.js';
import { scenarioOf } from './support/scenario-file.js';
import { handTrace } from './support/hand-trace.js';

function explain(report: RunReport): string {
  const lines = report.violations.map((v) => `  [${v.check}] ${v.message}`);
  return `${report.scenario} seed ${report.seed}: ${report.verdict}\n${lines.join('\n')}\nreplay: ${replayLine(report.replay)}`;
}

function scenario(name: string): Scenario {
  const s = findScenario(name);
  if (s === undefined) throw new Error(`scenario ${name} is not registered`);
  return s;
}

function runPassing(name: string, seed: string): RunOutcome {
  const outcome = runScenario(scenario(name), seed);
  expect(outcome.report.verdict, explain(outcome.report)).toBe('pass');
  return outcome;
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/** Node name → plan, for reading spans. */
function plansByName(cluster: Cluster) {
  return new Map(cluster.plans.map((p) => [p.name, p]));
}

/** The swarm exchanged enough digests by 34 s, every member took part and learned every other. */
function swarmFormed(cluster: Cluster): void {
  const q = cluster.telemetry.query;
  const four = cluster.plans.filter((p) => p.role !== 'observer');
  expect(four.map((p) => p.role).sort()).toEqual(['broker', 'compute', 'gateway', 'registry']);
  let digests = 0;
  for (const p of four) {
    const received = q.find({ name: 'mesh.gossip.received', node: p.name, untilMs: GOSSIP_SWARM_WINDOW_MS }).length;
    const probes = q.find({ name: 'mesh.probe.delivered', node: p.name, untilMs: GOSSIP_SWARM_WINDOW_MS }).length;
    // Every node takes part, not just a loud few: at least a fifth of an even share each.
    expect(received - probes, `${p.name} received ${received - probes} digests`).toBeGreaterThanOrEqual(GOSSIP_SWARM_MIN_DIGESTS / 4 / 5);
    digests += received - probes;
    // Each node learned the digest of every other swarm member (observer included) in time.
    const learned = new Set(q.find({ name: 'mesh.digest.learned', node: p.name, untilMs: GOSSIP_SWARM_WINDOW_MS }).map((s) => s.attrs.nodeId));
    const others = cluster.plans.filter((o) => o !== p).map((o) => o.nodeId);
    expect(others.filter((id) => !learned.has(id)), `${p.name} never learned these digests`).toEqual([]);
  }
  expect(digests).toBeGreaterThanOrEqual(GOSSIP_SWARM_MIN_DIGESTS);
}

/**
 * An unstarted default layout whose trace a case writes by hand, and the gossip-mesh-to-mesh
 * check asked of that trace directly.
 */
function handWritten() {
  const t = handTrace('mesh-to-mesh-by-hand', { topology: DEFAULT_TOPOLOGY });
  const { cluster, tel, at, connected: connect, revert, byRole: role } = t;
  const closeUnused = (from: NodePlan, to: NodePlan) => t.disconnected(from, to, 'closed-locally', 'unused');
  const detect = (from: NodePlan, to: NodePlan) => tel.emit(from.name, 'mesh.cross.peer_connected', { peerId: to.nodeId, ownMeshId: from.meshId, peerMeshId: to.meshId, peerNodeType: to.role });
  const chaos = (name: string, target: NodePlan, durationMs: number) => t.chaos(name, [target], JSON.stringify({ durationMs }));
  const ctx = { scenario: gossipMeshToMesh, seed: '1', cluster, mainEndMs: MESH_TO_MESH_DEADLINE_MS, probe: () => null, protectedNodes: new Set<string>() };
  const violations = () => crossMeshDetected(ctx, MESH_TO_MESH_DEADLINE_MS).map((v) => v.message);
  return { bridge: role('bridge'), registry: role('registry'), broker: role('broker'), at, connect, closeUnused, detect, chaos, revert, violations };
}

describe('mesh scenarios', () => {
  it('mesh-five-types-present', () => {
    const { cluster } = runPassing('mesh-five-types-present', '1');
    const ready = cluster.telemetry.query.find({ name: 'mesh.node.ready' });
    // Nobody restarted in a fault-free run: exactly one ready span per planned node.
    expect(countBy(ready, (s) => String(s.attrs.nodeType))).toEqual({
      observer: 1,
      gateway: 4,
      broker: 4,
      compute: 4,
      registry: 4,
      bridge: 2,
    });
    const plans = plansByName(cluster);
    expect(new Set(ready.map((s) => s.node))).toEqual(new Set(plans.keys()));
    for (const s of ready) {
      const plan = plans.get(s.node)!;
      expect([s.attrs.nodeId, s.attrs.nodeName, s.attrs.meshId]).toEqual([plan.nodeId, plan.name, plan.meshId]);
      expect(s.endMs).toBe(plan.bootAtMs); // ready at boot, 50 ms apart
    }
    expect(countBy(ready, (s) => String(s.attrs.meshId))).toEqual({ admin: 1, 'mesh-a': 8, 'mesh-b': 8, bridge: 2 });
  });

  it('gossip-swarm-forms', () => {
    for (const seed of ['1', '2', '3']) swarmFormed(runPassing('gossip-swarm-forms', seed).cluster);
  });

  it('gossip-mesh-to-mesh', () => {
    const { cluster } = runPassing('gossip-mesh-to-mesh', '1');
    const q = cluster.telemetry.query;
    const plans = plansByName(cluster);
    const nameOf = new Map(cluster.plans.map((p) => [p.nodeId, p.name]));
    const cross = q.find({ name: 'mesh.cross.peer_connected', untilMs: MESH_TO_MESH_DEADLINE_MS });
    const pairs = new Set<string>();
    for (const s of cross) {
      const own = plans.get(s.node)!;
      const peer = plans.get(nameOf.get(String(s.attrs.peerId))!)!;
      // The span states the truth about both ends.
      expect([s.attrs.ownMeshId, s.attrs.peerMeshId, s.attrs.peerNodeType]).toEqual([own.meshId, peer.meshId, peer.role]);
      expect(peer.meshId).not.toBe(own.meshId);
      // It continues the trace of the peer's connected span, carried in the Hello frame.
      const parent = q.find({ name: 'mesh.peer.connected', node: peer.name, attrs: { peerId: own.nodeId } }).find((c) => c.spanId === s.parentSpanId);
      expect(parent, `${s.node} cross span has no parent at ${peer.name}`).toBeDefined();
      expect(parent!.traceId).toBe(s.traceId);
      pairs.add(`${own.name}>${peer.name}`);
    }
    // Detected at both ends: every a>b has its b>a.
    const oneSided = [...pairs].filter((p) => !pairs.has(p.split('>').reverse().join('>')));
    expect(oneSided).toEqual([]);
    // Every node dials the observer first (its seed), and the observer's mesh differs from all.
    const observer = cluster.plans.find((p) => p.role === 'observer')!;
    for (const p of cluster.plans) if (p !== observer) expect(pairs.has(`${p.name}>${observer.name}`), p.name).toBe(true);
    // Bridges reach into both service meshes.
    for (const bridge of cluster.plans.filter((p) => p.role === 'bridge')) {
      const meshes = new Set([...pairs].filter((x) => x.startsWith(`${bridge.name}>`)).map((x) => plans.get(x.split('>')[1])!.meshId));
      expect(meshes.has('mesh-a') && meshes.has('mesh-b'), `${bridge.name} saw ${[...meshes].join(',')}`).toBe(true);
    }
  });
});

describe('gossip-mesh-to-mesh: an end closed before its peer answered', () => {
  it('is not owed the peer\'s Hello; an end left open still is', () => {
    // gossip-mesh-to-mesh-chaos under --chaos 20, seed 27: bridge-e27ef103 dialed
    // registry-89aed1b9 while a wedge_node held the registry (41.2-48.5 s), and closed the
    // connection as unused at 46.6 s; the registry registered it, detected the bridge and saw the
    // close at its unwedge, 48.5 s. The registry's Hello could reach no end of the bridge.
    const chaotic = runScenario(withChaos(scenario('gossip-mesh-to-mesh-chaos'), { random: { count: 20 } }), '27');
    expect(chaotic.report.verdict, explain(chaotic.report)).toBe('pass');
    const q = chaotic.cluster.telemetry.query;
    const [bridge, registry] = ['bridge-e27ef103', 'registry-89aed1b9'].map((n) => chaotic.cluster.idOfName(n));
    const opened = q.first({ name: 'mesh.peer.connected', node: 'bridge-e27ef103', attrs: { peerId: registry } })!;
    const closed = q.first({ name: 'mesh.peer.disconnected', node: 'bridge-e27ef103', sinceMs: opened.endMs, attrs: { peerId: registry } })!;
    const answered = q.first({ name: 'mesh.peer.connected', node: 'registry-89aed1b9', sinceMs: opened.endMs - 1_000, attrs: { peerId: bridge } })!;
    expect(answered.endMs).toBeGreaterThan(closed.endMs);
    // Red: a node that sends no Hello leaves ends open that never detect it.
    const base = scenario('gossip-mesh-to-mesh');
    const silent = plannedNodes(base.topology, '1').find((p) => p.role === 'registry')!.name;
    const { report } = runScenario({ ...base, variantOf: (plan) => (plan.name === silent ? { omitHello: true } : {}) }, '1');
    expect(report.violations.filter((v) => v.check === 'gossip-mesh-to-mesh').map((v) => v.message)).toContainEqual(expect.stringMatching(new RegExp(`never detected cross-mesh peer ${silent}$`)));
  });
});

describe('gossip-mesh-to-mesh: ends the peer never registered before they were closed', () => {
  // Under --chaos 20: seed 120, a broker wedged until 57.3 s took in a bridge's three dials, all
  // closed as unused by then, past the 57 s deadline. The broker could not detect the bridge
  // over those ends.
  it.each([
    ['120', 'broker-718ab37b', 'bridge-b5905a43'],
  ])('seed %s: %s owes no detection of %s', (seed, node, peer) => {
    const { report, cluster } = runScenario(withChaos(withoutAckIdleRestart(scenario('gossip-mesh-to-mesh-chaos')), { random: { count: 20 } }), seed);
    expect(report.verdict, explain(report)).toBe('pass');
    // The case is the one meant: every end of the peer's to the node closed before the node
    // registered one, and the node had none within the deadline.
    const q = cluster.telemetry.query;
    const [n, p] = [cluster.idOfName(node), cluster.idOfName(peer)];
    const ends = q.find({ name: 'mesh.peer.connected', node: peer, untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: n } });
    expect(ends.length).toBeGreaterThan(0);
    const lastClose = q.find({ name: 'mesh.peer.disconnected', node: peer, untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: n } }).at(-1)!;
    expect(q.first({ name: 'mesh.peer.connected', node, sinceMs: ends[0].endMs - 1_000, untilMs: lastClose.endMs, attrs: { peerId: p } })).toBeUndefined();
  });
  it('by hand: a dialer whose end never opened owes no detection over the end the peer closed unanswered', () => {
    // The shape of a dialer NAT-shifted during its handshake: the bridge took the registry's dial
    // in at 10 s, the answer went to the registry's old address and its end never opened, and
    // the bridge closed its own as unused at 12 s. The registry held no end to detect the bridge
    // over, and no Hello of the bridge's reached it; the bridge is excused as the closing side.
    const w = handWritten();
    w.at(10_000);
    w.connect(w.bridge, w.registry, 'inbound');
    w.at(12_000);
    w.closeUnused(w.bridge, w.registry);
    expect(w.violations()).toEqual([]);
    // Red: a registry that did register its end before the close was owed the detection.
    const r = handWritten();
    r.at(10_000);
    r.connect(r.bridge, r.registry, 'inbound');
    r.at(10_005);
    r.connect(r.registry, r.bridge, 'outbound');
    r.at(12_000);
    r.closeUnused(r.bridge, r.registry);
    expect(r.violations()).toContain(`${r.registry.name} never detected cross-mesh peer ${r.bridge.name}`);
  });

  it('by hand: a node whose process died within a flight of the peer\'s Hello owes no detection over that end', () => {
    // The shape of seed 6552 below: the bridge's dial opened the registry's end at 10 s, the
    // bridge registered its own and sent its Hello at 10.010 s, and a restart took the registry
    // 5 ms later, before a Hello (10 ms one way) could arrive; or 12 ms later, before one with
    // the links' jitter (up to 5 ms) had to (seed 7117). Red when the restart comes after the
    // Hello's longest flight.
    const violationsWithRestartAt = (restartMs: number) => {
      const w = handWritten();
      w.at(10_000);
      w.connect(w.registry, w.bridge, 'inbound');
      w.at(10_010);
      w.connect(w.bridge, w.registry, 'outbound');
      w.detect(w.bridge, w.registry); // the registry's Hello, sent at its end's registration
      w.at(restartMs);
      const restart = w.chaos('restart_node', w.registry, 3_000);
      w.at(restartMs + 3_000);
      w.revert(restart, 'restart_node');
      return w.violations();
    };
    expect(violationsWithRestartAt(10_015)).toEqual([]);
    expect(violationsWithRestartAt(10_022)).toEqual([]);
    const late = handWritten();
    expect(new Set(violationsWithRestartAt(10_030))).toEqual(new Set([`${late.registry.name} never detected cross-mesh peer ${late.bridge.name}`]));
  });
});

describe('gossip-mesh-to-mesh: a Hello that could not arrive before the process died', () => {
  // gossip-mesh-to-mesh-chaos under --chaos 20, seed 6552: bridge-7aad2dc7 dialled
  // compute-71d9f349, whose end opened at 45.457 s; the bridge registered its end and sent its
  // Hello at 45.467 s, and a restart_node took the compute at 45.473 s. The compute's next
  // incarnation met the bridge again only at 77.5 s, past the 57 s deadline.
  it('owes no detection, and the run passes', () => {
    const { report, cluster } = runRandomChaos(withoutAckIdleRestart(scenario('gossip-mesh-to-mesh-chaos')), 20, '6552');
    expect(report.verdict, report.violations.map((v) => v.message).join('\n')).toBe('pass');
    const q = cluster.telemetry.query;
    const [compute, bridge] = ['compute-71d9f349', 'bridge-7aad2dc7'].map((n) => cluster.idOfName(n));
    const computeEnd = q.first({ name: 'mesh.peer.connected', node: 'compute-71d9f349', attrs: { peerId: bridge } })!;
    const bridgeEnd = q.first({ name: 'mesh.peer.connected', node: 'bridge-7aad2dc7', sinceMs: computeEnd.endMs, attrs: { peerId: compute } })!;
    const restart = chaosLog(report).find((e) => e.primitive === 'restart_node' && e.targets[0] === 'compute-71d9f349')!;
    expect([computeEnd.endMs, bridgeEnd.endMs, restart.atMs]).toEqual([45_457, 45_467, 45_473]);
    expect(q.first({ name: 'mesh.cross.peer_connected', node: 'compute-71d9f349', untilMs: 57_000, attrs: { peerId: bridge } })).toBeUndefined();
  });
});

describe('gossip-mesh-to-mesh: a Hello another event dropped until the end closed', () => {
  // Under --chaos 20: seed 964, a bridge's dial reached registry-0b87976b 1 ms before a
  // partition_subset (12.8-66.4 s) took the registry; the bridge registered its end 10 ms later
  // and its Hello was dropped, and the registry closed its end as unused at 14.8 s. Seed 998,
  // bridge-c171b659 was NAT-shifted 5 ms after a gateway's dial reached it; the gateway's Hello
  // went to the old address, and the bridge closed its end as unused at 48.9 s.
  it.each([
    ['964', 'registry-0b87976b', 'bridge-85d18a02'],
    ['998', 'bridge-c171b659', 'gateway-63ba9442'],
  ])('seed %s: %s owes no detection of %s', (seed, node, peer) => {
    const { report, cluster } = runScenario(withChaos(scenario('gossip-mesh-to-mesh-chaos'), { random: { count: 20 } }), seed);
    expect(report.verdict, explain(report)).toBe('pass');
    // The case is the one meant: the peer answered the node's only end within the deadline, the
    // node closed it, and it never detected the peer by the deadline.
    const q = cluster.telemetry.query;
    const [n, p] = [cluster.idOfName(node), cluster.idOfName(peer)];
    const [end, ...more] = q.find({ name: 'mesh.peer.connected', node, untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: p } });
    expect(more).toEqual([]);
    const closed = q.first({ name: 'mesh.peer.disconnected', node, sinceMs: end.endMs, attrs: { peerId: p } })!;
    expect(closed.endMs).toBeLessThan(MESH_TO_MESH_DEADLINE_MS);
    expect(q.first({ name: 'mesh.peer.connected', node: peer, sinceMs: end.endMs - 1_000, untilMs: closed.endMs, attrs: { peerId: n } })).toBeDefined();
    expect(q.first({ name: 'mesh.cross.peer_connected', node, untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: p } })).toBeUndefined();
  });
});

describe('gossip-mesh-to-mesh: an end that died with its node', () => {
  it('seed 3189: bridge-496cf70d, restarted 11 ms after it took broker-f577fff1\'s dial in, owes no detection of it', () => {
    // Under --chaos 20: the broker registered its end and sent its Hello as a restart_node took
    // the bridge; the bridge's end died with its process (no span says so) and its new
    // incarnation held none, so nothing could detect the broker over that end.
    const { report, cluster } = runScenario(withChaos(withoutAckIdleRestart(scenario('gossip-mesh-to-mesh-chaos')), { random: { count: 20 } }), '3189');
    expect(report.verdict, explain(report)).toBe('pass');
    // The case is the one meant: the bridge's one end to the broker within the deadline never
    // closed by a span, the restart came after it opened and by the broker's answer, and the
    // bridge did not detect the broker by the deadline.
    const q = cluster.telemetry.query;
    const [bridge, broker] = [cluster.idOfName('bridge-496cf70d'), cluster.idOfName('broker-f577fff1')];
    const [end, ...more] = q.find({ name: 'mesh.peer.connected', node: 'bridge-496cf70d', untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: broker } });
    expect(more).toEqual([]);
    expect(q.first({ name: 'mesh.peer.disconnected', node: 'bridge-496cf70d', sinceMs: end.endMs, untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: broker } })).toBeUndefined();
    const restart = chaosLog(report).find((e) => e.primitive === 'restart_node' && e.targets[0] === 'bridge-496cf70d' && e.atMs >= end.endMs)!;
    const answer = q.first({ name: 'mesh.peer.connected', node: 'broker-f577fff1', sinceMs: end.endMs, attrs: { peerId: bridge } })!;
    expect(restart.atMs).toBeLessThanOrEqual(answer.endMs);
    expect(q.first({ name: 'mesh.cross.peer_connected', node: 'bridge-496cf70d', untilMs: MESH_TO_MESH_DEADLINE_MS, attrs: { peerId: broker } })).toBeUndefined();
  });
});

describe('gossip-mesh-to-mesh: a node wedged from before the peer\'s dial until past the deadline', () => {
  it('by hand: owes no detection by the deadline over an end the peer opened during the wedge', () => {
    // The bridge is wedged from 51.5 to 58.3 s; the broker dials it and its end opens at
    // 55.99 s (the transport completes the handshake for a wedged node). The bridge's process
    // registers the connection, sends its Hello and detects the broker only at its unwedge,
    // past the 57 s deadline; the broker is excused because the bridge's Hello came inside the
    // wedge's cut, and the bridge because it was wedged from before the dial through the deadline.
    const wedgedDial = (dialAtMs: number) => {
      const w = handWritten();
      const dial = () => {
        w.at(dialAtMs);
        w.connect(w.broker, w.bridge, 'outbound');
      };
      if (dialAtMs < 51_500) dial();
      w.at(51_500);
      const wedge = w.chaos('wedge_node', w.bridge, 6_800);
      if (dialAtMs >= 51_500) dial();
      w.at(58_300);
      w.revert(wedge, 'wedge_node');
      w.connect(w.bridge, w.broker, 'inbound');
      w.detect(w.bridge, w.broker);
      w.at(58_310);
      w.detect(w.broker, w.bridge);
      return w;
    };
    expect(wedgedDial(55_990).violations()).toEqual([]);
    // Red: an end the broker opened before the wedge, when the bridge still ran to register it.
    const r = wedgedDial(51_000);
    expect(r.violations()).toEqual([`${r.bridge.name} never detected cross-mesh peer ${r.broker.name}`]);
  });
});

describe('canaries: the checker can fail', () => {
  it('digests that never flow fail digests-known, and the report carries what replays it', () => {
    const broken: Scenario = {
      ...scenario('default'),
      node: { digestIntervalMs: 86_400_000 }, // a day: no digest within the run (the most a scenario may set)
      durationMs: 10_000,
      healWindowMs: 10_000,
    };
    const { report } = runScenario(broken, '1');
    expect(report.verdict, explain(report)).toBe('fail');
    expect(report.violations.map((v) => v.check)).toContain('digests-known');
    // Nothing was refused: no node is named as refusing its broadcasts.
    expect(report.violations.filter((v) => v.message.includes('refused'))).toEqual([]);
    expect(report.replay).toEqual({ kind: 'run', scenario: 'default', seed: '1' });
    expect(replayLine(report.replay)).toBe('npx meshsim run --scenario default --seed 1');
    expect(explain(report)).toContain('[digests-known]');
  });

  it('digests-known names a node whose digests Plumtree refused as larger than maxMessageSizeBytes', () => {
    const small = scenarioOf({
      name: 'small-messages',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 3 } }], bridges: 0 },
      durationMs: 10_000,
      healWindowMs: 10_000,
      node: { plumtree: { maxMessageSizeBytes: 200 } },
    });
    const { report, cluster } = runScenario(small, '1');
    const known = report.violations.filter((v) => v.check === 'digests-known');
    expect(known.length).toBeGreaterThan(0);
    for (const v of known) expect(v.message).toMatch(/ \(\d+ of its own broadcasts were refused, the last a message of \d{3} bytes over node\.plumtree\.maxMessageSizeBytes 200\)$/);
    // Read from the nodes' own spans: each refusal is one.
    const gateway = cluster.plans.find((p) => p.role === 'gateway')!;
    const refused = cluster.telemetry.query.find({ name: 'mesh.gossip.rejected', node: gateway.name }).length;
    expect(refused).toBeGreaterThan(0);
    expect(known.find((v) => v.message.includes(`digest of ${gateway.name} (`))?.message).toContain(`(${refused} of its own broadcasts were refused`);
  });

  it('a layout without bridges fails the five-types check', () => {
    const broken: Scenario = { ...scenario('mesh-five-types-present'), topology: SWARM_TOPOLOGY };
    const { report } = runScenario(broken, '1');
    expect(report.verdict).toBe('fail');
    expect(report.violations.filter((v) => v.check === 'five-types-present').map((v) => v.message)).toContain('no mesh.node.ready span of type bridge');
  });

  it('an active view broken by hand fails views-symmetric', () => {
    const { cluster } = runPassing('gossip-swarm-forms', '1');
    expect(checkViews(cluster)).toEqual([]);
    const a = cluster.plans.find((p) => p.role === 'gateway')!;
    const active = cluster.app(a.nodeId)!.topicState('mesh-a')!.hyparview.active;
    expect(active.length).toBeGreaterThan(0);
    const b = active[0];
    active.splice(0, 1); // a forgets b; b still holds a
    const violations = checkViews(cluster);
    expect(violations).toContainEqual({ check: 'views-symmetric', message: `mesh-a: ${cluster.nameOf(b)} → ${a.name} is not returned` });
    expect(checkLiveness(cluster, [], () => false).map((v) => v.check)).toContain('views-symmetric');
    active.unshift(b);
    expect(checkViews(cluster)).toEqual([]);
  });
});
