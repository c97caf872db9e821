/**
 * Bad input never crashes, hangs or hides. Goal: whatever a user feeds meshsim — a schedule
 * file, a scenario file, bytes that are not JSON, command-line arguments — it either runs to a
 * verdict or is refused with ONE line naming the problem, never a throw, a stack trace or an
 * unbounded run; and a structurally valid schedule with extreme parameters is either refused
 * by the primitive's spec or runs within the documented ceilings.
 * Method: fast-check mutates a valid schedule file and a valid scenario file at random paths
 * with hostile values (wrong types, huge and fractional numbers, long strings, deep nesting,
 * unknown keys) and feeds raw byte strings to the JSON reader — all in-process, with fixed seeds;
 * a small sample of generated argument vectors is run through the built CLI; extreme-parameter
 * schedules are validated in bulk and a few of them are run to a verdict.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/errors.js';
import { loadScenarioFile } from '../src/cli/scenario-file.js';
import { parseExperimentJson } from '../src/experiment/experiment-file.js';
import { parseJsonText, readJsonFile } from '../src/io/json-input.js';
import { plannedNodes } from '../src/property/decode.js';
import { DETECTION_ALLOWANCE_MS, runScheduleFile, scheduleDurationMs, scheduleScenario } from '../src/property/replay.js';
import { loadScheduleFile, SCHEDULE_TIME_MS_MAX } from '../src/property/schedule.js';
import { implementedPrimitives, specOf } from '../src/primitives/registry.js';
import { FAULT_LENGTH_MS_MAX } from '../src/primitives/schema.js';
import { findScenario } from '../src/catalog/registry.js';
import { OBSERVER_ROLE } from '../src/scenario/topology.js';
import { requireBuiltCli, ROOT, type CliResult } from './support/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshsim-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function write(content: string | Uint8Array): string {
  const path = join(dir, `in-${fileCount++}.json`);
  writeFileSync(path, content);
  return path;
}

/** A refusal: one line, readable length, no stack frame. */
function expectOneLine(error: string): void {
  expect(error).not.toContain('\n');
  expect(error.length).toBeLessThan(1_100);
  expect(error).not.toMatch(/\n\s+at /);
}

const TOPOLOGY = { meshes: [{ meshId: 'mesh-a', roles: { gateway: 2, broker: 1, compute: 1 } }], bridges: 0 };
const NODES = plannedNodes({ meshes: [{ meshId: 'mesh-a', roles: [['gateway', 2], ['broker', 1], ['compute', 1]] }], bridges: 0 }, '5').filter((p) => p.role !== OBSERVER_ROLE);
const GOOD_SCHEDULE = {
  version: 1,
  name: 'fuzz',
  seed: '5',
  scenario: 'default',
  topology: TOPOLOGY,
  schedule: [
    { atMs: 20_000, primitive: 'wedge_node', targets: [NODES[0].name], params: { durationMs: 2_000 } },
    { atMs: 30_000, primitive: 'slow_link', targets: [NODES[1].name, NODES[2].name], params: { latencyMs: 100, durationMs: 5_000 } },
  ],
  expect: 'pass',
};

