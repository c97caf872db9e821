/**
 * The report at scale (hundreds of nodes, millions of spans) and for killed nodes. Goal: a
 * killed node is marked killed — in the topology snapshots until it is ready again, and as a
 * down interval on its Timeline row — from the chaos spans, not from the cluster; a big mesh is
 * sampled on the Topology view (every k-th node, all inside the box); a Timeline with more
 * events than it can embed thins only its most numerous kinds and says so. Method: the
 * kill-node scenario for the killed marks (checked against the engine's own log), a synthetic
 * 200-member layout, and synthetic trace records for the sampling.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import { encodeTopology, layoutNodes, snapshotAt, timelineOf, topologySnapshots, topologyStateAt, type TopologyNode } from '../../src/report/index.js';
import { LAYOUT_HEIGHT, LAYOUT_WIDTH, MESH_SHOWN_MAX, MESHES_SIDE_BY_SIDE_MAX } from '../../src/report/topology-layout.js';
import { TIMELINE_EVENTS_MAX } from '../../src/report/timeline.js';
import { findScenario } from '../../src/catalog/registry.js';
import { runScenario, type RunOutcome } from '../../src/scenario/runner.js';
import type { SpanRecord } from '../../src/sim/telemetry/index.js';

let outcome: RunOutcome;
let nodes: TopologyNode[];
let kill: { atMs: number; targets: string[]; revertedAtMs: number | null };

beforeAll(() => {
  outcome = runScenario(findScenario('kill-node')!, '5');
  nodes = outcome.cluster.plans.map((p) => ({ name: p.name, nodeId: p.nodeId, role: p.role, meshId: p.meshId, topics: p.meshIds }));
  kill = (outcome.report.chaos as { log: { atMs: number; targets: string[]; revertedAtMs: number | null }[] }).log[0];
});

describe('killed nodes', () => {
  it('are killed in the topology from the kill until they are ready again, and encode that way', () => {
    const records = outcome.cluster.telemetry.records;
    const snapshots = topologySnapshots(records, nodes);
    const [target] = kill.targets;
    const readyAgain = records.find((r) => r.name === 'mesh.node.ready' && r.node === target && r.endMs > kill.atMs)!;
    expect(readyAgain, 'the killed node comes back when the kill is reverted').toBeDefined();
    expect(snapshotAt(snapshots, kill.atMs - 1).killed).toEqual([]);
    expect(snapshotAt(snapshots, kill.atMs).killed).toEqual([target]);
    expect(snapshotAt(snapshots, kill.atMs).down).toContain(target);
    expect(snapshotAt(snapshots, readyAgain.endMs - 1).killed).toEqual([target]);
    expect(snapshotAt(snapshots, readyAgain.endMs).killed).toEqual([]);
    // Before boot every node is down but none is killed.
    expect(snapshots[0].killed).toEqual([]);
    const enc = encodeTopology(records, nodes);
    const at = enc.snapshots.findIndex((row) => row[0] === kill.atMs);
    const killedAt = (i: number): string[] => topologyStateAt(enc, i).killed.flatMap((flag, n) => (flag === 1 ? [enc.nodes[n]] : []));
    expect([killedAt(at - 1), killedAt(at)]).toEqual([[], [target]]);
  });

  it('have a down interval on their Timeline row, kill to ready', () => {
    const records = outcome.cluster.telemetry.records;
    const names = new Map(nodes.map((n) => [n.nodeId, n.name]));
    const tl = timelineOf(records, nodes, [], names, outcome.report.virtualMs);
    const [target] = kill.targets;
    const readyAgain = records.find((r) => r.name === 'mesh.node.ready' && r.node === target && r.endMs > kill.atMs)!;
    expect(tl.downs).toEqual([[nodes.findIndex((n) => n.name === target), kill.atMs, readyAgain.endMs]]);
    expect(tl.sampled).toEqual([]);
  });
});

describe('big meshes', () => {
  const member = (i: number): TopologyNode => ({ name: `gateway-${i}`, nodeId: `id-${i}`, role: 'gateway', meshId: 'mesh-a', topics: ['mesh-a'] });

  it('are sampled on the Topology view: every k-th member in boot order, at most MESH_SHOWN_MAX, all inside the box', () => {
    const big = [{ name: 'observer', nodeId: 'o', role: 'observer', meshId: 'admin', topics: ['admin'] }, ...Array.from({ length: 200 }, (_, i) => member(i))];
    const { places, groups } = layoutNodes(big);
    expect(groups).toEqual([expect.objectContaining({ meshId: 'mesh-a', members: 200, stride: 4, shown: 50 })]);
    const drawn = places.filter((p) => p.hidden !== true);
    expect(drawn).toHaveLength(51);
    expect(places.slice(1).map((p, i) => p.hidden !== true)).toEqual(Array.from({ length: 200 }, (_, i) => i % 4 === 0));
    expect(drawn.every((p) => p.x >= 0 && p.x <= LAYOUT_WIDTH && p.y >= 0 && p.y <= LAYOUT_HEIGHT)).toBe(true);
    expect(new Set(drawn.map((p) => `${p.x},${p.y}`)).size).toBe(drawn.length);
  });

  it(`more than MESHES_SIDE_BY_SIDE_MAX meshes are each laid out alone, on one circle, the bridges in a column on the right, all inside the box`, () => {
    // 1,024 meshes side by side had columns under a pixel wide and circles over each other, and
    // 100 bridges 90 apart about the middle ran far out of the box.
    const nodes: TopologyNode[] = [{ name: 'observer', nodeId: 'o', role: 'observer', meshId: 'admin', topics: ['admin'] }];
    for (let m = 0; m < 1024; m++) for (let i = 0; i < 3; i++) nodes.push({ name: `g-${m}-${i}`, nodeId: `g-${m}-${i}`, role: 'gateway', meshId: `m${m}`, topics: [`m${m}`] });
    for (let b = 0; b < 100; b++) nodes.push({ name: `bridge-${b}`, nodeId: `b-${b}`, role: 'bridge', meshId: 'bridge', topics: ['bridge'] });
    const { places, groups } = layoutNodes(nodes);
    expect(groups).toHaveLength(1024);
    expect(groups.every((g) => g.alone === true && g.x === groups[0].x && g.y === groups[0].y && g.r === groups[0].r)).toBe(true);
    const g = groups[0];
    expect([g.x - g.r - 34 >= 0, g.x + g.r + 34 <= LAYOUT_WIDTH, g.y + g.r + 34 <= LAYOUT_HEIGHT]).toEqual([true, true, true]);
    expect(places.every((p) => p.x >= 0 && p.x <= LAYOUT_WIDTH && p.y >= 0 && p.y <= LAYOUT_HEIGHT)).toBe(true);
    // One mesh's members at distinct places on its circle.
    const m7 = places.slice(1 + 7 * 3, 1 + 8 * 3);
    expect(new Set(m7.map((p) => `${p.x},${p.y}`)).size).toBe(3);
    expect(m7.every((p) => Math.abs(Math.hypot(p.x - g.x, p.y - g.y) - g.r) <= 1)).toBe(true);
    // The bridges: one column right of the circle, top to bottom in plan order, apart.
    const bridges = places.slice(1 + 1024 * 3);
    expect(bridges.every((p) => p.shape === 'bridge' && p.x === bridges[0].x && p.x > g.x + g.r + 34)).toBe(true);
    expect(bridges.every((p, i) => i === 0 || p.y > bridges[i - 1].y)).toBe(true);
  });

  it(`up to MESHES_SIDE_BY_SIDE_MAX meshes stand side by side, as before`, () => {
    const nodes: TopologyNode[] = [];
    for (let m = 0; m < MESHES_SIDE_BY_SIDE_MAX; m++) for (let i = 0; i < 3; i++) nodes.push({ name: `g-${m}-${i}`, nodeId: `g-${m}-${i}`, role: 'gateway', meshId: `m${m}`, topics: [`m${m}`] });
    const { groups } = layoutNodes(nodes);
    expect(groups.map((g) => g.alone)).toEqual(groups.map(() => undefined));
    expect(groups.map((g) => g.x)).toEqual(groups.map((_, i) => Math.round((LAYOUT_WIDTH / MESHES_SIDE_BY_SIDE_MAX) * (i + 0.5))));
  });

  it('small meshes are drawn whole', () => {
    const { places, groups } = layoutNodes(Array.from({ length: MESH_SHOWN_MAX }, (_, i) => member(i)));
    expect(groups[0].stride).toBe(1);
    expect(places.every((p) => p.hidden === undefined)).toBe(true);
  });

  it('encode a boot of 3,000 nodes in numbers that grow with the changes, not with snapshots × nodes', () => {
    // Each node ready in its own virtual ms, then linked to the one before it: 3,000 snapshots
    // of boot. Written whole per snapshot, the down sets alone would be 4.5 M numbers.
    const n = 3_000;
    const big = Array.from({ length: n }, (_, i) => member(i));
    const records: SpanRecord[] = [];
    const span = (name: SpanRecord['name'], node: number, atMs: number, attrs: SpanRecord['attrs'] = {}): SpanRecord =>
      ({ seq: records.length, traceId: 't', spanId: `s${records.length}`, parentSpanId: null, node: `gateway-${node}`, name, level: 'info', startMs: atMs, endMs: atMs, attrs });
    for (let i = 0; i < n; i++) {
      records.push(span('mesh.node.ready', i, 5 * i + 1));
      if (i > 0) records.push(span('mesh.gossip.neighbor_up', i, 5 * i + 2, { topic: 'mesh-a', peerId: `id-${i - 1}` }));
    }
    const enc = encodeTopology(records, big);
    const numbers = enc.snapshots.reduce((sum, row) => sum + row.length, 0) + enc.keyframes.reduce((sum, f) => sum + f.down.length + f.killed.length + f.states.reduce((a, s) => a + s.length, 0), 0);
    expect(enc.snapshots).toHaveLength(2 * n);
    expect(numbers).toBeLessThan(30 * n);
    // And it still decodes: snapshot n is node n/2 coming up, not yet linked; those before it are up and linked.
    const half = topologyStateAt(enc, n);
    expect(half.down.indexOf(1)).toBe(n / 2 + 1);
    expect(enc.views[half.states[0][n / 2 - 1]]).toEqual([n / 2 - 2]);
    expect(half.states[0][n / 2]).toBe(0);
  });

  it('a Timeline over its event budget thins only the most numerous kind, every k-th event, and says so', () => {
    const small = [member(0), member(1)];
    const record = (i: number, name: SpanRecord['name'], node: string): SpanRecord => ({ seq: i, traceId: 't', spanId: `s${i}`, parentSpanId: null, node, name, level: 'info', startMs: i, endMs: i, attrs: {} });
    const records: SpanRecord[] = [];
    for (let i = 0; i < 3 * TIMELINE_EVENTS_MAX; i++) records.push(record(i, i % 1000 === 0 ? 'mesh.peer.connected' : 'mesh.plumtree.prune', small[i % 2].name));
    const tl = timelineOf(records, small, [], new Map(), records.length);
    const connected = records.filter((r) => r.name === 'mesh.peer.connected').length;
    const pruned = records.length - connected;
    expect(tl.events.length).toBeLessThanOrEqual(TIMELINE_EVENTS_MAX);
    expect(tl.events.filter((e) => tl.names[e[3]] === 'mesh.peer.connected')).toHaveLength(connected);
    const prunedKind = tl.kinds.indexOf('pruned');
    const kept = tl.events.filter((e) => e[2] === prunedKind).length;
    expect(tl.sampled).toEqual([[prunedKind, kept, pruned]]);
    // Whole strides: the kind keeps more than half the budget left to it.
    expect(kept).toBeGreaterThan(TIMELINE_EVENTS_MAX / 2);
  });
});

describe('nodes killed by a workload failure (not chaos)', () => {
  it('are drawn as killed from the host’s own sim.node.killed span', () => {
    const parsed = parseScenarioJson({
      name: 'failure-drawn', profile: 'protocol', topology: { meshes: [{ meshId: 'm', roles: { gateway: 12 } }], observer: false },
      durationMs: 10_000, healWindowMs: 5_000, probeIntervalMs: 0, workload: [{ kind: 'failure', atMs: 6_000, count: 3 }],
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const run = runScenario(parsed.scenario, '2');
    const records = run.cluster.telemetry.records;
    const victims = records.filter((r) => r.name === 'sim.node.killed').map((r) => String(r.attrs.targets)).sort();
    expect(victims).toHaveLength(3);
    const snapshots = topologySnapshots(records, run.cluster.plans.map((p) => ({ name: p.name, nodeId: p.nodeId, role: p.role, meshId: p.meshId, topics: p.meshIds })));
    expect(snapshotAt(snapshots, 5_999).killed).toEqual([]);
    expect(snapshotAt(snapshots, 6_000).killed).toEqual(victims);
  });
});
