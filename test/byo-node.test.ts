/**
 * Bring your own node logic (docs/byo-node.md). Goal: a node application that is not the mesh
 * node runs on the same simulated processes, network, clocks and disk, and the battery's fault
 * primitives hit it through the same levers. Method: the example flooding-broadcast node
 * (examples/consumer/flood-node.mjs, the example users read) on 8 nodes; a broadcast on a healthy network reaches everyone;
 * then, for each primitive, apply it to the app, broadcast while it holds and again once it is
 * reverted and connections had an idle timeout to settle: the later broadcast must reach every
 * running node, and what the primitive does must show in the app's own spans (a killed node
 * misses messages and boots again from its data dir; a cut-off subset misses the broadcast
 * sent meanwhile). Also: the same seed gives the same trace, and bad input is one line.
 */
import { describe, expect, it } from 'vitest';
import { AppRunError, runApp, type AppFault, type AppRunResult, type PrimitiveName } from '../src/api/index.js';
import { FloodNode } from '../examples/consumer/flood-node.mjs';

const NODES = 8;
const FAULT_AT_MS = 10_000;
/** The network's idle timeout (30 s) plus redials: connections to the dead or cut-off have gone and new ones formed. */
const SETTLE_MS = 40_000;

function flood(seed: number, faults: readonly AppFault[], broadcastAtMs: readonly number[], durationMs: number): AppRunResult<FloodNode> {
  return runApp({
    seed,
    nodes: NODES,
    durationMs,
    app: (ctx, node) => new FloodNode(ctx, node),
    faults,
    actions: broadcastAtMs.map((atMs, i) => ({ atMs, run: (sim) => sim.app(0)!.broadcast(`m${i}`) })),
  });
}

/** Names of the nodes that delivered (or sent) message `id`. */
function reached(result: AppRunResult<FloodNode>, id: string): string[] {
  const got = [...result.query.find({ name: 'app.flood.delivered' }), ...result.query.find({ name: 'app.flood.sent' })]
    .filter((s) => s.attrs.messageId === id)
    .map((s) => s.node);
  return [...new Set(got)].sort();
}

function running(result: AppRunResult<FloodNode>): string[] {
  return result.nodes.filter((n) => n.status === 'running').map((n) => n.name).sort();
}

/** A fault on nodes other than node 0 (the broadcaster), long enough to matter, that reverts. */
const FAULTS: Readonly<Record<PrimitiveName, Omit<AppFault, 'atMs' | 'primitive'>>> = {
  kill_node: { targets: [3], revertAfterMs: 20_000 },
  restart_node: { targets: [3], params: { downtimeMs: 5_000 } },
  burst_kill: { targets: [2, 5, 7], revertAfterMs: 20_000 },
  wedge_node: { targets: [4], params: { durationMs: 5_000 } },
  disk_full: { targets: [5] },
  partition_pair: { targets: [1, 2] },
  partition_subset: { targets: [5, 6, 7], params: { durationMs: 20_000 } },
  flap_link: { targets: [1, 3] },
  firewall_inbound: { targets: [6] },
  clock_skew: { targets: [2], params: { skewMs: 60_000 } },
  nat_shift: { targets: [4], revertAfterMs: 0 }, // a new address has no inverse: nothing to revert
  slow_link: { targets: [1, 2], params: { latencyMs: 500 } },
  lossy_link: { targets: [1, 4], params: { lossPct: 25 } },
};