/** Hostile JSON values: wrong types, extreme and fractional numbers, long strings, nesting. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e15, -1e15, 2 ** 53, Number.MAX_VALUE, '', '-', 'default', '../../etc/passwd', '/dev/zero', [], {}, [[[[]]]]),
  fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
  fc.string({ maxLength: 20 }),
  fc.constant('x'.repeat(5_000)),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 65, max: 200 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
);

/** Sets `value` at `path` (creating objects on the way); a numeric step indexes an array. */
function mutate(base: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const root = structuredClone(base) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = root;
  for (const step of path.slice(0, -1)) {
    if (typeof at[step] !== 'object' || at[step] === null) at[step] = {};
    at = at[step] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return root;
}

const SCHEDULE_PATHS: (string | number)[][] = [
  ['version'], ['name'], ['seed'], ['scenario'], ['durationMs'], ['expect'], ['variant'], ['found'], ['bogus'], ['topology'],
  ['topology', 'meshes'], ['topology', 'bridges'], ['topology', 'meshes', 0, 'roles', 'gateway'], ['topology', 'meshes', 0, 'meshId'],
  ['schedule'], ['schedule', 0], ['schedule', 0, 'atMs'], ['schedule', 0, 'primitive'], ['schedule', 0, 'targets'], ['schedule', 0, 'targets', 1],
  ['schedule', 0, 'params'], ['schedule', 0, 'params', 'durationMs'], ['schedule', 0, 'params', 'durationMS'], ['schedule', 1, 'params', 'latencyMs'],
  ['schedule', 1, 'targets', 1], ['schedule', 2], ['found', 'fcPath'], ['variant', 'disablePruner'],
];

describe('schedule files: any mutation is accepted or refused in one line', () => {
  it('parses and builds in-process (300 mutations)', () => {
    let built = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...SCHEDULE_PATHS), hostile), { minLength: 1, maxLength: 3 }), (edits) => {
        const value = edits.reduce<unknown>((v, [path, x]) => mutate(v, path, x), GOOD_SCHEDULE);
        const path = write(JSON.stringify(value) ?? 'null');
        const loaded = loadScheduleFile(path);
        if (!loaded.ok) {
          expect(loaded.error.startsWith(`${path}: `)).toBe(true);
          expectOneLine(loaded.error);
          return;
        }
        const scenario = scheduleScenario(loaded.file);
        if (!scenario.ok) {
          expectOneLine(scenario.error);
          return;
        }
        built++;
        const base = findScenario(loaded.file.scenario)!;
        expect(scheduleDurationMs(loaded.file, base.durationMs)).toBeLessThanOrEqual(Math.max(base.durationMs, SCHEDULE_TIME_MS_MAX + FAULT_LENGTH_MS_MAX + DETECTION_ALLOWANCE_MS));
      }),
      { numRuns: 300, seed: 12 },
    );
    expect(built, 'some mutations must stay valid').toBeGreaterThan(0);
  });

  it('a mutated file that stays valid runs to a verdict', () => {
    const value = mutate(mutate(GOOD_SCHEDULE, ['schedule', 0, 'params', 'durationMs'], 1), ['name'], 'still-valid');
    const loaded = loadScheduleFile(write(JSON.stringify(value)));
    expect(loaded.ok).toBe(true);
    const run = loaded.ok ? runScheduleFile(loaded.file) : null;
    expect(run?.ok && ['pass', 'fail'].includes(run.outcome.report.verdict)).toBe(true);
  });

  it('raw text mutations (BOM, truncation, bytes that are not UTF-8)', () => {
    const text = JSON.stringify(GOOD_SCHEDULE);
    fc.assert(
      fc.property(fc.nat(text.length), fc.uint8Array({ maxLength: 8 }), fc.boolean(), (cut, junk, bom) => {
        const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text.slice(0, cut)), Buffer.from(junk)]);
        const loaded = loadScheduleFile(write(bytes));
        if (!loaded.ok) expectOneLine(loaded.error);
      }),
      { numRuns: 200, seed: 13 },
    );
    const withBom = loadScheduleFile(write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])));
    expect(withBom.ok).toBe(true);
  });
});

const GOOD_SCENARIO = { name: 'fuzz', topology: TOPOLOGY, durationMs: 30_000 };
const SCENARIO_PATHS: (string | number)[][] = [
  ['name'], ['description'], ['durationMs'], ['probeIntervalMs'], ['healWindowMs'], ['bogus'], ['topology'], ['topology', 'meshes'],
  ['topology', 'bridges'], ['topology', 'meshes', 0], ['topology', 'meshes', 0, 'meshId'], ['topology', 'meshes', 0, 'roles'],
  ['topology', 'meshes', 0, 'roles', 'gateway'], ['topology', 'meshes', 1],
];

describe('scenario files: any mutation is a scenario or one usage line', () => {
  it('loads in-process (200 mutations)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...SCENARIO_PATHS), hostile), { minLength: 1, maxLength: 3 }), (edits) => {
        const value = edits.reduce<unknown>((v, [path, x]) => mutate(v, path, x), GOOD_SCENARIO);
        try {
          loadScenarioFile(write(JSON.stringify(value) ?? 'null'));
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(UsageError);
          expectOneLine((e as UsageError).message);
        }
      }),
      { numRuns: 200, seed: 14 },
    );
  });
});

const GOOD_EXPERIMENT = { name: 'fuzz', base: GOOD_SCENARIO, axes: { durationMs: [10_000, 20_000] }, seeds: '1..2' };
const EXPERIMENT_PATHS: (string | number)[][] = [
  ['name'], ['description'], ['base'], ['base', 'durationMs'], ['base', 'topology'], ['axes'], ['axes', 'durationMs'], ['axes', 'durationMs', 0],
  ['axes', 'node.hyparview.activeViewCapacity'], ['axes', 'topology.meshes.0.roles.gateway'], ['axes', 'a..b'], ['axes', 'topology.meshes.9.roles'], ['seeds'], ['bogus'],
];

