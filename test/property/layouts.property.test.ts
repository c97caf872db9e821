/**
 * Random layouts under random chaos. Goal: whatever layout a user writes — the protocol or the
 * full profile, one to four meshes of mixed roles, bridges, with or without the observer, a
 * lossy network or not — `meshsim run --scenario FILE --seed S --chaos N` passes, every check
 * and every chaos detection; the arbitrary reaches the layouts the schedule properties never
 * draw (no observer, the protocol profile, a role alone on its mesh). Method: checkLayouts
 * (fast-check) with a small default budget (≤ 2 meshes, ≤ 4 nodes per role, ≤ 8 chaos events;
 * the environment of src/property/env.ts for long searches, MESHSIM_PROP_FULL=1 for the whole
 * range). A failure writes the shrunk scenario file (to MESHSIM_PROP_SAVE or the temp dir) and
 * prints the command that replays it. Its canary: a node with a repair path cut out
 * (`disableSeedRejoin`) on every node is found within that small budget and shrunk to a layout
 * the schedule properties never draw, which the correct node passes. And two reds it found,
 * kept as cases: a survivor whose only contact and only seed a kill takes before its first
 * shuffle (HyParView learns passive peers by shuffles, every 60 s), and a node whose every link
 * and seed on a topic a partition_subset cut off, were stranded until the victim came back or
 * the repair; both were bridges planned with one seed on the mesh, and both now rejoin through
 * a fallback seed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replayLine } from '../../src/cli/replay-line.js';
import { checkLayouts, formatLayoutFailure, layoutCaseArb, layoutScheduleOf, runLayoutCase, type LayoutPropertyResult } from '../../src/property/layouts.js';
import { runScheduleFile } from '../../src/property/replay.js';
import { formatScheduleFile, loadScheduleFile } from '../../src/property/schedule.js';
import { chaosLog } from '../support/chaos.js';
import { runReplay } from '../../src/scenario/replay-ref.js';
import { settings } from './settings.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario, type RunReport } from '../../src/scenario/runner.js';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';
import { plannedNodes } from '../../src/scenario/topology.js';
import type { SpanRecord } from '../../src/sim/telemetry/index.js';
import type { NodeVariant } from '../../src/mesh/config.js';

/**
 * The failure text, after writing the shrunk layout where the replay command names it, and its
 * chaos decoded as a schedule file beside it (`layoutScheduleOf`).
 */
