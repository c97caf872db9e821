/**
 * CLI contract tests. Goal: `meshsim` behaves as documented for users and scripts — one JSON
 * object with `--json`, the seed printed first when picked, exit codes 0/1/2, one-line usage
 * errors without stack traces, scenario files validated by field, frames decoded as JSON.
 * Method: spawn the BUILT cli (`node bin/meshsim.js`, compiled by `npm test` / `npm run build`)
 * as a user would, with short durations except for the required default run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectUsageError, requireBuiltCli } from './support/cli.js';

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'meshsim-cli-'));
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('meshsim run', async () => {
  it('--seed 42 --json on the default scenario prints one JSON object, passes, and repeats its trace digest', async () => {
    const first = await cli('run', '--seed', '42', '--json');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout.trimEnd().split('\n')).toHaveLength(1);
    const report = JSON.parse(first.stdout) as Record<string, unknown>;
    for (const field of ['seed', 'scenario', 'virtualMs', 'wallMs', 'events', 'spans', 'traceDigest', 'verdict']) {
      expect(report).toHaveProperty(field);
    }
    expect(report).toMatchObject({ seed: '42', scenario: 'default', verdict: 'pass' });
    expect(report.traceDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(report.virtualMs).toBeGreaterThanOrEqual(60_000);
    expect(report.replay).toBe('npx meshsim run --scenario default --seed 42');

    const second = JSON.parse((await cli('run', '--seed', '42', '--json')).stdout) as Record<string, unknown>;
    expect(second.traceDigest).toBe(report.traceDigest);
    expect(second.events).toBe(report.events);
  });

  it('without --seed picks one and prints it first, then the summary with the replay command', async () => {
    const r = await cli('run', '--duration', '3s');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const seed = /^seed: (\d+)$/.exec(lines[0]!)?.[1];
    expect(seed).toBeDefined();
    expect(r.stdout).toMatch(/verdict: pass/);
    expect(r.stdout).toMatch(/active view size per topic/);
    expect(r.stdout).toContain(`replay: npx meshsim run --scenario default --seed ${seed} --duration 3000ms`);
  });

  it('--progress is taken, stays out of stdout and of the replay command, and a run under 10 s writes no line', async () => {
    const r = await cli('run', '--seed', '5', '--duration', '2s', '--progress');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/verdict: pass/);
    expect(r.stdout).toContain('replay: npx meshsim run --scenario default --seed 5 --duration 2000ms\n');
  });

  it('an unknown scenario is bad usage that points to `meshsim list`', async () => {
    expectUsageError(await cli('run', '--scenario', 'nope', '--seed', '1'), /nope.*meshsim list/);
  });

  it('a malformed --duration or --seed is bad usage', async () => {
    const cases: [string[], RegExp][] = [
      [['--duration', 'soon'], /--duration/],
      [['--duration', '5x'], /--duration/],
      [['--duration', '0'], /--duration/],
      [['--seed', '-1'], /--seed/],
      [['--trace-level', 'loud'], /trace-level/],
      [['--no-such-option'], /unknown option/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli('run', ...args)));
    results.forEach((r, i) => expectUsageError(r, cases[i]![1]));
  });

  it('a malformed scenario file is bad usage naming the file and the field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', topology: { meshes: [{ meshId: 'm', roles: { gateway: 1.5 } }] } }));
    expectUsageError(await cli('run', '--scenario', bad), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: topology\\.meshes\\[0\\]\\.roles\\.gateway must be a non-negative integer`));

    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ "name": ');
    expectUsageError(await cli('run', '--scenario', notJson), /broken\.json: invalid JSON/);

    const typo = join(dir, 'typo.json');
    writeFileSync(typo, JSON.stringify({ name: 't', durationMS: 5, topology: { meshes: [{ meshId: 'm', roles: { gateway: 1 } }] } }));
    expectUsageError(await cli('run', '--scenario', typo), /typo\.json: unknown field durationMS/);

    expectUsageError(await cli('run', '--scenario', join(dir, 'missing.json')), /missing\.json: cannot read/);
  });

  it('a valid scenario file runs and replays by its path', async () => {
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify({ name: 'tiny', durationMs: 4000, topology: { meshes: [{ meshId: 'm1', roles: { gateway: 2, broker: 1 } }] } }));
    const r = await cli('run', '--scenario', file, '--seed', '7', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ seed: '7', scenario: 'tiny', verdict: 'pass', nodes: { total: 4 } });
    expect(report.replay).toBe(`npx meshsim run --scenario ${file} --seed 7`);
  });

  it('a failed run exits 1 and prints each violation and the replay command', async () => {
    // A 1 ms heal window cannot be enough for the final probes to reach everyone.
    const file = join(dir, 'no-heal.json');
    writeFileSync(file, JSON.stringify({ name: 'no-heal', durationMs: 3000, healWindowMs: 1, topology: { meshes: [{ meshId: 'm1', roles: { gateway: 3 } }] } }));
    const r = await cli('run', '--scenario', file, '--seed', '3');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/verdict: FAIL/);
    expect(r.stdout).toMatch(/^ {2}liveness: /m);
    expect(r.stdout).toContain(`replay: npx meshsim run --scenario ${file} --seed 3`);
  });
});

describe.concurrent('meshsim frame decode', async () => {
  it('prints a valid frame as one JSON line and exits 0', async () => {
    const r = await cli('frame', 'decode', '1103010203');
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, tag: '0x11', kind: 'echo', payloadBytes: 3, payloadHex: '010203' });
  });

  it('prints the error value of a bad frame and exits 1', async () => {
    const r = await cli('frame', 'decode', '00');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'UnknownTag', tag: 0 } });
  });

  it('rejects text that is not hex as bad usage', async () => {
    const [notHex, odd] = await Promise.all([cli('frame', 'decode', 'zz'), cli('frame', 'decode', '110')]);
    expectUsageError(notHex, /not hex/);
    expectUsageError(odd, /odd number/);
  });
});

describe.concurrent('meshsim list', async () => {
  it('lists the registered scenarios, default first', async () => {
    const r = await cli('list');
    expect(r.status).toBe(0);
    const names = r.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)[0]);
    expect(names[0]).toBe('default');
    expect(names).toContain('gossip-swarm-forms');
  });

  it('an unknown command is bad usage', async () => {
    expectUsageError(await cli('lst'), /unknown command/);
  });
});
