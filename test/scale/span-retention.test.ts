/**
 * Which spans a run keeps in memory. Goal: per-pair and per-message spans are kept up to a
 * budget (the full profile makes them grow as nodes² × time), none above 1,000 nodes, all of
 * them when chaos detectors will query them (above 1,000 nodes, all but the deliveries of
 * probes no detector sent); every other span is always kept; and a CLI run
 * that writes a report or OTLP file says how many spans it leaves out. Method: the retention
 * rule fed span names directly, and the CLI's output writer given a real outcome.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findScenario } from '../../src/catalog/registry.js';
import { writeRunOutputs } from '../../src/cli/report-output.js';
import { runScenario, spanRetention } from '../../src/scenario/runner.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { chaosLog } from '../support/chaos.js';
import { scenarioOf } from '../support/scenario-file.js';

const small = findScenario('default')!;
const big: Scenario = { ...small, topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 1_001]] }], bridges: 0, observer: false } };

describe('span retention', () => {
  it('keeps per-pair and per-message spans up to the budget, and every other span', () => {
    const keep = spanRetention({ ...small, extensions: [] }, 3)!;
    expect(keep).not.toBeNull();
    const perPair = Array.from({ length: 5 }, () => keep('mesh.plumtree.prune', {}));
    expect(perPair).toEqual([true, true, true, false, false]);
    expect(keep('mesh.probe.delivered', {}), 'the budget is shared by every per-pair name').toBe(false);
    expect(keep('mesh.node.ready', {})).toBe(true);
    expect(keep('mesh.digest.learned', {})).toBe(true);
  });

  it('keeps none of them above 1,000 nodes, and everything when extensions will query spans', () => {
    const keep = spanRetention(big, 3)!;
    expect(keep('mesh.peer.connected', {})).toBe(false);
    expect(keep('mesh.node.ready', {})).toBe(true);
    expect(spanRetention(findScenario('kill-node')!, 3), 'a chaos scenario keeps everything').toBeNull();
  });

  it('keeps every span but the deliveries of probes no detector sent, with extensions above 1,000 nodes', () => {
    const keep = spanRetention({ ...big, extensions: findScenario('kill-node')!.extensions }, 3, (id) => id === 'probe-2')!;
    expect(keep('mesh.probe.delivered', { probeId: 'probe-1' })).toBe(false);
    expect(keep('mesh.probe.delivered', { probeId: 'probe-2' })).toBe(true);
    expect(Array.from({ length: 5 }, () => keep('mesh.peer.connected', {}))).toEqual([true, true, true, true, true]);
    expect(keep('mesh.probe.sent', { probeId: 'probe-1' })).toBe(true);
  });

  it('counts per run: a second run starts with the whole budget again', () => {
    const first = spanRetention({ ...small, extensions: [] }, 1)!;
    expect([first('mesh.plumtree.graft', {}), first('mesh.plumtree.graft', {})]).toEqual([true, false]);
    const second = spanRetention({ ...small, extensions: [] }, 1)!;
    expect(second('mesh.plumtree.graft', {})).toBe(true);
  });
});

describe('a CLI run that writes outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshsim-retention-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const outcome = runScenario(small, '1', { durationMs: 5_000 });

  it('says how many spans its files leave out when some were not kept', () => {
    const dropped = { ...outcome, report: { ...outcome.report, spansNotRetained: 1234 } };
    const written = writeRunOutputs(dropped, { otlpPath: join(dir, 'a.json') }, { replay: 'x', description: '' });
    expect(written.errors).toEqual([]);
    expect(written.notes.some((n) => n.startsWith('1234 per-pair and per-message spans were not kept'))).toBe(true);
  });

  it('says nothing of the kind when every span was kept', () => {
    expect(outcome.report.spansNotRetained).toBe(0);
    const written = writeRunOutputs(outcome, { otlpPath: join(dir, 'b.json') }, { replay: 'x', description: '' });
    expect(written.notes).toHaveLength(1);
    expect(written.notes[0]).toMatch(/^otlp: /);
  });
});

describe('a chaos run above 1,000 nodes', () => {
  // One mesh of 1,001 gateways, five workload broadcasts and two random chaos events.
  const scenario = withChaos(
    scenarioOf({
      name: 'retention-1001',
      profile: 'protocol',
      bootSpacingMs: 1,
      durationMs: 40_000,
      healWindowMs: 30_000,
      probeIntervalMs: 0,
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1_001 } }], bridges: 0, observer: false },
      workload: [{ kind: 'broadcast', sender: 'random', fromMs: 3_000, everyMs: 1_000, count: 5 }],
    }),
    { random: { count: 2 } },
  );

  it('keeps the deliveries of the probes its detectors sent, not those of the broadcasts that reach every node', () => {
    const { report, cluster } = runScenario(scenario, '1');
    const log = chaosLog(report);
    expect(log.map((e) => e.verdict)).toEqual(['passed', 'passed']);
    expect(report.verdict).toBe('pass');
    const kept = cluster.telemetry.records.filter((r) => r.name === 'mesh.probe.delivered');
    // Every delivery was counted (and hashed); those not kept are the run's only spans left out.
    expect(kept.length + report.spansNotRetained).toBe(report.spansByName['mesh.probe.delivered']);
    const sentAt = new Map(cluster.telemetry.records.filter((r) => r.name === 'mesh.probe.sent').map((r) => [String(r.attrs.probeId), r.endMs]));
    const workloadIds = [...sentAt].filter(([, at]) => at >= 3_000 && at <= 7_000 && at % 1_000 === 0).map(([id]) => id);
    expect(workloadIds).toHaveLength(5);
    // The five broadcasts reached the 1,001 nodes; none of those deliveries is in memory.
    expect(report.spansNotRetained).toBeGreaterThanOrEqual(5 * 1_000);
    expect(kept.filter((r) => workloadIds.includes(String(r.attrs.probeId)))).toEqual([]);
    // The detectors' probes' deliveries are, and they read them back.
    expect(new Set(kept.map((r) => r.attrs.probeId)).size).toBeGreaterThan(0);
  });
});