describe('bring your own node logic: a flooding-broadcast node', () => {
  it('boots on every node and floods a broadcast to all of them', () => {
    const result = flood(1, [], [5_000], 10_000);
    expect(result.budgetExceeded).toBe(false);
    expect(result.spansByName['app.flood.up']).toBe(NODES);
    expect(reached(result, 'm0')).toEqual(result.nodes.map((n) => n.name).sort());
    const hops = result.query.find({ name: 'app.flood.delivered' }).map((s) => Number(s.attrs.hop));
    expect(Math.max(...hops)).toBeGreaterThanOrEqual(1);
  });

  it('is deterministic: the same seed gives the same trace', () => {
    const fault: AppFault = { atMs: FAULT_AT_MS, primitive: 'lossy_link', targets: [1, 2], params: { lossPct: 30 } };
    const a = flood(7, [fault], [12_000], 30_000);
    const b = flood(7, [fault], [12_000], 30_000);
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(a.events).toBe(b.events);
    expect(flood(8, [fault], [12_000], 30_000).traceDigest).not.toBe(a.traceDigest);
  });

  describe.each(Object.keys(FAULTS) as PrimitiveName[])('%s', (primitive) => {
    const fault: AppFault = { atMs: FAULT_AT_MS, primitive, ...FAULTS[primitive] };
    const probe = (result: AppRunResult<FloodNode>) => result.faults[0].revertedAtMs;

    it('applies and reverts through the levers; after it a broadcast reaches every running node', () => {
      // Find when the fault reverts (it depends on its parameters), then broadcast after it settles.
      const dry = flood(3, [fault], [], 200_000);
      const revertedAtMs = probe(dry);
      expect(revertedAtMs, 'the fault reverts').not.toBeNull();
      const afterMs = revertedAtMs! + SETTLE_MS;
      const result = flood(3, [fault], [FAULT_AT_MS + 1_000, afterMs], afterMs + 5_000);
      expect(result.faults).toHaveLength(1);
      expect(result.faults[0].revertedAtMs).toBe(revertedAtMs);
      expect(result.spansByName['chaos.primitive.applied']).toBe(1);
      expect(reached(result, 'm1')).toEqual(running(result));
      expect(running(result)).toHaveLength(NODES);
    });
  });

  it('what the primitives did shows in the app: kills miss messages and boot again from the data dir; a cut-off subset misses the broadcast', () => {
    const kill = flood(3, [{ atMs: FAULT_AT_MS, primitive: 'kill_node', targets: [3], revertAfterMs: 20_000 }], [FAULT_AT_MS + 1_000], 40_000);
    const victim = kill.nodes[3].name;
    expect(reached(kill, 'm0')).not.toContain(victim);
    expect(kill.query.last({ name: 'app.flood.up', node: victim })?.attrs.boots).toBe(2);
    expect(kill.query.count({ name: 'sim.node.killed' })).toBe(1);
    const cut = flood(3, [{ atMs: FAULT_AT_MS, primitive: 'partition_subset', targets: [5, 6, 7], params: { durationMs: 20_000 } }], [FAULT_AT_MS + 1_000], 40_000);
    expect(reached(cut, 'm0').filter((n) => [5, 6, 7].some((i) => cut.nodes[i].name === n))).toEqual([]);
    const full = flood(3, [{ atMs: FAULT_AT_MS, primitive: 'disk_full', targets: [3] }, { atMs: FAULT_AT_MS + 1_000, primitive: 'restart_node', targets: [3] }], [], 40_000);
    expect(full.query.last({ name: 'app.flood.up', node: full.nodes[3].name })?.attrs).toEqual({ boots: 2, diskOk: false });
  });

  it('bad input is one line: unknown node, wrong parameter, bad seed', () => {
    const bad = (faults: readonly AppFault[], seed: number | string = 1) => () => runApp({ seed, nodes: 3, durationMs: 1_000, app: (ctx, node) => new FloodNode(ctx, node), faults });
    expect(bad([{ atMs: 0, primitive: 'kill_node', targets: [9] }])).toThrow(/faults\[0\]\.targets\[0\]: no node 9/);
    expect(bad([{ atMs: 0, primitive: 'lossy_link', targets: [0, 1], params: { lossPct: 101 } }])).toThrow(AppRunError);
    expect(bad([], -1)).toThrow(/seed must be a non-negative integer/);
  });
});