describe('experiment files: any mutation is an experiment or one line', () => {
  it('parses in-process (200 mutations)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...EXPERIMENT_PATHS), hostile), { minLength: 1, maxLength: 3 }), (edits) => {
        const value = edits.reduce<unknown>((v, [path, x]) => mutate(v, path, x), GOOD_EXPERIMENT);
        const read = readJsonFile(write(JSON.stringify(value) ?? 'null'), 'experiment file', 1_000_000);
        if (!read.ok) {
          expectOneLine(read.error);
          return;
        }
        const parsed = parseExperimentJson(read.value, 'fuzz');
        // What the CLI prints: the parser's message as a usage error (one line, long values cut).
        if (!parsed.ok) expectOneLine(new UsageError(parsed.error).message);
      }),
      { numRuns: 200, seed: 18 },
    );
  });
});

describe('the JSON reader', () => {
  it('never throws on arbitrary bytes, and refuses deep nesting before parsing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = parseJsonText(bytes);
        if (!r.ok) expectOneLine(r.error);
      }),
      { numRuns: 300, seed: 15 },
    );
    const deep = parseJsonText(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)));
    expect(deep).toEqual({ ok: false, error: 'invalid JSON: nested deeper than 64 levels (at character 64)' });
    expect(parseJsonText(Buffer.from('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')).ok).toBe(true);
  });

  it('refuses a key given twice in one object, which JSON.parse would let the last win', () => {
    const read = (text: string) => parseJsonText(Buffer.from(text));
    expect(read('{"durationMs": 1000, "seed": "1", "durationMs": 9000}')).toEqual({
      ok: false,
      error: 'key "durationMs" appears twice in one object (at character 34); JSON would keep only the last',
    });
    // Keys compare by value; nesting, arrays and strings that look like keys do not confuse it.
    expect(read('{"a": 1, "\\u0061": 2}').ok).toBe(false);
    expect(read('{"t": {"a": 1, "b": [{"a": 2}, {"a": 3}]}, "a": "x\\"a\\": 4", "b": {"a": 5}}').ok).toBe(true);
    expect(read('[{"a": 1}, {"a": 2}, "a", "a"]').ok).toBe(true);
    expect(read('{"t": {"m": [1, {"k": 1, "k" : 2}]}}')).toMatchObject({ ok: false, error: expect.stringContaining('key "k" appears twice') });
    // The same key in sibling objects is no duplicate.
    expect(read('{"x": {"k": 1}, "y": {"k": 1}}').ok).toBe(true);
  });
});

