/**
 * The CLI never hides a result or hangs on bad input. Goal: an output file that cannot be
 * written costs the file, not the verdict (exit 3 after the verdict and replay command); a
 * schedule with --scenario is refused; replay's exit code follows its printed expectation;
 * frame decode reads files and stdin with the real reader's limits; chaos summaries name
 * skipped events; battery --json carries trace digests.
 * Method: run the built CLI on short runs (gossip-swarm-forms, a few virtual seconds).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../src/cli/duration.js';
import { cli, expectUsageError, requireBuiltCli, ROOT } from './support/cli.js';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'meshsim-cli-robust-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED_FILE = 'seeds/clock-skew-sender-wall-clock-pruner.json';

/** A Shuffle frame with `n` ids (tag 0x06), as bytes. */
function shuffleFrame(n: number): Buffer {
  const id = Buffer.alloc(32, 1);
  const leb = (v: number): Buffer => {
    const out: number[] = [];
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      out.push(b);
    } while (v !== 0);
    return Buffer.from(out);
  };
  const payload = Buffer.concat([id, id, leb(1), leb(n), ...new Array<Buffer>(n).fill(id)]);
  return Buffer.concat([Buffer.from([0x06]), leb(payload.length), payload]);
}

describe('outputs', () => {
  it.skipIf(!existsSync('/dev/full'))('a report that cannot be written: verdict and replay still printed, one error line, exit 3', async () => {
    const r = await cli('run', '--scenario', 'default', '--seed', '1', '--duration', '5s', '--report', '/dev/full');
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/^verdict: pass$/m);
    expect(r.stdout).toMatch(/^replay: npx meshsim run --scenario default --seed 1 --duration 5000ms$/m);
    expect(r.stderr).toBe('meshsim: --report: cannot write /dev/full: ENOSPC: no space left on device\n');
  });

  it('a sweep report too large to hold is refused before the run', async () => {
    expectUsageError(await cli('sweep', '--scenario', 'kill-node', '--seeds', '1..200000', '--report', join(dir, 'sweep.html')), /--report holds at most 100000 seeds \(this sweep has 200000; split it with --shard\)/);
  });

  it('an output directory that does not exist is refused before the run', async () => {
    expectUsageError(await cli('run', '--seed', '1', '--otlp', join(dir, 'nope', 'trace.json')), /--otlp: directory .* does not exist/);
  });

  it('an output that is a directory, or a link to one, is refused before the run', async () => {
    // 51bb305 took a directory for a device written in place: the run went on and exited 3.
    const linked = join(dir, 'to-a-dir');
    symlinkSync(dir, linked);
    for (const [option, path] of [['--report', dir], ['--otlp', `${dir}/`], ['--report', linked]]) {
      expectUsageError(await cli('run', '--seed', '1', '--duration', '5s', option, path), new RegExp(`^meshsim: ${option}: ".*" is a directory$`));
    }
  });

  it('an output that is an input file, or the other output, is refused before the run, and the input kept', async () => {
    // `--otlp` over the scenario file wrote the trace there, and the printed replay then failed on it.
    const scenario = join(dir, 'tiny.json');
    const text = JSON.stringify({ name: 'tiny', topology: { meshes: [{ meshId: 'm', roles: { gateway: 3 } }] }, durationMs: 3000 });
    writeFileSync(scenario, text);
    const alias = join(dir, 'alias.json');
    symlinkSync(scenario, alias);
    expectUsageError(await cli('run', '--scenario', scenario, '--seed', '1', '--otlp', scenario), /^meshsim: --otlp: ".*tiny\.json" is the scenario file, which the run would overwrite$/);
    expectUsageError(await cli('sweep', '--scenario', scenario, '--seeds', '1..2', '--report', alias), /^meshsim: --report: ".*alias\.json" is the scenario file/);
    expectUsageError(await cli('replay', SEED_FILE, '--report', SEED_FILE), /^meshsim: --report: ".*" is the schedule file/);
    const same = join(dir, 'same.out');
    expectUsageError(await cli('run', '--seed', '1', '--report', same, '--otlp', same), /^meshsim: --report: ".*same\.out" is the --otlp file/);
    expect(readFileSync(scenario, 'utf8')).toBe(text);
    expect(existsSync(same)).toBe(false);
  });
});

