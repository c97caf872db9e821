/**
 * Schedule files (seeds/*.json, `meshsim run --schedule`, `meshsim replay`). Goal: a malformed
 * file is ONE line naming the file and the problem (exit 2 from the CLI, never a stack trace);
 * a well-formed hand-written schedule runs, and its replay command points back at the file.
 * Method: the validator on a table of broken files, then the built CLI on a few of them and
 * on a hand-written one-event schedule.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plannedNodes } from '../src/property/decode.js';
import { runScheduleFile, scheduleScenario } from '../src/property/replay.js';
import { chaosReportOf } from '../src/primitives/engine.js';
import { formatRunText } from '../src/cli/format.js';
import { formatScheduleFile, loadScheduleFile, parseScheduleJson, type ScheduleFile } from '../src/property/schedule.js';
import { nodeCount, standardMesh } from '../src/scenario/topology.js';
import { cli } from './support/cli.js';

let dir: string;

const TOPOLOGY = { meshes: [standardMesh('mesh-a', 1)], bridges: 0 };
const victim = plannedNodes(TOPOLOGY, '5').find((p) => p.role === 'broker')!.name;
const GOOD: ScheduleFile = {
  version: 1,
  name: 'hand-written',
  seed: '5',
  scenario: 'default',
  topology: TOPOLOGY,
  schedule: [{ atMs: 20_000, primitive: 'kill_node', targets: [victim], params: {} }],
  expect: 'pass',
};
const good = (): Record<string, unknown> => JSON.parse(formatScheduleFile(GOOD)) as Record<string, unknown>;
/** A scenario file a schedule names as its base (written under the temp dir's layouts/). */
const SIX_GATEWAYS = { name: 'six-gateways', profile: 'protocol', topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 6 } }], bridges: 0, observer: false }, durationMs: 60_000, healWindowMs: 30_000 };
const sixVictim = plannedNodes({ meshes: [{ meshId: 'mesh-a', roles: [['gateway', 6]] }], bridges: 0, observer: false }, '5')[2].name;
const onSix = { version: 1, name: 'on-six', seed: '5', scenario: 'layouts/six.json', schedule: [{ atMs: 20_000, primitive: 'kill_node', targets: [sixVictim] }], expect: 'pass' };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshsim-schedule-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('schedule file validation', () => {
  it('accepts the formatted file and reads back the same schedule', () => {
    const parsed = parseScheduleJson(good());
    expect(parsed.ok && parsed.file).toEqual(GOOD);
  });

  const broken: [string, (f: Record<string, unknown>) => unknown, RegExp][] = [
    ['wrong version', (f) => ({ ...f, version: 2 }), /version must be 1/],
    ['unknown field', (f) => ({ ...f, sceanrio: 'x' }), /unknown field sceanrio/],
    ['missing schedule', (f) => ({ ...f, schedule: undefined }), /schedule must be an array/],
    ['unknown primitive', (f) => ({ ...f, schedule: [{ atMs: 1, primitive: 'melt_node', targets: ['a'], params: {} }] }), /schedule\[0\]\.primitive must be one of/],
    ['negative time', (f) => ({ ...f, schedule: [{ atMs: -5, primitive: 'kill_node', targets: ['a'] }] }), /schedule\[0\]\.atMs must be an integer/],
    ['no targets', (f) => ({ ...f, schedule: [{ atMs: 5, primitive: 'kill_node', targets: [] }] }), /schedule\[0\]\.targets must be a non-empty array/],
    ['bad param', (f) => ({ ...f, schedule: [{ atMs: 5, primitive: 'wedge_node', targets: ['a'], params: { durationMs: { y: 1 } } }] }), /schedule\[0\]\.params\.durationMs must be an integer/],
    ['unknown param', (f) => ({ ...f, schedule: [{ atMs: 5, primitive: 'kill_node', targets: ['a'], params: { x: 1 } }] }), /unknown field schedule\[0\]\.params\.x for kill_node/],
    ['bad expect', (f) => ({ ...f, expect: 'maybe' }), /expect must be "pass" or "fail"/],
    ['bad seed', (f) => ({ ...f, seed: 'abc' }), /seed "abc" has an invalid form/],
    ['unknown variant switch', (f) => ({ ...f, variant: { breakEverything: true } }), /unknown field variant\.breakEverything/],
    ['reserved mesh id', (f) => ({ ...f, topology: { meshes: [{ meshId: 'admin', roles: { gateway: 1 } }] } }), /meshId "admin" is reserved/],
    ['topology beside a scenario file', (f) => ({ ...f, scenario: 'layouts/six.json' }), /topology cannot replace a scenario file's: give it in that file/],
    ['more nodes than a scenario file may have', (f) => ({ ...f, topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1_000_000 } }] } }), /topology has 1000001 nodes, more than 1000000/],
  ];

  it.each(broken)('%s: one line naming the file and the problem', (_label, mutate, pattern) => {
    const path = write('broken.json', JSON.stringify(mutate(good())));
    const loaded = loadScheduleFile(path);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.error.startsWith(`${path}: `)).toBe(true);
    expect(loaded.error).not.toContain('\n');
    expect(loaded.error).toMatch(pattern);
  });

  it('a counterexample found with any node variant switch loads back with it', () => {
    // A canary search saves the broken variant under found.variant (property/check.ts); every
    // switch NodeVariant has must load, not only the ones a saved seed happens to use.
    const every = { omitHello: true, dropDigestsBelowSeenSeq: true, keepEveryConnectionAlive: true, closeUsedConnections: true, redialLostPeers: true, disableOneSidedRepair: true, keepUnusedConnections: true };
    const parsed = parseScheduleJson({ ...good(), found: { variant: every, note: 'found with the broken node' } });
    expect(parsed.ok && parsed.file.found?.variant).toEqual(every);
    const replayAs = parseScheduleJson({ ...good(), variant: { dropDigestsBelowSeenSeq: true } });
    expect(replayAs.ok && replayAs.file.variant).toEqual({ dropDigestsBelowSeenSeq: true });
  });

  it('a registry scenario takes a topology of any size a scenario file may have (not 500 at most)', () => {
    const parsed = parseScheduleJson({ ...good(), schedule: [], topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 600 } }] } });
    expect(parsed.ok && nodeCount(parsed.file.topology!)).toBe(601); // and the observer
  });

  it('a scenario file as base is read with the schedule, from the schedule file’s directory', () => {
    mkdirSync(join(dir, 'layouts'), { recursive: true });
    writeFileSync(join(dir, 'layouts', 'six.json'), JSON.stringify(SIX_GATEWAYS));
    const path = write('on-a-file.json', JSON.stringify(onSix));
    const loaded = loadScheduleFile(path);
    if (!loaded.ok) return expect.unreachable(loaded.error);
    expect(loaded.file.scenario).toBe('layouts/six.json');
    expect(loaded.base).toMatchObject({ name: 'six-gateways', profile: 'protocol', durationMs: 60_000, topology: { observer: false } });
    // Built on it: the file's topology and main phase, stretched to cover the kill.
    const built = scheduleScenario(loaded.file, { base: loaded.base });
    if (!built.ok) return expect.unreachable(built.error);
    expect([nodeCount(built.scenario.topology), built.scenario.profile, built.scenario.durationMs]).toEqual([6, 'protocol', 20_000 + 60_000]);
    // A primitive whose evidence the file's profile lacks is refused before the run, naming the
    // entry (it threw from the engine, a stack trace and exit 1 in meshsim replay).
    const firewall = scheduleScenario({ ...loaded.file, schedule: [{ atMs: 20_000, primitive: 'firewall_inbound', targets: [sixVictim], params: { durationMs: 45_000 } }] }, { base: loaded.base });
    expect(!firewall.ok && firewall.error).toMatch(/^schedule\[0\]\.primitive: firewall_inbound cannot be judged in the protocol profile of "layouts\/six\.json": /);
    // parseScheduleJson reads no file: without its base, the build says what to do.
    const bare = scheduleScenario(loaded.file);
    expect(!bare.ok && bare.error).toBe('scenario "layouts/six.json" is a scenario file: read it with the schedule (loadScheduleFile) and pass it as base');
    // The base file's own problems are one line naming both files.
    writeFileSync(join(dir, 'layouts', 'bad.json'), JSON.stringify({ name: 'bad' }));
    const bad = loadScheduleFile(write('on-a-bad-file.json', JSON.stringify({ ...onSix, scenario: 'layouts/bad.json' })));
    expect(!bad.ok && bad.error).toBe(`${join(dir, 'on-a-bad-file.json')}: scenario: ${join(dir, 'layouts', 'bad.json')}: topology must be an object`);
    // A long value the base file quotes is cut to about 80 characters, as the schedule's own are.
    writeFileSync(join(dir, 'layouts', 'long.json'), JSON.stringify({ name: 'n'.repeat(300) }));
    const long = loadScheduleFile(write('on-a-long-name.json', JSON.stringify({ ...onSix, scenario: 'layouts/long.json' })));
    expect(!long.ok && long.error).toBe(`${join(dir, 'on-a-long-name.json')}: scenario: ${join(dir, 'layouts', 'long.json')}: name "${'n'.repeat(77)}…" must be 1-64 characters of letters, digits, '.', '_' or '-'`);
    const missing = loadScheduleFile(write('on-no-file.json', JSON.stringify({ ...onSix, scenario: 'layouts/none.json' })));
    expect(!missing.ok && missing.error).toBe(`${join(dir, 'on-no-file.json')}: scenario: ${join(dir, 'layouts', 'none.json')}: cannot read scenario file (ENOENT)`);
  });

  it('invalid JSON and a missing file are one line too', () => {
    const bad = loadScheduleFile(write('bad.json', '{ "version": 1,\n  oops }'));
    expect(!bad.ok && bad.error).toMatch(/bad\.json: invalid JSON: /);
    expect(!bad.ok && bad.error).not.toContain('\n');
    const missing = loadScheduleFile(join(dir, 'nope.json'));
    expect(!missing.ok && missing.error).toMatch(/nope\.json: cannot read schedule file \(ENOENT\)/);
  });
});

