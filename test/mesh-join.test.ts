/**
 * Joining through seeds (HyParView paper §4.2: one contact node). Goal: a topic sends its Join
 * through the first seed that answers; a further seed gets one only if the topic's active view
 * is still not full `joinFallbackMs` after the last Join; `joinFallbackMs: 0` joins through
 * every seed at once, as iroh-gossip does. Method: runs of 300 gateways (two seeds each) and of
 * the 18-node layout (meshes of 8, where one contact leaves views short), read from the nodes'
 * own `mesh.gossip.join` and `mesh.gossip.neighbor_up|down` spans.
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import type { Cluster } from '../src/scenario/cluster.js';
import { runScenario } from '../src/scenario/runner.js';
import type { Scenario } from '../src/scenario/scenario.js';
import { gatewayMeshScenario } from './support/gateway-mesh.js';
import { HYPARVIEW_DEFAULTS } from '../src/protocol/hyparview-types.js';
import { MESH_NODE_DEFAULTS } from '../src/mesh/config.js';
import type { SpanRecord } from '../src/sim/telemetry/index.js';

const N = 300;
function wide(joinFallbackMs?: number): Scenario {
  return gatewayMeshScenario(`join-${N}`, N, {
    durationMs: N * 5 + 5_000,
    ...(joinFallbackMs === undefined ? {} : { node: { substrate: { joinFallbackMs } } }),
  });
}

/** Each node's Join spans per topic (keyed `node topic`), in order. */
function joinsByNode(cluster: Cluster): Map<string, SpanRecord[]> {
  const out = new Map<string, SpanRecord[]>();
  for (const s of cluster.telemetry.query.find({ name: 'mesh.gossip.join' })) {
    const key = `${s.node} ${String(s.attrs.topic)}`;
    const list = out.get(key) ?? [];
    list.push(s);
    out.set(key, list);
  }
  return out;
}

/** The node's active view on `topic` just before the span `before`, replayed from its own neighbour spans. */
function viewBefore(cluster: Cluster, node: string, topic: string, before: SpanRecord): Set<string> {
  const view = new Set<string>();
  const q = cluster.telemetry.query;
  const spans = [...q.find({ name: 'mesh.gossip.neighbor_up', node, attrs: { topic } }), ...q.find({ name: 'mesh.gossip.neighbor_down', node, attrs: { topic } })];
  for (const s of spans.sort((a, b) => a.seq - b.seq)) {
    if (s.seq >= before.seq) break;
    if (s.name === 'mesh.gossip.neighbor_up') view.add(String(s.attrs.peerId));
    else view.delete(String(s.attrs.peerId));
  }
  return view;
}

describe('joining through seeds', () => {
  it('a topic joins through one seed at a time, and through another only while its view is not full', () => {
    const { report, cluster } = runScenario(wide(), '1');
    expect(report.verdict).toBe('pass');
    const joins = joinsByNode(cluster);
    expect(joins.size).toBe(N - 1); // the first node has no seed
    let later = 0;
    for (const [key, list] of joins) {
      for (let i = 1; i < list.length; i++) {
        later++;
        expect(list[i].startMs - list[i - 1].startMs, key).toBeGreaterThanOrEqual(MESH_NODE_DEFAULTS.joinFallbackMs);
        expect(viewBefore(cluster, list[i].node, 'mesh-a', list[i]).size, key).toBeLessThan(HYPARVIEW_DEFAULTS.activeViewCapacity);
      }
    }
    // Most joins fill the view through one contact; two seeds each would be 2 joins per node.
    expect(later / joins.size).toBeLessThan(0.25);
    expect(report.views['mesh-a'].mean).toBeGreaterThan(4.5);
  });

  it('joinFallbackMs 0 joins through every seed at once (iroh-gossip)', () => {
    const { cluster } = runScenario(wide(0), '1');
    const joins = joinsByNode(cluster);
    let twice = 0;
    for (const list of joins.values()) {
      expect(list.length).toBeLessThanOrEqual(2);
      if (list.length === 2) {
        twice++;
        expect(list[1].attrs.peerId).not.toBe(list[0].attrs.peerId);
        expect(list[1].startMs - list[0].startMs).toBeLessThan(MESH_NODE_DEFAULTS.joinFallbackMs);
      }
    }
    expect(twice).toBeGreaterThanOrEqual(N - 3); // all but the nodes started with fewer than two before them
  });

  it('in meshes of 8 the views stay short after one contact, so nodes join through their other seeds too', () => {
    const { report, cluster } = runScenario({ ...findScenario('default')!, durationMs: 20_000 }, '1');
    expect(report.verdict).toBe('pass');
    const joins = joinsByNode(cluster);
    const again = [...joins.values()].filter((list) => list.length > 1);
    expect(again.length).toBeGreaterThan(0);
    for (const list of again) {
      const topic = String(list[1].attrs.topic);
      expect(viewBefore(cluster, list[1].node, topic, list[1]).size).toBeLessThan(HYPARVIEW_DEFAULTS.activeViewCapacity);
    }
  });
});
