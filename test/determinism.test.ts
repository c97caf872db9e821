/**
 * Determinism (SPEC §1, §3): a run is a pure function of (seed, scenario, code).
 * Goal: the same seed run twice in one process, and once in a fresh child process, gives the
 * same trace digest (and the same report); a different seed gives a different digest; the same
 * holds with TRACE-level spans recorded.
 * Method: run the default scenario for 20 s of virtual time (plus its heal phase) in-process
 * from the TypeScript sources, and in a child `node` from the built modules in dist/ (which
 * `npm test` builds first; rebuilt here when a source file is newer, so the child never runs
 * stale code).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import { runScenario, type RunReport } from '../src/scenario/runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CHILD = join(ROOT, 'test', 'support', 'determinism-child.mjs');
const BUILT_RUNNER = join(DIST, 'src', 'scenario', 'runner.js');
const SEED = '7';
const DURATION_MS = 20_000;

interface ChildResult {
  readonly traceDigest: string;
  readonly spans: number;
  readonly events: number;
  readonly virtualMs: number;
  readonly verdict: string;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtimeMs(path) : name.endsWith('.ts') ? st.mtimeMs : 0);
  }
  return newest;
}

/** Build dist/ when it is missing or older than the sources (a partial build still emits). */
function ensureBuilt(): void {
  if (existsSync(BUILT_RUNNER) && statSync(BUILT_RUNNER).mtimeMs >= newestMtimeMs(join(ROOT, 'src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(BUILT_RUNNER)) throw new Error(`build produced no ${BUILT_RUNNER}:\n${build.stdout}${build.stderr}`);
}

function runChild(seed: string, traceLevel: 'info' | 'trace'): ChildResult {
  const child = spawnSync(process.execPath, [CHILD, DIST, 'default', seed, String(DURATION_MS), traceLevel], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`child exited ${child.status}:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim()) as ChildResult;
}

function run(seed: string, traceLevel: 'info' | 'trace' = 'info'): RunReport {
  return runScenario(findScenario('default')!, seed, { durationMs: DURATION_MS, traceLevel }).report;
}

describe('determinism', () => {
  let first: RunReport;
  beforeAll(() => {
    ensureBuilt();
    first = run(SEED);
  });

  it('the same seed twice in one process gives the same trace digest and report', () => {
    const second = run(SEED);
    expect(first.verdict, JSON.stringify(first.violations)).toBe('pass');
    expect(first.spans).toBeGreaterThan(100);
    expect(second.traceDigest).toBe(first.traceDigest);
    expect(second).toEqual(first);
  });

  it('the same seed in a child process (built code, fresh heap) gives the same trace digest', () => {
    const child = runChild(SEED, 'info');
    expect(child).toEqual({
      traceDigest: first.traceDigest,
      spans: first.spans,
      events: first.events,
      virtualMs: first.virtualMs,
      verdict: first.verdict,
    });
  });

  it('a different seed gives a different trace digest', () => {
    const other = run('8');
    expect(other.traceDigest).not.toBe(first.traceDigest);
    expect(other.traceDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('with TRACE spans recorded, the same seed twice gives the same (different, larger) trace', () => {
    const a = run(SEED, 'trace');
    const b = run(SEED, 'trace');
    expect(b.traceDigest).toBe(a.traceDigest);
    expect(b.spans).toBe(a.spans);
    expect(a.spans).toBeGreaterThan(first.spans);
    expect(a.traceDigest).not.toBe(first.traceDigest);
    // Recording more spans must not change what the simulation does.
    expect(a.events).toBe(first.events);
  });
});
