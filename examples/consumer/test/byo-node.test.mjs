// Our own node logic on meshsim's simulated world: the flooding node of ../flood-node.mjs on
// 8 nodes, through the battery's fault primitives (kill, partition, loss, a wedged process, a
// full disk). Each fault is applied and reverted by meshsim through the same levers the mesh
// battery uses; we judge recovery from our own spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApp, PRIMITIVE_NAMES } from 'meshsim';
import { FloodNode } from '../flood-node.mjs';

const NODES = 8;

function flood(faults, broadcastAtMs, durationMs) {
  return runApp({
    seed: 11,
    nodes: NODES,
    durationMs,
    app: (ctx, node) => new FloodNode(ctx, node),
    faults,
    actions: broadcastAtMs.map((atMs, i) => ({ atMs, run: (sim) => sim.app(0).broadcast(`m${i}`) })),
  });
}

function reached(result, id) {
  const spans = [...result.query.find({ name: 'app.flood.delivered' }), ...result.query.find({ name: 'app.flood.sent' })];
  return new Set(spans.filter((s) => s.attrs.messageId === id).map((s) => s.node));
}

test('a broadcast floods to every node', () => {
  const result = flood([], [5000], 10000);
  assert.equal(reached(result, 'm0').size, NODES);
});

test('through kill, partition, loss, wedge and a full disk, a later broadcast reaches every node', () => {
  const faults = [
    { atMs: 10000, primitive: 'kill_node', targets: [3], revertAfterMs: 15000 },
    { atMs: 12000, primitive: 'partition_pair', targets: [1, 2], params: { durationMs: 20000 } },
    { atMs: 14000, primitive: 'lossy_link', targets: [1, 4], params: { lossPct: 30, durationMs: 20000 } },
    { atMs: 16000, primitive: 'wedge_node', targets: [5], params: { durationMs: 4000 } },
    { atMs: 18000, primitive: 'disk_full', targets: [6], params: { durationMs: 10000 } },
  ];
  const result = flood(faults, [20000, 80000], 90000);
  assert.ok(PRIMITIVE_NAMES.includes('kill_node'));
  assert.deepEqual(result.faults.map((f) => f.revertedAtMs !== null), [true, true, true, true, true]);
  // While node 3 was down it missed the broadcast; it booted again from its data dir.
  const victim = result.nodes[3].name;
  assert.ok(!reached(result, 'm0').has(victim));
  assert.equal(result.query.last({ name: 'app.flood.up', node: victim }).attrs.boots, 2);
  assert.equal(reached(result, 'm1').size, NODES);
});

test('the same seed gives the same trace digest', () => {
  const faults = [{ atMs: 5000, primitive: 'lossy_link', targets: [0, 1], params: { lossPct: 50 } }];
  assert.equal(flood(faults, [6000], 20000).traceDigest, flood(faults, [6000], 20000).traceDigest);
});
