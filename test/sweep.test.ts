/**
 * Seed sweeps. Goal: shards split a range into disjoint slices that together are exactly the
 * range; a small sweep on two worker threads runs every seed once and reports in seed order;
 * and the determinism guard: a sample of seeds gives identical trace digests run twice, in
 * two workers, in one worker and in-process — a sweep's verdicts are the runs' verdicts.
 * Method: property test over ranges and shard counts; runSweep (piscina, the BUILT worker in
 * dist/, which `npm test` builds first) on the 4-node gossip-swarm-forms scenario; the CLI
 * for the sharded JSON output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import { runScenario } from '../src/scenario/runner.js';
import { runOrdered } from '../src/sweep/ordered-pool.js';
import { runSweep } from '../src/sweep/pool.js';
import { formatProgress } from '../src/sweep/progress.js';
import { parseSeedRange, parseShard, shardSeeds } from '../src/sweep/shard.js';
import { readJsonFile } from '../src/io/json-input.js';
import type { SweepLine } from '../src/sweep/worker.js';
import { cli } from './support/cli.js';

const SCENARIO = 'gossip-swarm-forms';

async function sweepLines(seeds: string[], workers: number): Promise<SweepLine[]> {
  const lines: SweepLine[] = [];
  const summary = await runSweep({ scenario: SCENARIO, seeds, workers, onLine: (l) => lines.push(l) });
  expect(summary.seeds).toBe(seeds.length);
  return lines;
}

describe('the ordered pool', () => {
  it('starts tasks in index order, so no late start holds back the results after it', async () => {
    // With four tasks per worker handed to the pool, one worker ran them 0 2 1 4 5 … 3, and
    // a sweep printed nothing from its fourth seed until its last had run.
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-order-'));
    const file = join(dir, 'order-worker.mjs');
    writeFileSync(file, 'let started = 0;\nexport default function (task) { const end = Date.now() + 20; while (Date.now() < end) {} return [task, started++]; }\n');
    try {
      const startedAs: number[] = [];
      const handedBack: number[] = [];
      await runOrdered<number, [number, number]>({ filename: file, workers: 1, count: 10, taskAt: (k) => k, onResult: ([task, started], index) => (handedBack.push(index), (startedAs[task] = started)) });
      expect(startedAs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(handedBack).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shards', () => {
  it('the n shards of a range are disjoint and cover it exactly', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.nat(300), fc.integer({ min: 1, max: 12 }), (from, length, n) => {
        const range = { from, to: from + length };
        const all = shardSeeds(range);
        const parts = Array.from({ length: n }, (_, i) => shardSeeds(range, { index: i + 1, count: n }));
        const union = parts.flat();
        expect(new Set(union).size).toBe(union.length);
        expect([...union].sort((a, b) => Number(a) - Number(b))).toEqual(all);
        expect(all).toHaveLength(length + 1);
      }),
    );
  });

  it('parses A..B and i/n, and rejects malformed ones with a message', () => {
    expect(parseSeedRange('1..200')).toEqual({ ok: true, value: { from: 1, to: 200 } });
    expect(parseShard('2/2')).toEqual({ ok: true, value: { index: 2, count: 2 } });
    for (const bad of ['1-200', '5..1', '..3', 'a..b', '']) expect(parseSeedRange(bad).ok, bad).toBe(false);
    // A well-formed range past 15 digits says what is wrong with it, not that it is malformed.
    expect(parseSeedRange('1000000000000000..1000000000000000')).toEqual({ ok: false, error: '--seeds 1000000000000000..1000000000000000: a range takes seeds of at most 15 digits' });
    expect(readJsonFile('  ', 'schedule file', 100)).toEqual({ ok: false, error: 'empty schedule file name' });
    for (const bad of ['0/2', '3/2', '1', '1/0', 'x/y']) expect(parseShard(bad).ok, bad).toBe(false);
  });

  it('formats a progress line', () => {
    expect(formatProgress(50, 200, 2, 30_000)).toBe('[######..................] 50/200  failed 2  100 seeds/min  eta 90s');
  });
});

describe('sweep on worker threads', () => {
  it('runs 4 seeds on 2 workers, once each, in seed order, all passing', async () => {
    const lines = await sweepLines(['1', '2', '3', '4'], 2);
    expect(lines.map((l) => l.seed)).toEqual(['1', '2', '3', '4']);
    for (const l of lines) {
      expect(l.verdict, l.violations.join('\n')).toBe('pass');
      expect(l.traceDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(l.replay).toEqual({ kind: 'run', scenario: SCENARIO, seed: l.seed });
    }
  });

  it('determinism guard: the same digests twice, across two workers, one worker and in-process', async () => {
    const sample = ['3', '11', '12', '40'];
    const first = await sweepLines(sample, 2);
    const second = await sweepLines(sample, 2);
    const single = await sweepLines(sample, 1);
    const scenario = findScenario(SCENARIO)!;
    const inProcess = sample.map((seed) => runScenario(scenario, seed).report.traceDigest);
    const digests = (ls: SweepLine[]) => ls.map((l) => l.traceDigest);
    expect(digests(second)).toEqual(digests(first));
    expect(digests(single)).toEqual(digests(first));
    expect(digests(first)).toEqual(inProcess);
    expect(new Set(digests(first)).size).toBe(sample.length);
  });

  it('meshsim sweep --shard 1/2 and 2/2 together give exactly the unsharded lines', async () => {
    const args = ['sweep', '--scenario', SCENARIO, '--seeds', '5..9', '--workers', '2', '--json'];
    const [all, a, b] = await Promise.all([cli(...args), cli(...args, '--shard', '1/2'), cli(...args, '--shard', '2/2')]);
    const parse = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of [all, a, b]) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    const seedLines = (out: string) => parse(out).filter((l) => l.type === 'seed');
    const key = (l: Record<string, unknown>) => `${l.seed}:${l.traceDigest}`;
    const merged = [...seedLines(a.stdout), ...seedLines(b.stdout)].map(key).sort();
    expect(merged).toEqual(seedLines(all.stdout).map(key).sort());
    expect(seedLines(a.stdout).map((l) => l.seed)).toEqual(['5', '7', '9']);
    expect(seedLines(all.stdout).map((l) => l.replay)).toEqual(['5', '6', '7', '8', '9'].map((seed) => `npx meshsim run --scenario ${SCENARIO} --seed ${seed}`));
    const summary = parse(all.stdout).at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', seeds: 5, passed: 5, failed: 0, failing: [] });
    expect(typeof summary.seedsPerMin).toBe('number');
  });

  it('meshsim sweep exits 1 and lists failing seeds with replay commands', async () => {
    // 1 s of main phase cannot form the swarm's 200 digests: every seed fails.
    const r = await cli('sweep', '--scenario', SCENARIO, '--seeds', '1..2', '--workers', '2', '--duration', '1s');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('passed: 0  failed: 2');
    expect(r.stdout).toContain(`npx meshsim run --scenario ${SCENARIO} --seed 2 --duration 1000ms`);
  });

  it('bad usage is one line and exit 2', async () => {
    for (const args of [['--seeds', '9..1'], ['--seeds', '1..2', '--shard', '3/2'], ['--seeds', '1..2', '--workers', '0']]) {
      const r = await cli('sweep', '--scenario', SCENARIO, ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^meshsim: /);
    }
  });
});

describe('a scenario file under chaos', () => {
  // Two meshes of 10 gateways joined by 2 bridges, the protocol profile: what a user sweeps to
  // find the seeds their own layout fails under chaos.
  const layout = {
    name: 'small-bridged',
    profile: 'protocol',
    topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 10 } }, { meshId: 'mesh-b', roles: { gateway: 10 } }], bridges: 2, observer: false },
    bootSpacingMs: 5,
    durationMs: 40_000,
    healWindowMs: 30_000,
  };
  let dir = '';
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshsim-sweep-'));
    file = join(dir, 'layout.json');
    writeFileSync(file, JSON.stringify(layout));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every seed is the run `meshsim run --scenario FILE --seed N --chaos K` gives, and says how to replay it', async () => {
    const sweep = await cli('sweep', '--scenario', file, '--seeds', '1..3', '--chaos', '2', '--workers', '2', '--json');
    expect(sweep.status, sweep.stderr).toBe(0);
    const lines = sweep.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const seeds = lines.filter((l) => l.type === 'seed');
    expect(seeds.map((l) => l.seed)).toEqual(['1', '2', '3']);
    const runs = await Promise.all(['1', '2', '3'].map((seed) => cli('run', '--scenario', file, '--seed', seed, '--chaos', '2', '--json')));
    for (const [i, r] of runs.entries()) {
      const report = JSON.parse(r.stdout) as { traceDigest: string; chaos: { events: number; skipped: number } };
      expect(seeds[i].traceDigest).toBe(report.traceDigest);
      expect(seeds[i].chaos).toMatchObject({ events: report.chaos.events, skipped: report.chaos.skipped });
      expect(report.chaos.events + report.chaos.skipped).toBe(2);
      expect(seeds[i].replay).toBe(`npx meshsim run --scenario ${file} --seed ${i + 1} --chaos 2`);
    }
    expect(lines.at(-1)).toMatchObject({ type: 'summary', scenario: file, chaos: 2, seeds: 3 });
  });

  it('a bad file or chaos count is one line and exit 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...layout, topology: { meshes: [] } }));
    for (const args of [['--scenario', bad], ['--scenario', join(dir, 'absent.json')], ['--scenario', file, '--chaos', '0']]) {
      const r = await cli('sweep', ...args, '--seeds', '1..2');
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^meshsim: /);
    }
  });
});

describe('output into a closed pipe', () => {
  it('a reader that stops early (| head -1) ends the sweep quietly: no stack trace on stderr', () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'meshsim.js');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" sweep --scenario gossip-swarm-forms --seeds 1..4 --workers 1 --json --duration 5s | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\{"type":"seed"/);
    expect(r.stderr).toBe('');
  });
});