describe('extreme but well-formed parameters', () => {
  /** Targets of the right shape on the fuzz topology (all own nodes of mesh-a). */
  const targetsFor = (n: number): string[] => NODES.slice(0, n).map((p) => p.name);
  const extreme = (min: number, max: number): fc.Arbitrary<number> => fc.oneof(fc.constantFrom(min, max, min + 1, max - 1, 0, -1), fc.integer({ min, max }));

  it('are refused by the spec in one line or build within the ceilings (400 schedules)', () => {
    const primitives = implementedPrimitives();
    const event = fc.constantFrom(...primitives).chain((name) => {
      const spec = specOf(name);
      const params = fc.record(Object.fromEntries(spec.params.map((p) => [p.name, extreme(p.min, p.max)])));
      return fc.record({ atMs: fc.constantFrom(0, 1, 15_000, SCHEDULE_TIME_MS_MAX), primitive: fc.constant(name), targets: fc.constant(targetsFor(Math.min(spec.targets.max, 3))), params });
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 4 }), (schedule) => {
        const loaded = loadScheduleFile(write(JSON.stringify({ ...GOOD_SCHEDULE, schedule })));
        if (!loaded.ok) {
          expectOneLine(loaded.error);
          return;
        }
        const built = scheduleScenario(loaded.file);
        if (!built.ok) {
          expectOneLine(built.error);
          return;
        }
        expect(built.scenario.durationMs).toBeLessThanOrEqual(SCHEDULE_TIME_MS_MAX + FAULT_LENGTH_MS_MAX + DETECTION_ALLOWANCE_MS);
      }),
      { numRuns: 400, seed: 16 },
    );
  });

  const RUNS: [string, unknown][] = [
    ['flap_link, 50 flaps of 1 ms down', { atMs: 20_000, primitive: 'flap_link', targets: targetsFor(2), params: { flaps: 50, downMs: 1, upMs: 0 } }],
    ['lossy_link, all packets lost', { atMs: 20_000, primitive: 'lossy_link', targets: targetsFor(2), params: { lossPct: 100, durationMs: 10_000 } }],
    ['clock_skew, a day behind', { atMs: 20_000, primitive: 'clock_skew', targets: targetsFor(1), params: { skewMs: -86_400_000, durationMs: 6_000 } }],
    ['restart_node, no downtime', { atMs: 20_000, primitive: 'restart_node', targets: targetsFor(1), params: { downtimeMs: 0 } }],
  ];

  it('an event before its target has booted is refused (nat_shift then crashed on a node with no address)', () => {
    const loaded = loadScheduleFile(write(JSON.stringify({ ...GOOD_SCHEDULE, schedule: [{ atMs: 10, primitive: 'nat_shift', targets: targetsFor(1), params: {} }] })));
    expect(loaded.ok).toBe(true);
    const built = loaded.ok ? scheduleScenario(loaded.file) : null;
    expect(built).toEqual({ ok: false, error: `schedule[0].atMs 10 comes before ${NODES[0].name} boots (at ${NODES[0].bootAtMs} ms)` });
  });

  it('a 25 s wedge on the default layout runs to a verdict (its IHave backlog of 132 entries crashed the encoder)', () => {
    const file = { version: 1, name: 'long-wedge', seed: '9', scenario: 'default', schedule: [{ atMs: 113_764, primitive: 'wedge_node', targets: ['registry-c77ecc89'], params: { durationMs: 25_523 } }], expect: 'pass' };
    const loaded = loadScheduleFile(write(JSON.stringify(file)));
    if (!loaded.ok) throw new Error(loaded.error);
    const run = runScheduleFile(loaded.file);
    expect(run.ok && run.outcome.report.verdict).toBe('pass');
  });

  it.each(RUNS)('%s runs to a verdict', (_label, entry) => {
    const loaded = loadScheduleFile(write(JSON.stringify({ ...GOOD_SCHEDULE, schedule: [entry] })));
    if (!loaded.ok) throw new Error(loaded.error);
    const run = runScheduleFile(loaded.file);
    expect(run.ok && ['pass', 'fail'].includes(run.outcome.report.verdict)).toBe(true);
  });
});

describe('command-line arguments (a small sample through the built CLI)', () => {
  beforeAll(requireBuiltCli);
  const values = fc.constantFrom('', '-1', '0', '1.5', 'x', '1e9', '1..0', '99999999999999999999999999999999', '/dev/zero', '/nonexistent/x', 'default', 'kill-node', '1..2', '1/0', '3/2', '0x', 'zz');
  const options = fc.constantFrom('--seed', '--duration', '--scenario', '--chaos', '--trace-level', '--report', '--otlp', '--schedule', '--seeds', '--shard', '--workers', '--scenarios', '--file', '--bogus');
  // Bounds come first, fuzzed options after: commander keeps the last value, and only bounded values are fuzzed.
  const command = fc.constantFrom(
    ['run', '--duration', '5s', '--scenario', 'gossip-swarm-forms'],
    ['replay'],
    ['sweep', '--scenario', 'gossip-swarm-forms', '--seeds', '1..1', '--duration', '5s', '--workers', '1'],
    ['battery', '--scenarios', 'gossip-swarm-forms', '--duration', '5s'],
    ['frame', 'decode'],
    ['list'],
    ['melt'],
  );
  const argv = fc.tuple(command, fc.array(fc.tuple(options, values), { maxLength: 2 })).map(([cmd, opts]) => [...cmd, ...opts.flat()]);
  const sample = fc.sample(argv, { numRuns: 10, seed: 17 });

  /** The built CLI run in the scratch directory, so a fuzzed `--report x` writes nothing into the repository. */
  const cliIn = (args: readonly string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'meshsim.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 110_000 }, (error, stdout, stderr) => {
        resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      });
    });

  it.each(sample.map((a) => [a.join(' '), a]))('meshsim %s', async (_label, args) => {
    const r = await cliIn(args as string[]);
    expect([0, 1, 2, 3], r.stderr).toContain(r.status);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    if (r.status === 2) expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  });
});
