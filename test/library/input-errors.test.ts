/**
 * Bad input to the library fails clearly and at once (SPEC §10.6; README "Library"). Goal: every
 * front door — `run`, `withChaos`, `specOf`/`primitiveByName`, `runApp`, the property checks —
 * throws a MeshsimInputError (ChaosConfigError and AppRunError are kinds of it) with one line
 * naming the field, before anything runs: never a TypeError from deep inside, an
 * AssertionError, a run that checked nothing, or Node ending on a full heap. Found by auditing
 * the packed package as a new user: each case below did one of those before.
 * Method: call the exports as a user's JavaScript would (casts stand for untyped callers).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import {
  AppRunError, ChaosConfigError, MeshsimInputError, findScenario, implementedPrimitives, runScenario, primitiveByName, run, runApp, specOf, withChaos, type ChaosConfig, type NodeApp, type RunInput, type Scenario,
} from '../../src/api/index.js';
import { checkChaos, checkLayouts, formatScheduleFile, parseScheduleJson, runScheduleFile, seedFileOf } from '../../src/api/property.js';
import { propertyEnv } from '../../src/property/env.js';
import { parseScenarioJson, scenarioProblem } from '../../src/scenario/scenario-json.js';
import { Cluster } from '../../src/scenario/cluster.js';
import { allScenarios } from '../../src/catalog/registry.js';

const DEFAULT = findScenario('default')!;
/** What an untyped caller may pass. */
const loose = <T>(value: unknown): T => value as T;

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('nothing was thrown');
}