describe('stdout, help and the exit code of a failed run', () => {
  it.skipIf(!existsSync('/dev/full'))('stdout that cannot be written: one line, exit 3, no stack trace, for every command', () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['run', '--seed', '1', '--duration', '1s'], ['list'], ['frame', 'decode', '1103010203'], ['replay', SEED_FILE, '--json']]) {
        const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'meshsim.js'), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(r.stderr, args.join(' ')).toBe('meshsim: cannot write to stdout: ENOSPC: no space left on device\n');
      }
    } finally {
      closeSync(full);
    }
  });

  it('help asked for exits 0; a missing or unknown command is one line, exit 2', async () => {
    for (const args of [['help'], ['help', 'run'], ['run', '--help']]) {
      const r = await cli(...args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: meshsim/);
      expect(r.stderr).toBe('');
    }
    for (const args of [[], ['frame'], ['help', 'nosuch']]) expectUsageError(await cli(...args), /^meshsim: a command is missing or unknown: `meshsim help` lists them/);
  });

  it.skipIf(!existsSync('/dev/full'))('a failed run whose report cannot be written exits 1, not 3: the failure is the news', async () => {
    // A Plumtree message limit of one byte: every digest is refused, the run fails.
    const scenario = join(dir, 'maxmsg1.json');
    writeFileSync(scenario, JSON.stringify({ name: 'maxmsg1', topology: { meshes: [{ meshId: 'm', roles: { gateway: 3 } }] }, durationMs: 3000, node: { plumtree: { maxMessageSizeBytes: 1 } } }));
    const r = await cli('run', '--scenario', scenario, '--seed', '1', '--report', '/dev/full');
    expect(r.stdout).toMatch(/^verdict: FAIL/m);
    expect(r.stderr).toBe('meshsim: --report: cannot write /dev/full: ENOSPC: no space left on device\n');
    expect(r.status).toBe(1);
  });

  it('--duration takes hours, up to the 24 h its error names', async () => {
    expect(parseDuration('2h')).toEqual({ ok: true, ms: 7_200_000 });
    expect(parseDuration('1.5h')).toEqual({ ok: true, ms: 5_400_000 });
    expect(parseDuration('24h')).toEqual({ ok: true, ms: 86_400_000 });
    expectUsageError(await cli('run', '--seed', '1', '--duration', '25h'), /^meshsim: --duration: duration "25h" exceeds the maximum of 24 h$/);
  });
});

describe('run and replay', () => {
  it('refuses --scenario with --schedule, even --scenario default', async () => {
    expectUsageError(await cli('run', '--schedule', SEED_FILE, '--scenario', 'default'), /--scenario cannot be combined with --schedule/);
  });

  it('refuses a scenario file with a key given twice, naming the key', async () => {
    const file = join(dir, 'twice.json');
    writeFileSync(file, '{"name": "twice", "durationMs": 5000, "topology": {"meshes": [{"meshId": "mesh-a", "roles": {"gateway": 3}}], "bridges": 0}, "durationMs": 600000}');
    expectUsageError(await cli('run', '--scenario', file, '--seed', '1'), /^meshsim: .*twice\.json: key "durationMs" appears twice in one object \(at character \d+\); JSON would keep only the last$/);
  });

  it('refuses a main phase longer than --trace-level trace can hold in memory', async () => {
    expectUsageError(await cli('run', '--seed', '1', '--duration', '180m', '--trace-level', 'trace'), /--trace-level trace records every message: at most 2 h of main phase/);
  });

  it('--found-variant: the printed expectation and the exit code agree', async () => {
    const r = await cli('replay', SEED_FILE, '--found-variant');
    expect(r.stdout).toMatch(/^verdict: FAIL/m);
    expect(r.stdout).toMatch(/^expect: fail \(matches\)$/m);
    expect(r.status).toBe(0);
  });

  it('the text summary says how many chaos events were skipped', async () => {
    const r = await cli('run', '--scenario', 'gossip-swarm-forms', '--seed', '2', '--duration', '20s', '--chaos', '200');
    expect(r.stdout).toMatch(/^chaos events \(\d+: \d+ passed, \d+ not passed, \d+ skipped \(no fitting target when due\)\)$/m);
  });

  it('battery --json carries each run\'s trace digest', async () => {
    const r = await cli('battery', '--scenarios', 'gossip-swarm-forms', '--duration', '5s', '--json');
    const out = JSON.parse(r.stdout) as { cells: { traceDigest: string }[] };
    expect(out.cells).toHaveLength(1);
    expect(out.cells[0].traceDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('frame decode from files and stdin', () => {
  it('judges a control frame with the control-frame limit, from raw bytes or hex on stdin', async () => {
    const raw = join(dir, 'shuffle.bin');
    writeFileSync(raw, shuffleFrame(2_000));
    const r = await cli('frame', 'decode', '--file', raw, '--raw');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'Oversize', max: 4167 } });
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'meshsim.js'), 'frame', 'decode', '--file', '-'], { input: shuffleFrame(3).toString('hex'), encoding: 'utf8' });
    expect(JSON.parse(out)).toMatchObject({ ok: true, kind: 'control', message: { type: 'Shuffle' } });
  });

  it('takes the largest echo frame from a file, and refuses input larger than any frame', async () => {
    const big = join(dir, 'echo.hex');
    writeFileSync(big, Buffer.concat([Buffer.from([0x11, 0x80, 0x80, 0x04]), Buffer.alloc(65_536)]).toString('hex'));
    const r = await cli('frame', 'decode', '--file', big);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, kind: 'echo', payloadBytes: 65_536 });
    if (existsSync('/dev/zero')) expectUsageError(await cli('frame', 'decode', '--file', '/dev/zero', '--raw'), /\/dev\/zero is larger than the largest frame/);
    expectUsageError(await cli('frame', 'decode', '--file', big, '--raw', 'ab'), /either as a hex argument or with --file/);
  });
});