describe('meshsim replay / run --schedule', () => {
  it('a malformed file is exit 2 with one line naming the file', async () => {
    const path = write('cli-broken.json', JSON.stringify({ ...good(), expect: 'sometimes' }));
    const unknownNode = write('cli-unknown-node.json', JSON.stringify({ ...good(), schedule: [{ atMs: 20_000, primitive: 'kill_node', targets: ['gateway-00000000'], params: {} }] }));
    for (const args of [['replay', path], ['run', '--schedule', path], ['replay', unknownNode], ['run', '--schedule', path, '--seed', '3']]) {
      const r = await cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^meshsim: /);
      if (args.length === 2) expect(lines[0]).toContain(args[1]);
    }
  });

  it('runs a hand-written schedule; the replay command points at the file', async () => {
    const path = write('hand.json', formatScheduleFile(GOOD));
    const [run, replay] = await Promise.all([cli('run', '--schedule', path, '--json'), cli('replay', path, '--json')]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(replay.status, replay.stdout + replay.stderr).toBe(0);
    const a = JSON.parse(run.stdout) as Record<string, unknown>;
    const b = JSON.parse(replay.stdout) as Record<string, unknown>;
    expect(a.replay).toBe(`npx meshsim run --schedule ${path}`);
    expect(b.replay).toBe(`npx meshsim replay ${path}`);
    expect(b).toMatchObject({ verdict: 'pass', expect: 'pass', matchesExpect: true });
    expect(a.traceDigest).toBe(b.traceDigest);
    const log = (a.chaos as { log: { primitive: string; targets: string[]; verdict: string }[] }).log;
    expect(log).toEqual([expect.objectContaining({ primitive: 'kill_node', targets: [victim], verdict: 'passed' })]);
  });

  it('runs a schedule over a scenario file, from any directory, on the file’s nodes and profile', async () => {
    mkdirSync(join(dir, 'layouts'), { recursive: true });
    writeFileSync(join(dir, 'layouts', 'six.json'), JSON.stringify(SIX_GATEWAYS));
    const path = write('cli-on-a-file.json', JSON.stringify(onSix));
    const [run, replay] = await Promise.all([cli('run', '--schedule', path, '--json'), cli('replay', path, '--json')]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(replay.status, replay.stdout + replay.stderr).toBe(0);
    const a = JSON.parse(run.stdout) as { traceDigest: string; nodes: { total: number }; chaos: { log: { primitive: string; targets: string[]; verdict: string }[] } };
    const b = JSON.parse(replay.stdout) as { traceDigest: string; matchesExpect: boolean };
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(b.matchesExpect).toBe(true);
    expect(a.nodes.total).toBe(6);
    expect(a.chaos.log).toEqual([expect.objectContaining({ primitive: 'kill_node', targets: [sixVictim], verdict: 'passed' })]);
  });

  it('skips a scheduled event whose target another event left down, and names both', () => {
    // A kill at 20 s, and a burst at 22 s that names the dead node again: applied, the burst
    // failed when the kill's revert revived its victim ("came back before the mesh was seen to
    // notice"), a red of the schedule's making. The same burst once the kill has passed and
    // been reverted is applied.
    const others = plannedNodes({ meshes: [{ meshId: 'mesh-a', roles: [['gateway', 6]] }], bridges: 0, observer: false }, '5').filter((p) => p.name !== sixVictim).map((p) => p.name);
    const burst = (atMs: number) => ({ atMs, primitive: 'burst_kill', targets: [sixVictim, others[0], others[1]], params: { count: 3 } });
    mkdirSync(join(dir, 'layouts'), { recursive: true });
    writeFileSync(join(dir, 'layouts', 'six.json'), JSON.stringify(SIX_GATEWAYS));
    const replayOf = (burstAtMs: number) => {
      const loaded = loadScheduleFile(write(`overlap-${burstAtMs}.json`, JSON.stringify({ ...onSix, schedule: [...onSix.schedule, burst(burstAtMs)] })));
      if (!loaded.ok) throw new Error(loaded.error);
      const run = runScheduleFile(loaded.file, { base: loaded.base! });
      if (!run.ok) throw new Error(run.error);
      return run.outcome.report;
    };
    const report = replayOf(22_000);
    const chaos = chaosReportOf(report)!;
    expect(report.verdict).toBe('pass');
    expect(chaos.log.map((e) => [e.primitive, e.verdict])).toEqual([['kill_node', 'passed']]);
    expect(chaos.skipped).toBe(1);
    expect(chaos.skippedScheduled).toEqual([{ atMs: 22_000, primitive: 'burst_kill', targets: burst(22_000).targets, reason: `${sixVictim} was down (under #1 kill_node)` }]);
    expect(formatRunText({ report, description: 'six', wallMs: 1, replay: 'replay' })).toContain(`  skipped at 22.000 s: burst_kill on ${burst(22_000).targets.join(', ')}: ${sixVictim} was down (under #1 kill_node)`);
    const later = replayOf(chaos.log[0].revertedAtMs! + 1_000);
    expect(chaosReportOf(later)!.log.map((e) => [e.primitive, e.verdict])).toEqual([['kill_node', 'passed'], ['burst_kill', 'passed']]);
  });

  it('meshsim run --chaos N adds N random primitives and keeps them in the replay command', async () => {
    const r = await cli('run', '--scenario', 'gossip-swarm-forms', '--seed', '3', '--chaos', '2', '--json');
    const out = JSON.parse(r.stdout) as { replay: string; chaos: { events: number; skipped: number } };
    expect(out.replay).toBe('npx meshsim run --scenario gossip-swarm-forms --seed 3 --chaos 2');
    expect(out.chaos.events + out.chaos.skipped).toBe(2);
    const bad = await cli('run', '--chaos', 'x');
    expect(bad.status).toBe(2);
  });
});
