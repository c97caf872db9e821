/**
 * Run progress (long runs at scale). Goal: the runner reports progress about once per virtual
 * second in both phases, and every PROGRESS_EVERY_EVENTS events inside a busy second, without
 * changing the run (same trace digest and event count with and without a listener); a listener
 * that throws stops the run; it counts the deliveries of the broadcasts sent so far (all of them
 * by the end, as the run's metrics count them); the CLI's line reads as intended, stays silent off a terminal, and with --progress is a plain
 * line every 10 s of wall time there.
 * Method: the default scenario for a short main phase, and burst-100, each run twice.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import { formatRunProgress, processProbe, progressMode, runProgressLine } from '../src/cli/run-progress.js';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import type { RunMetrics } from '../src/scenario/metrics.js';
import { PROGRESS_EVERY_EVENTS, runScenario, type RunProgress } from '../src/scenario/runner.js';

/** bench/scenarios/burst-100.json: 100 nodes boot for 10 virtual s, then all broadcast at once. */
function burst100() {
  const parsed = parseScenarioJson(JSON.parse(readFileSync(new URL('../bench/scenarios/burst-100.json', import.meta.url), 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

describe('run progress', () => {
  it('is reported in both phases, in order, and does not change the run', () => {
    const scenario = findScenario('default')!;
    const seen: RunProgress[] = [];
    const a = runScenario(scenario, '3', { durationMs: 8_000, onProgress: (p) => seen.push(p) }).report;
    const b = runScenario(scenario, '3', { durationMs: 8_000 }).report;
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(a.events).toBe(b.events);
    expect(seen.filter((p) => p.phase === 'main' && p.pace === 'second').map((p) => p.virtualMs)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(seen.some((p) => p.phase === 'heal')).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i].virtualMs).toBeGreaterThanOrEqual(seen[i - 1].virtualMs);
  });

  it('is also reported every PROGRESS_EVERY_EVENTS events, inside a virtual second that holds a burst', () => {
    const seen: RunProgress[] = [];
    const a = runScenario(burst100(), '1', { onProgress: (p) => seen.push(p) }).report;
    const b = runScenario(burst100(), '1').report;
    expect(a.traceDigest).toBe(b.traceDigest);
    const byEvents = seen.filter((p) => p.pace === 'events');
    expect(byEvents.length).toBe(Math.floor(a.events / PROGRESS_EVERY_EVENTS));
    byEvents.forEach((p, i) => expect(p.events).toBe((i + 1) * PROGRESS_EVERY_EVENTS));
    // The burst (every node broadcasts at 10,000 ms) is over before the next whole second: only
    // the calls paced by events see inside it.
    const inBurst = byEvents.filter((p) => p.virtualMs > 10_000 && p.virtualMs < 11_000);
    expect(inBurst.length).toBeGreaterThanOrEqual(2);
    expect(seen.filter((p) => p.pace === 'second' && p.virtualMs > 10_000 && p.virtualMs < 11_000)).toEqual([]);
    expect(inBurst.every((p) => p.phase === 'main')).toBe(true);
  });

  it("counts the deliveries of the broadcasts sent so far: none before the burst, part of them inside it, all the run's metrics count at its end", () => {
    const seen: RunProgress[] = [];
    const { report } = runScenario(burst100(), '1', { onProgress: (p) => seen.push(p) });
    const broadcasts = report.metrics.broadcasts;
    // The burst's 100 broadcasts, each to the 100 nodes, and the heal window's probe after them.
    expect(broadcasts.filter((b) => b.sentAtMs === 10_000 && b.expected === 100).length).toBe(100);
    const reached = broadcasts.reduce((sum, b) => sum + b.reached, 0);
    const expected = broadcasts.reduce((sum, b) => sum + b.expected, 0);
    expect(expected).toBeGreaterThanOrEqual(100 * 100);
    expect(seen.filter((p) => p.virtualMs < 10_000).every((p) => p.deliveries.expected === 0 && p.deliveries.reached === 0)).toBe(true);
    const inBurst = seen.filter((p) => p.virtualMs > 10_000 && p.virtualMs < 11_000);
    expect(inBurst.some((p) => p.deliveries.reached > 0 && p.deliveries.reached < p.deliveries.expected)).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].deliveries.reached).toBeGreaterThanOrEqual(seen[i - 1].deliveries.reached);
      expect(seen[i].deliveries.expected).toBeGreaterThanOrEqual(seen[i - 1].deliveries.expected);
    }
    expect(seen.at(-1)!.deliveries).toEqual({ reached, expected });
  });

  it('a listener that throws inside the burst stops the run there (how the CLI stops a heap that fills)', () => {
    const stop = new Error('stop');
    let stoppedAt: RunProgress | null = null;
    expect(() => runScenario(burst100(), '1', {
      onProgress: (p) => {
        if (p.pace === 'events' && p.virtualMs > 10_000) {
          stoppedAt = p;
          throw stop;
        }
      },
    })).toThrow(stop);
    expect(stoppedAt!.virtualMs).toBeLessThan(11_000);
  });

  it('the CLI line says where the run is, and nothing is drawn off a terminal unless asked', () => {
    const at = { phase: 'main', virtualMs: 42_000, mainEndMs: 174_000, events: 1_234_567, deliveries: { reached: 0, expected: 0 }, pace: 'second' } as const;
    expect(formatRunProgress(at, 30_400, 1.4 * 1024 ** 3)).toBe('running: main phase 42/174 s virtual, 1.23 M events, 30 s wall, 1.4 GB resident');
    expect(formatRunProgress({ ...at, deliveries: { reached: 4_321, expected: 10_000 } }, 30_400, 1.4 * 1024 ** 3)).toBe(
      'running: main phase 42/174 s virtual, 1.23 M events, 4321 of 10000 deliveries made (43 %), 30 s wall, 1.4 GB resident',
    );
    expect(formatRunProgress({ ...at, deliveries: { reached: 221_580, expected: 1_000_000 } }, 30_400, 1.4 * 1024 ** 3)).toBe(
      'running: main phase 42/174 s virtual, 1.23 M events, 0.22 M of 1.00 M deliveries made (22 %), 30 s wall, 1.4 GB resident',
    );
    expect(formatRunProgress({ ...at, deliveries: { reached: 99_999_999, expected: 100_000_000 } }, 30_400, 1.4 * 1024 ** 3)).toBe(
      'running: main phase 42/174 s virtual, 1.23 M events, 100.00 M of 100.00 M deliveries made (99 %), 30 s wall, 1.4 GB resident',
    );
    expect(formatRunProgress({ ...at, phase: 'heal', virtualMs: 181_000 }, 30_400, 312 * 1024 ** 2)).toBe('running: heal window at 181 s virtual, 1.23 M events, 30 s wall, 312 MB resident');
    // Once the heap watch has seen a full collection, the line says how much of the heap was live.
    expect(formatRunProgress(at, 30_400, 16.4 * 1024 ** 3, 9.3 * 1024 ** 3)).toBe(
      'running: main phase 42/174 s virtual, 1.23 M events, 30 s wall, 16.4 GB resident (9.3 GB live heap at the last full collection)',
    );
    // With the heap's size and the array buffers, the line says where the resident memory is.
    const memory = { heap: 12.04 * 1024 ** 3, heapUsed: 9.96 * 1024 ** 3, arrayBuffers: 1.1 * 1024 ** 3 };
    expect(formatRunProgress(at, 30_400, 16.4 * 1024 ** 3, 9.3 * 1024 ** 3, memory)).toBe(
      'running: main phase 42/174 s virtual, 1.23 M events, 30 s wall, 16.4 GB resident (heap 12.0 GB, 10.0 GB of it in use, 9.3 GB live at the last full collection; array buffers 1.1 GB)',
    );
    expect(formatRunProgress(at, 30_400, 400 * 1024 ** 2, null, { heap: 300 * 1024 ** 2, heapUsed: 120 * 1024 ** 2, arrayBuffers: 20 * 1024 ** 2 })).toBe(
      'running: main phase 42/174 s virtual, 1.23 M events, 30 s wall, 400 MB resident (heap 300 MB, 120 MB of it in use; array buffers 20 MB)',
    );
    const { out, written } = capture();
    const line = runProgressLine(out, 'off');
    expect(line.onProgress).toBeUndefined();
    line.end();
    expect(written()).toBe('');
    expect([progressMode(out, false), progressMode(out, true)]).toEqual(['off', 'lines']);
    expect(progressMode(Object.assign(capture().out, { isTTY: true }), false)).toBe('redraw');
  });

  it("this process's probe reads the heap V8 holds and the array buffers outside it", () => {
    const held = new Uint8Array(8 * 1024 * 1024);
    const memory = processProbe().memory!();
    expect(memory.heap).toBeGreaterThan(1024 * 1024);
    expect(memory.heap).toBeLessThan(process.memoryUsage.rss());
    expect(memory.heapUsed).toBeGreaterThan(0);
    expect(memory.heapUsed).toBeLessThanOrEqual(memory.heap);
    expect(memory.arrayBuffers).toBeGreaterThanOrEqual(held.byteLength);
  });

  it("the line reads the probe's memory when it has one", () => {
    const { out, written } = capture();
    let wallMs = 0;
    const line = runProgressLine(out, 'lines', { nowMs: () => wallMs, resident: () => 2 * 1024 ** 3, memory: () => ({ heap: 1.5 * 1024 ** 3, heapUsed: 1024 ** 3, arrayBuffers: 256 * 1024 ** 2 }) });
    for (wallMs = 0; wallMs <= 10_000; wallMs += 500) line.onProgress!({ phase: 'main', virtualMs: wallMs * 2, mainEndMs: 70_000, events: wallMs * 100, deliveries: { reached: 0, expected: 0 }, pace: 'events' });
    expect(written()).toBe('running: main phase 20/70 s virtual, 1.00 M events, 10 s wall, 2.0 GB resident (heap 1.5 GB, 1.0 GB of it in use; array buffers 256 MB)\n');
  });

  it('with --progress off a terminal, writes a plain line every 10 s of wall time and nothing at the end', () => {
    const { out, written } = capture();
    let wallMs = 0;
    // The heap watch has seen no full collection until 15 s of wall time, then one that left 1.2 GB.
    const line = runProgressLine(out, 'lines', { nowMs: () => wallMs, resident: () => 2 * 1024 ** 3, liveHeap: () => (wallMs < 15_000 ? null : 1.2 * 1024 ** 3) });
    for (wallMs = 0; wallMs <= 25_000; wallMs += 500) line.onProgress!({ phase: 'main', virtualMs: wallMs * 2, mainEndMs: 70_000, events: wallMs * 100, deliveries: { reached: 0, expected: 0 }, pace: 'events' });
    line.end();
    expect(written()).toBe(
      'running: main phase 20/70 s virtual, 1.00 M events, 10 s wall, 2.0 GB resident\n' +
        'running: main phase 40/70 s virtual, 2.00 M events, 20 s wall, 2.0 GB resident (1.2 GB live heap at the last full collection)\n',
    );
  });

  it('on a terminal, redraws one line in place after the first second, at most five times a second, and clears it', () => {
    const { out, written } = capture();
    let wallMs = 0;
    const line = runProgressLine(out, 'redraw', { nowMs: () => wallMs, resident: () => 5 * 1024 ** 2 });
    for (wallMs = 0; wallMs <= 1_400; wallMs += 100) line.onProgress!({ phase: 'main', virtualMs: 1_000, mainEndMs: 70_000, events: 7, deliveries: { reached: 0, expected: 0 }, pace: 'events' });
    line.end();
    const drawn = 'running: main phase 1/70 s virtual, 0.00 M events, ';
    const one = `\r${drawn}1 s wall, 5 MB resident\x1b[K`;
    expect(written()).toBe(`${one.repeat(3)}\r\x1b[K`); // at 1.0, 1.2 and 1.4 s
  });
});

function capture(): { out: NodeJS.WriteStream; written: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  return { out: stream as unknown as NodeJS.WriteStream, written: () => text };
}