function layoutFailure(result: LayoutPropertyResult, saveDir: string | undefined): string {
  const c = result.counterexample;
  if (c === null) return 'property held';
  const dir = saveDir ?? tmpdir();
  mkdirSync(dir, { recursive: true });
  const name = `random-layout-${result.seed}`;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(c.file, null, 2)}\n`);
  const schedule = layoutScheduleOf(result, `${name}.json`);
  const schedulePath = join(dir, `${name}.schedule.json`);
  if (schedule !== null) writeFileSync(schedulePath, formatScheduleFile(schedule));
  const scheduleReplay = schedule === null ? undefined : replayLine({ kind: 'schedule-replay', schedule: schedulePath, ...(result.variant === undefined ? {} : { foundVariant: true }) });
  return formatLayoutFailure(result, replayLine(runReplay(file, c.seed, undefined, c.chaos)), scheduleReplay);
}

describe('random layouts under random chaos', () => {
  it('every run passes', () => {
    const env = settings({ numRuns: 6, seed: 11 });
    const small = env.full ? {} : { meshesMax: 2, perRoleMax: 4, chaosMax: 8 };
    const result = checkLayouts({ ...env, ...small });
    // MESHSIM_PROP_SPLITS=1 (long searches): the runs let through as the overlay's own splits.
    if (result.splits.length > 0) console.log(`${result.splits.length} run(s) red only on overlay splits:\n${result.splits.join('\n')}`);
    expect(result.ok, layoutFailure(result, env.saveDir)).toBe(true);
  });

  it('draws what the schedule properties do not: no observer, the protocol profile, a role alone on its mesh, the peer cache', () => {
    const cases = fc.sample(layoutCaseArb(), { numRuns: 200, seed: 5 });
    type Topology = { meshes: { roles: Record<string, number> }[]; observer: boolean };
    const topologies = cases.map((c) => c.file.topology as Topology);
    expect(topologies.some((t) => !t.observer)).toBe(true);
    expect(cases.some((c) => c.file.profile === 'protocol')).toBe(true);
    expect(topologies.some((t) => t.meshes.some((m) => Object.values(m.roles).reduce((a, b) => a + b, 0) === 1))).toBe(true);
    expect(cases.some((c) => c.file.network !== undefined)).toBe(true);
    // The peer cache on some full-profile layouts and off on others; never asked of the
    // protocol profile, which refuses it.
    const cached = (c: (typeof cases)[number]): boolean => (c.file.node as { substrate?: { rejoinFromPeerCache?: boolean } } | undefined)?.substrate?.rejoinFromPeerCache === true;
    expect(cases.filter((c) => c.file.profile === 'full' && cached(c)).length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.file.profile === 'full' && !cached(c)).length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.file.profile === 'protocol' && cached(c))).toEqual([]);
  });

  it('draws node and network settings only when asked, after the layout, so a seed keeps its layout', () => {
    const plain = fc.sample(layoutCaseArb(), { numRuns: 100, seed: 9 });
    const withSettings = fc.sample(layoutCaseArb({ settings: true }), { numRuns: 100, seed: 9 });
    const layout = ({ file: { node: _node, network: _network, ...rest }, ...c }: (typeof plain)[number]) => ({ ...c, ...rest });
    expect(withSettings.map(layout)).toEqual(plain.map(layout));
    // Without the option nothing but the peer-cache switch and the lossy network is drawn.
    const sections = (c: (typeof plain)[number]) => Object.entries((c.file.node ?? {}) as Record<string, Record<string, unknown>>).flatMap(([k, v]) => Object.keys(v).map((f) => `${k}.${f}`));
    expect(new Set(plain.flatMap(sections))).toEqual(new Set(['substrate.rejoinFromPeerCache']));
    expect(new Set(plain.flatMap((c) => Object.keys(c.file.network ?? {})))).toEqual(new Set(['lossPct', 'latencyMs', 'jitterMs']));
    // With it, fields of every section, each at its default on some cases; the keep-alive half
    // the idle timeout; every file one `meshsim run --scenario` takes.
    const drawn = new Set(withSettings.flatMap(sections));
    for (const field of ['hyparview.activeViewCapacity', 'plumtree.graftTimeout1Ms', 'substrate.stalenessTtlMs']) {
      expect(drawn).toContain(field);
      expect(withSettings.some((c) => !sections(c).includes(field))).toBe(true);
    }
    const networks = withSettings.map((c) => (c.file.network ?? {}) as { idleTimeoutMs?: number; keepAliveMs?: number; deadPeer?: string });
    expect(networks.filter((n) => n.idleTimeoutMs !== undefined).length).toBeGreaterThan(10);
    for (const n of networks) expect(n.keepAliveMs).toBe(n.idleTimeoutMs === undefined ? undefined : n.idleTimeoutMs / 2);
    expect(new Set(networks.map((n) => n.deadPeer))).toEqual(new Set([undefined, 'reset', 'close']));
    for (const c of withSettings) expect(parseScenarioJson(c.file).ok).toBe(true);
  });

  it('small layouts under chaos with drawn settings pass', () => {
    const result = checkLayouts({ numRuns: 3, seed: 21, settings: true, meshesMax: 2, perRoleMax: 2, chaosMax: 4 });
    expect(result.ok, layoutFailure(result, undefined)).toBe(true);
  });

  it('canary: finds a node that never rejoins through its seeds and shrinks it to a small mesh without the observer; the correct node passes that case', () => {
    // Fixed budget (not the environment's): the canary shows what the CI budget finds.
    const variant = { disableSeedRejoin: true } as const;
    const result = checkLayouts({ numRuns: 6, seed: 11, meshesMax: 2, perRoleMax: 4, chaosMax: 8, variant });
    const c = result.counterexample;
    const text = c === null ? 'property held' : formatLayoutFailure(result, 'npx meshsim run --scenario <file>');
    expect(result.ok, 'the broken node was not found within the CI budget').toBe(false);
    expect(result.error, text).toBeNull();
    expect(result.numShrinks, text).toBeGreaterThan(0);
    const topology = c!.file.topology as { meshes: { roles: Record<string, number> }[]; observer: boolean };
    expect(topology.observer, text).toBe(false);
    expect(topology.meshes, text).toHaveLength(1);
    expect(Object.values(topology.meshes[0].roles).reduce((a, b) => a + b, 0), text).toBeLessThanOrEqual(4);
    expect(result.report!.violations.map((v) => v.message).join('\n'), text).toMatch(/overlay is split/);
    const correct = runLayoutCase(c!);
    expect(correct.verdict, correct.violations.map((v) => v.message).join('\n')).toBe('pass');
    // So the printed replay, which runs the correct node, says it does not reproduce the failure.
    expect(result.variant).toEqual(variant);
    expect(text).toContain('  replay with the variant {"disableSeedRejoin":true} in code: runLayoutCase(counterexample, variant); npx meshsim run --scenario <file> runs the correct node');
    // Its chaos decoded as a schedule on the saved layout: the broken node's trace byte for
    // byte with found.variant, and a pass with the correct node, as the file expects.
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-layout-'));
    try {
      writeFileSync(join(dir, 'layout.json'), JSON.stringify(c!.file));
      const schedule = layoutScheduleOf(result, 'layout.json')!;
      expect([schedule.expect, schedule.found?.variant, schedule.schedule.length]).toEqual(['pass', variant, chaosLog(result.report!).length]);
      writeFileSync(join(dir, 'layout.schedule.json'), formatScheduleFile(schedule));
      const loaded = loadScheduleFile(join(dir, 'layout.schedule.json'));
      if (!loaded.ok) return expect.unreachable(loaded.error);
      const broken = runScheduleFile(loaded.file, { base: loaded.base, variant });
      expect(broken.ok && broken.outcome.report.traceDigest).toBe(result.report!.traceDigest);
      const fixed = runScheduleFile(loaded.file, { base: loaded.base });
      expect(fixed.ok && fixed.outcome.report.verdict).toBe('pass');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(formatLayoutFailure(result, 'R', 'S')).toMatch(/\n {2}the same events, whatever later code draws: S$/);
  });

  it('refuses a variant switch that does not exist, and options outside their ranges', () => {
    // A misspelt switch made the broken node the correct one, and the property held.
    expect(() => checkLayouts({ numRuns: 1, seed: 1, variant: { nope: true } as never })).toThrow(/^variant\.nope is no node variant switch/);
    expect(() => checkLayouts({ numRuns: 1, seed: 1, meshesMax: 0 })).toThrow(/^meshesMax must be an integer in \[1, 4\], got 0$/);
    expect(() => checkLayouts({ numRuns: 1, seed: 4_294_967_296 })).toThrow(/^seed must be an integer in \[-2147483648, 2147483647\]/);
    expect(() => checkLayouts({ numRuns: 1, seed: 1, path: 'a:b' })).toThrow(/^path must be a fast-check path/);
  });

  // Two reds this property found, kept as cases: each was a bridge planned with one seed on a
  // mesh (SPEC §2.1), which lost that seed and its neighbours there and knew nobody else on the
  // mesh. Both were red until bridges knew a fallback seed beside it (two seeds a topic,
  // `fallbackSeeds` in scenario/topology.ts); each now passes, and shows the join through it.

  it('a survivor whose only contact and only seed a kill took before its first shuffle rejoins through its fallback seed', () => {
    // Protocol profile, two computes and two bridges, no observer, seed 98835, --chaos 20:
    // bridge-c5c5db0f joined mesh-a through compute-9898280f, also its one planned seed; a
    // kill_node took the compute at 37.5 s, before any shuffle could teach the bridge another
    // peer. It had no mesh-a neighbour until the compute came back (red: its probe deliveries).
    // Run without the protocol profile's stranded rejoin (it brings the other bridge onto mesh-a
    // first, and the fallback seed is never needed), so the case keeps its timeline.
    const { report, records, plans } = runLayout(
      {
        name: 'stranded-bridge',
        profile: 'protocol',
        topology: { meshes: [{ meshId: 'mesh-a', roles: { compute: 2 } }], bridges: 2, observer: false },
        bootSpacingMs: 50,
        durationMs: 120_000,
        healWindowMs: 60_000,
      },
      '98835',
      20,
      { disableStrandedRejoin: true },
    );
    const seed = plans.get('compute-9898280f')!;
    const killedAt = records.find((r) => r.name === 'chaos.primitive.applied' && r.attrs.name === 'kill_node' && r.attrs.targets === 'compute-9898280f')!.endMs;
    const seedBack = records.find((r) => r.name === 'mesh.node.ready' && r.node === 'compute-9898280f' && r.endMs > killedAt)!.endMs;
    const joins = records.filter((r) => r.name === 'mesh.gossip.join' && r.node === 'bridge-c5c5db0f' && r.attrs.topic === 'mesh-a' && r.endMs > killedAt);
    expect(joins[0].attrs.peerId).toBe(plans.get('compute-43aa5343'));
    expect(joins[0].attrs.peerId).not.toBe(seed);
    expect(joins[0].endMs).toBeLessThan(seedBack);
    expect(report.verdict, report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });

  it('a node whose every planned seed on a topic a partition_subset cut off keeps a path through its fallback seed', () => {
    // Layout 3876, full profile, seed 70820, --chaos 6: bridge-7e8667a3's one mesh-d neighbour
    // and its one mesh-d seed were among the three gateways the cut took; its link idled out,
    // its seed dials timed out until the repair, and its side's probes on mesh-d missed it (red).
    // Now the periodic seed check found it stranded (one neighbour, nobody to refill from) before
    // the cut and joined mesh-d through its fallback seed, a later bridge.
    const { report, records, plans } = runLayout(
      {
        name: 'stranded-by-the-cut',
        profile: 'full',
        topology: {
          meshes: [
            { meshId: 'mesh-a', roles: { compute: 2, registry: 8, broker: 11 } },
            { meshId: 'mesh-b', roles: { broker: 2 } },
            { meshId: 'mesh-c', roles: { gateway: 2, broker: 3 } },
            { meshId: 'mesh-d', roles: { gateway: 4 } },
          ],
          bridges: 3,
          observer: false,
        },
        bootSpacingMs: 50,
        durationMs: 150_000,
        healWindowMs: 60_000,
      },
      '70820',
      6,
    );
    const cutAt = records.find((r) => r.name === 'chaos.primitive.applied' && r.attrs.name === 'partition_subset')!;
    expect(String(cutAt.attrs.targets).split(',')).toContain('gateway-7c498aff'); // its one planned mesh-d seed
    const joins = records.filter((r) => r.name === 'mesh.gossip.join' && r.node === 'bridge-7e8667a3' && r.attrs.topic === 'mesh-d' && r.endMs < cutAt.endMs);
    expect(joins.map((r) => r.attrs.peerId)).toEqual([plans.get('gateway-7c498aff'), plans.get('bridge-525a380d')]);
    expect(report.verdict, report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });

  it('a node whose last live neighbour another event restarted is not owed a probe while it holds the old connection', () => {
    // Fast-check seed 6402 (MESHSIM_PROP_FULL=1), shrunk: a burst_kill at 20.5 s took two of
    // broker-51ffd4c4's three mesh-b neighbours, a restart_node took the third, broker-67923094,
    // at 32.0 s; back at 35.2 s, it rejoined through its own seed and never dialled the broker,
    // whose link ran on the old process's connection until it idled out at 60.0 s. The burst
    // kill's round owed the broker a probe it could not get until then (red: timed out at 67.5 s).
    const { report, records, plans } = runLayout(
      {
        name: 'random-layout',
        profile: 'full',
        bootSpacingMs: 0,
        durationMs: 150_000,
        healWindowMs: 30_000,
        topology: {
          meshes: [
            { meshId: 'mesh-a', roles: { gateway: 2, broker: 3 } },
            { meshId: 'mesh-b', roles: { gateway: 1, compute: 1, registry: 1, broker: 2 } },
            { meshId: 'mesh-c', roles: { gateway: 1, compute: 2, registry: 1, broker: 1 } },
          ],
          bridges: 0,
          observer: false,
        },
      },
      '99797',
      21,
    );
    const restarted = records.find((r) => r.name === 'chaos.primitive.applied' && r.attrs.name === 'restart_node')!;
    expect(restarted.attrs.targets).toBe('broker-67923094');
    const peer = plans.get('broker-67923094');
    const lost = records.find((r) => r.name === 'mesh.gossip.neighbor_down' && r.node === 'broker-51ffd4c4' && r.attrs.peerId === peer)!;
    expect([lost.attrs.reason, lost.endMs > restarted.endMs + 25_000]).toEqual(['idle-timeout', true]);
    expect(records.some((r) => r.name === 'mesh.peer.connected' && r.node === 'broker-51ffd4c4' && r.attrs.peerId === peer && r.endMs > restarted.endMs && r.endMs < lost.endMs)).toBe(false);
    const burst = records.find((r) => r.name === 'chaos.primitive.detected' && r.attrs.name === 'burst_kill')!;
    expect(burst.attrs.result).toBe('passed');
    expect(report.verdict, report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });
});

/** A layout case run as `runLayoutCase` runs it, with its spans and its nodes' ids by name. */
function runLayout(file: Record<string, unknown>, seed: string, chaos: number, variant?: NodeVariant): { report: RunReport; records: readonly SpanRecord[]; plans: Map<string, string> } {
  const parsed = parseScenarioJson(file);
  if (!parsed.ok) throw new Error(parsed.error);
  const scenario = variant === undefined ? parsed.scenario : { ...parsed.scenario, variantOf: () => variant };
  const { report, cluster } = runScenario(withChaos(scenario, { random: { count: chaos } }), seed);
  const plans = new Map(plannedNodes(parsed.scenario.topology, seed).map((p) => [p.name, p.nodeId]));
  return { report, records: cluster.telemetry.records, plans };
}
