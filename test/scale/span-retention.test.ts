/**
 * Which spans a run keeps in memory. Goal: per-pair and per-message spans are kept up to a
 * budget (the full profile makes them grow as nodes² × time), none above 1,000 nodes, all of
 * them when chaos detectors will query them; every other span is always kept; and a CLI run
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

const small = findScenario('default')!;
const big: Scenario = { ...small, topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 1_001]] }], bridges: 0, observer: false } };

describe('span retention', () => {
  it('keeps per-pair and per-message spans up to the budget, and every other span', () => {
    const keep = spanRetention({ ...small, extensions: [] }, 3)!;
    expect(keep).not.toBeNull();
    const perPair = Array.from({ length: 5 }, () => keep('mesh.plumtree.prune'));
    expect(perPair).toEqual([true, true, true, false, false]);
    expect(keep('mesh.probe.delivered'), 'the budget is shared by every per-pair name').toBe(false);
    expect(keep('mesh.node.ready')).toBe(true);
    expect(keep('mesh.digest.learned')).toBe(true);
  });

  it('keeps none of them above 1,000 nodes, and everything when extensions will query spans', () => {
    const keep = spanRetention(big, 3)!;
    expect(keep('mesh.peer.connected')).toBe(false);
    expect(keep('mesh.node.ready')).toBe(true);
    expect(spanRetention(findScenario('kill-node')!, 3), 'a chaos scenario keeps everything').toBeNull();
  });

  it('counts per run: a second run starts with the whole budget again', () => {
    const first = spanRetention({ ...small, extensions: [] }, 1)!;
    expect([first('mesh.plumtree.graft'), first('mesh.plumtree.graft')]).toEqual([true, false]);
    const second = spanRetention({ ...small, extensions: [] }, 1)!;
    expect(second('mesh.plumtree.graft')).toBe(true);
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