describe('run', () => {
  it.each([
    ['no input', undefined, /^run takes one object \{ seed, scenario\?, durationMs\?, traceLevel\?, chaos\? \}, got undefined$/],
    ['a field it does not have', { seed: 1, sede: 3 }, /^"sede" is no field of run's input/],
    ['a null scenario', { seed: 1, scenario: null }, /^scenario must be a registered name, a scenario-file object or a Scenario, got null/],
    ['an unknown trace level', { seed: 1, traceLevel: 'debug' }, /^traceLevel must be "info" or "trace", got "debug"$/],
  ])('%s', (_label, input, message) => {
    const e = thrown(() => run(loose<RunInput>(input)));
    expect(e).toBeInstanceOf(MeshsimInputError);
    expect(e.message).toMatch(message);
  });

  it('refuses a run this machine cannot hold before it starts, as the CLI does (999,999 nodes ended Node on a full heap)', () => {
    const file = { name: 'big', profile: 'protocol', topology: { meshes: [{ meshId: 'm', roles: { gateway: 999_999 } }], observer: false }, bootSpacingMs: 0 };
    const e = thrown(() => run({ seed: 1, scenario: file }));
    expect(e).toBeInstanceOf(MeshsimInputError);
    expect(e.message).toMatch(/^999999 nodes in the protocol profile need at least [\d.]+ GB of memory; this machine has/);
  });

  it('checks a Scenario built in code against the ranges a file is held to', () => {
    for (const [scenario, message] of [
      [{ ...DEFAULT, durationMs: -1 }, /^durationMs must be an integer in \[1, 86400000\]$/],
      [{ ...DEFAULT, link: { latencyMs: -5 } }, /^link\.latencyMs must be an integer in \[0, 600000\]$/],
      [{ ...DEFAULT, network: { keepAliveMs: 0 } }, /^network\.keepAliveMs must be an integer/],
      [{ ...DEFAULT, topology: { ...DEFAULT.topology, meshes: [] } }, /^topology\.meshes must be a non-empty array/],
    ] as const) {
      const e = thrown(() => run({ seed: 1, scenario: scenario as Scenario }));
      expect(e, message.source).toBeInstanceOf(MeshsimInputError);
      expect(e.message).toMatch(message);
    }
    for (const s of allScenarios()) expect(scenarioProblem(s), s.name).toBeNull();
    // runScenario, exported too, holds its Scenario to the same ranges.
    expect(() => runScenario({ ...DEFAULT, durationMs: -1 }, '1')).toThrow(new MeshsimInputError('durationMs must be an integer in [1, 86400000]'));
    expect(() => runScenario(loose(undefined), '1')).toThrow(/^runScenario takes a Scenario/);
  });

  it('refuses a workload sender that names no node of the run, or one off the entry\'s mesh (every broadcast was skipped, and the run passed)', () => {
    const file = (sender: string, meshId?: string) => ({
      name: 'snd',
      topology: { meshes: [{ meshId: 'm', roles: { gateway: 3 } }, { meshId: 'n', roles: { gateway: 2 } }] },
      durationMs: 5_000,
      workload: [{ kind: 'broadcast', sender, fromMs: 4_000, ...(meshId === undefined ? {} : { meshId }) }],
    });
    expect(() => run({ seed: 1, scenario: file('nobody') })).toThrow(/^workload\[0\]\.sender: no node named "nobody" in this run \(names carry a hash drawn from the seed, e\.g\. "gateway-[0-9a-f]{8}" with this seed\)$/);
    // A real name of seed 1's run: on the wrong mesh it is refused, on its own it sends.
    const parsed = parseScenarioJson(file('x'));
    if (!parsed.ok) throw new Error(parsed.error);
    const onM = new Cluster({ seed: '1', topology: parsed.scenario.topology }).plans.find((p) => p.role === 'gateway' && p.meshIds.includes('m'))!.name;
    expect(() => run({ seed: 1, scenario: file(onM, 'n') })).toThrow(new RegExp(`^workload\\[0\\]\\.sender: ${onM} is not on mesh "n" \\(it is on m\\)$`));
    const sent = run({ seed: 1, scenario: file(onM) });
    expect(sent.workload?.skippedBroadcasts).toBe(0);
    expect(sent.probes.sent).toBeGreaterThan(0);
  });

  it('cuts a huge value in its one-line message', () => {
    const e = thrown(() => run({ seed: 'x'.repeat(100_000) }));
    expect(e).toBeInstanceOf(MeshsimInputError);
    expect(e.message.length).toBeLessThan(200);
    expect(e.message).not.toMatch(/\n/);
  });
});

describe('chaos configs', () => {
  it.each([
    ['an unknown primitive', { events: [{ atMs: 1_000, primitive: 'melt' }] }, /^chaos\.events\[0\]\.primitive: unknown chaos primitive "melt" \(one of: kill_node, /],
    ['a fault that does not fit its primitive', { events: [{ atMs: 1_000, primitive: 'kill_node', fault: { targets: ['a', 'b'], params: {} } }] }, /^chaos\.events\[0\]\.fault\.targets: kill_node takes 1 target \(got 2\)$/],
    ['an override that is no parameter', { events: [{ atMs: 1_000, primitive: 'kill_node', overrides: { lossPct: 5 } }] }, /^chaos\.events\[0\]\.overrides\.lossPct is no parameter of kill_node/],
    ['a billion random events (the run ran out of memory)', { random: { count: 1e9 } }, /^chaos\.random\.count must be an integer in \[1, 1000\], got 1000000000$/],
    ['no random event', { random: { count: -1 } }, /^chaos\.random\.count must be an integer in \[1, 1000\], got -1$/],
    ['a soak every 0 ms (the run ran out of memory)', { soak: { pool: ['kill_node'], intervalMs: 0 } }, /^chaos\.soak\.intervalMs must be an integer in \[1000, /],
    ['a field a config does not have', { evnets: [] }, /^chaos\.evnets is no field of a chaos config/],
  ])('%s', (_label, config, message) => {
    const e = thrown(() => withChaos(DEFAULT, loose<ChaosConfig>(config)));
    expect(e).toBeInstanceOf(ChaosConfigError);
    expect(e).toBeInstanceOf(MeshsimInputError);
    expect(e.message).toMatch(message);
  });

  it('a soak of more events than a run may fire is refused when the run starts', () => {
    const soak = withChaos({ ...DEFAULT, durationMs: 86_400_000 }, { soak: { pool: ['kill_node'], intervalMs: 1_000 } });
    expect(() => run({ seed: 1, scenario: soak })).toThrow(/^the chaos soak would fire 86399 events \(one every 1000 ms\), more than 10000/);
  });

  it('specOf and primitiveByName name the 13 for a name that is none (they threw a TypeError or returned undefined)', () => {
    for (const f of [() => specOf(loose('melt')), () => primitiveByName(loose('melt'))]) {
      const e = thrown(f);
      expect(e).toBeInstanceOf(MeshsimInputError);
      expect(e.message).toMatch(/^unknown chaos primitive "melt" \(one of: kill_node, .*lossy_link\)$/);
    }
  });
});

describe('runApp', () => {
  const app = (): NodeApp => ({ onIncoming() {}, stop() {} });
  const cases: readonly (readonly [string, unknown, RegExp])[] = [
    ['no app', { seed: 1, nodes: 2, durationMs: 1_000 }, /^app must be a function/],
    ['an action without a function', { seed: 1, nodes: 2, durationMs: 1_000, app, actions: [{ atMs: 1, run: 5 }] }, /^actions\[0\]\.run must be a function/],
    ['an app that makes nothing', { seed: 1, nodes: 2, durationMs: 1_000, app: () => null }, /^app returned null for node-[0-9a-f]+, not a node application/],
    ['a misspelt field (its faults were left out)', { seed: 1, nodes: 2, durationMs: 1_000, app, fault: [] }, /^"fault" is no field of runApp's input/],
  ];
  it.each(cases)('%s', (_label, input, message) => {
    const e = thrown(() => runApp(loose<Parameters<typeof runApp>[0]>(input)));
    expect(e).toBeInstanceOf(AppRunError);
    expect(e).toBeInstanceOf(MeshsimInputError);
    expect(e.message).toMatch(message);
  });
});

describe('property checks', () => {
  it('refuse a run count below one (they held "after 0 runs", having checked nothing) and an unknown primitive', () => {
    const base = { name: 'x', pool: ['kill_node' as const], judge: 'mesh' as const, seed: 1 };
    expect(() => checkChaos({ ...base, numRuns: 0 })).toThrow(new MeshsimInputError('numRuns must be an integer in [1, 1000000], got 0'));
    expect(() => checkLayouts({ numRuns: -1, seed: 1 })).toThrow(new MeshsimInputError('numRuns must be an integer in [1, 1000000], got -1'));
    expect(() => checkLayouts({ numRuns: 1, seed: 1, settings: loose('yes') })).toThrow(new MeshsimInputError('settings must be true or false, got "yes"'));
    expect(() => checkChaos({ ...base, numRuns: 1, pool: loose(['melt']) })).toThrow(/^pool: unknown chaos primitive "melt"/);
    expect(() => checkChaos({ ...base, numRuns: 1, pool: [] })).toThrow(/^pool must be a non-empty array/);
  });

  it('refuse a misspelt variant switch (the broken node ran as the correct one), options the arbitraries clamped, and a seed past 32 bits', () => {
    const base = { name: 'x', pool: ['kill_node' as const], judge: 'mesh' as const, seed: 1, numRuns: 1 };
    expect(() => checkChaos({ ...base, variant: loose({ stalenesBySenderWallClock: true }) })).toThrow(/^variant\.stalenesBySenderWallClock is no node variant switch \(stalenessBySenderWallClock, /);
    expect(() => checkChaos({ ...base, endMs: 1_000 })).toThrow(new MeshsimInputError('endMs (1000) must not be before startMs (15000)'));
    expect(() => checkChaos({ ...base, overlap: loose('bogus') })).toThrow(/^overlap must be "per-node" or "none"/);
    expect(() => checkChaos({ ...base, meshesMax: 9 })).toThrow(/^meshesMax must be an integer in \[1, 3\], got 9$/);
    expect(() => checkChaos({ ...base, seed: 4_294_967_296 })).toThrow(/^seed must be an integer in \[-2147483648, 2147483647\] \(fast-check keeps 32 bits\)/);
  });

  it('MESHSIM_PROP_* values out of what the checks take name the variable', () => {
    const defaults = { numRuns: 5, seed: 1 };
    expect(() => propertyEnv(defaults, { MESHSIM_PROP_FULL: 'true' })).toThrow('MESHSIM_PROP_FULL must be 1 or 0 (got "true")');
    expect(() => propertyEnv(defaults, { MESHSIM_PROP_RUNS: '99999999999' })).toThrow(/^MESHSIM_PROP_RUNS must be an integer in \[1, 1000000\]/);
    expect(() => propertyEnv(defaults, { MESHSIM_PROP_SEED: '4294967296' })).toThrow(/^MESHSIM_PROP_SEED must be an integer in \[-2147483648, 2147483647\]/);
    expect(() => propertyEnv(defaults, { MESHSIM_PROP_SPLITS: 'yes' })).toThrow('MESHSIM_PROP_SPLITS must be 1 or 0 (got "yes")');
    expect(() => propertyEnv(defaults, { MESHSIM_PROP_SETTINGS: 'on' })).toThrow('MESHSIM_PROP_SETTINGS must be 1 or 0 (got "on")');
    expect(propertyEnv(defaults, { MESHSIM_PROP_FULL: '0', MESHSIM_PROP_SEED: '-2147483648' })).toEqual({ numRuns: 5, seed: -2147483648, full: false, passSplits: false, settings: false });
    expect(propertyEnv(defaults, { MESHSIM_PROP_SPLITS: '1' }).passSplits).toBe(true);
    expect(propertyEnv(defaults, { MESHSIM_PROP_SETTINGS: '1' }).settings).toBe(true);
  });

  it('a counterexample written with the exported formatScheduleFile is a schedule file the CLI reads back', () => {
    // The README's canary (test/property/broken-pruner.test.ts), as a library user would run it.
    const result = checkChaos({ name: 'canary', pool: implementedPrimitives(), overlap: 'none', judge: 'chaos', numRuns: 10, seed: 1, meshesMax: 2, perRoleMax: 1, bridgesMax: 1, endMs: 60_000, eventsMax: 8, variant: { stalenessBySenderWallClock: true } });
    expect(result.ok).toBe(false);
    const text = formatScheduleFile(seedFileOf(result, 'pass'));
    const parsed = parseScheduleJson(JSON.parse(text));
    expect(parsed.ok).toBe(true);
    // The object itself is not the file format (roles as [role, count] pairs).
    expect(parseScheduleJson(JSON.parse(JSON.stringify(result.counterexample))).ok).toBe(false);
    if (parsed.ok) expect(runScheduleFile(parsed.file, { variant: parsed.file.found?.variant }).ok).toBe(true);
  });
});

describe('the replay of a scenario given as an object', () => {
  // It read `npx meshsim run --scenario tiny --seed 7`, which the CLI refuses: no scenario is named tiny.
  it('a scenario-file object: the command that runs it once saved as <name>.json, with the same digest', () => {
    const tiny = { name: 'tiny', topology: { meshes: [{ meshId: 'm', roles: { gateway: 3 } }] }, durationMs: 3_000 };
    const r = run({ scenario: tiny, seed: 7 });
    expect(r.replay).toBe('npx meshsim run --scenario tiny.json --seed 7 (with the scenario object saved as tiny.json)');
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-replay-'));
    try {
      writeFileSync(join(dir, 'tiny.json'), JSON.stringify(tiny));
      const command = r.replay.replace(/ \(with .*\)$/, '').replace(/^npx meshsim /, '').split(' ');
      const cli = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'bin', 'meshsim.js'), ...command, '--json'], { cwd: dir, encoding: 'utf8' }));
      expect(cli.traceDigest).toBe(r.traceDigest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Scenario built in code: the run call, with what it was given; a registered one still replays by name', () => {
    const built = { ...DEFAULT, durationMs: 4_000 };
    expect(run({ scenario: built, seed: 7, durationMs: 3_000 }).replay).toBe('run({ scenario, seed: "7", durationMs: 3000 }) with the same Scenario "default" built in code (the CLI cannot name it)');
    expect(run({ scenario: DEFAULT, seed: 7, durationMs: 3_000 }).replay).toBe('npx meshsim run --scenario default --seed 7 --duration 3000ms');
  });
});
