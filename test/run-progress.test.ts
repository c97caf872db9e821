/**
 * Run progress (long runs at scale). Goal: the runner reports progress about once per virtual
 * second in both phases without changing the run (same trace digest and event count with and
 * without a listener), and the CLI's line reads as intended and stays silent off a terminal.
 * Method: the default scenario for a short main phase, run twice.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import { formatRunProgress, runProgressLine } from '../src/cli/run-progress.js';
import { runScenario, type RunProgress } from '../src/scenario/runner.js';

describe('run progress', () => {
  it('is reported in both phases, in order, and does not change the run', () => {
    const scenario = findScenario('default')!;
    const seen: RunProgress[] = [];
    const a = runScenario(scenario, '3', { durationMs: 8_000, onProgress: (p) => seen.push(p) }).report;
    const b = runScenario(scenario, '3', { durationMs: 8_000 }).report;
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(a.events).toBe(b.events);
    expect(seen.filter((p) => p.phase === 'main').map((p) => p.virtualMs)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(seen.some((p) => p.phase === 'heal')).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i].virtualMs).toBeGreaterThanOrEqual(seen[i - 1].virtualMs);
  });

  it('the CLI line says where the run is, and nothing is drawn off a terminal', () => {
    expect(formatRunProgress({ phase: 'main', virtualMs: 42_000, mainEndMs: 174_000, events: 1_234_567 }, 30_400)).toBe('running: main phase 42/174 s virtual, 1.23 M events, 30 s wall');
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    (out as unknown as PassThrough).on('data', (d) => (written += String(d)));
    const line = runProgressLine(out, false);
    expect(line.onProgress).toBeUndefined();
    line.end();
    expect(written).toBe('');
  });
});
