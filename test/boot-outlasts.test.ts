/**
 * A boot that outlasts the main phase. Goal: no run passes, or judges liveness, over part of its
 * topology. The heal window counts its checks clean only once every planned node has started, and
 * says how many have not when it ends first; a run that would end before its last node starts, or
 * whose main phase ends before a workload entry is due, is bad input (`runEndsEarly`), refused by
 * the scenario-file parser (its cases are in scenario-file-v2.test.ts), `meshsim run` and `sweep`
 * with `--duration`, and the library's `run`. Method: protocol-profile scenarios of a few nodes
 * booted seconds apart, run through the runner directly (which a library caller may do with any
 * Scenario); the CLI and the library entry are called as a user would.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MeshsimInputError, findScenario, run, withChaos } from '../src/api/index.js';
import { runScenario } from '../src/scenario/runner.js';
import { runEndsEarly, type Scenario } from '../src/scenario/scenario.js';
import { cli, expectUsageError, requireBuiltCli } from './support/cli.js';

/** Six gateways and the observer, 2 s apart: the last starts at 12 s. */
function slowBoot(durationMs: number, healWindowMs: number): Scenario {
  return {
    name: 'slow-boot',
    description: 'a slow boot',
    profile: 'protocol',
    topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 6]] }], bridges: 0, bootSpacingMs: 2_000 },
    durationMs,
    healWindowMs,
    probeIntervalMs: 0,
  };
}

describe('a boot that outlasts the main phase', () => {
  it('holds the heal window until every node has started, and then passes', () => {
    const { report } = runScenario(slowBoot(1_000, 60_000), '1');
    expect(report.verdict).toBe('pass');
    expect(report.nodes).toEqual({ total: 7, live: 7 });
    expect(report.virtualMs).toBeGreaterThan(12_000);
  });

  it('fails a heal window that ends first, naming the nodes not started', () => {
    // Bypasses runEndsEarly on purpose (the last start, 12 s, is after the run's 6 s).
    const { report } = runScenario(slowBoot(1_000, 5_000), '1');
    expect(report.verdict).toBe('fail');
    expect(report.nodes.live).toBeLessThan(7);
    expect(report.violations).toContainEqual({ check: 'liveness', message: expect.stringMatching(/^[1-4] node\(s\) not started yet: the boot outlasts the main phase$/) });
  });

  it('says so when the window ends clean, its last start just in time, before the final probes were sent', () => {
    // 30 gateways 2 s apart: the last starts at 58 s, 3 s before the window closes at 61 s.
    const scenario: Scenario = { ...slowBoot(1_000, 60_000), topology: { meshes: [{ meshId: 'mesh-a', roles: [['gateway', 30]] }], bridges: 0, observer: false, bootSpacingMs: 2_000 } };
    const { report } = runScenario(scenario, '1');
    expect(report.nodes).toEqual({ total: 30, live: 30 });
    expect(report.violations).toEqual([{ check: 'liveness', message: expect.stringMatching(/^heal window ended, clean since 5\d000 ms, before the final probes were sent$/) }]);
  });

  it('is bad input when the run ends before the last start', () => {
    expect(runEndsEarly(slowBoot(1_000, 11_000))).toBe(
      'the boot starts the last of 7 nodes at 12000 ms (one every 2000 ms), and the run ends at 12000 ms (durationMs 1000 + healWindowMs 11000): lengthen durationMs or shorten bootSpacingMs',
    );
    expect(runEndsEarly(slowBoot(1_000, 11_001))).toBeNull();
    expect(runEndsEarly({ ...slowBoot(12_000, 60_000), liveness: false })).toMatch(/run ends at 12000 ms \(durationMs 12000\)/);
    expect(runEndsEarly(slowBoot(1_000, 60_000), 1)).toBeNull(); // a shorter main phase, still within the heal
  });

  describe('refused with --duration and by the library', () => {
    beforeAll(requireBuiltCli);
    const json = { name: 'slow', profile: 'protocol', topology: { meshes: [{ meshId: 'm', roles: { gateway: 6 } }] }, bootSpacingMs: 20_000, durationMs: 100_000, healWindowMs: 30_000 };
    const expected = /^meshsim: --duration 1000ms: the boot starts the last of 7 nodes at 120000 ms \(one every 20000 ms\), and the run ends at 31000 ms/;

    it('meshsim run and sweep: one line, exit 2, nothing run', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'meshsim-boot-')), 'slow.json');
      writeFileSync(file, JSON.stringify(json));
      const results = await Promise.all([cli('run', '--scenario', file, '--seed', '1', '--duration', '1s'), cli('sweep', '--scenario', file, '--seeds', '1..2', '--duration', '1s')]);
      for (const r of results) expectUsageError(r, expected);
    });

    it('meshsim run: a --duration that ends the main phase before a workload entry is due', async () => {
      expectUsageError(
        await cli('run', '--scenario', 'bench/scenarios/protocol-1k.json', '--duration', '10s'),
        /^meshsim: --duration 10000ms: workload\[0\]: the last of its 120 broadcasts is due at 124000 ms, not within the main phase \(durationMs 10000\)$/,
      );
    });

    it('the library: a MeshsimInputError naming durationMs', () => {
      expect(() => run({ scenario: json, seed: 1, durationMs: 1_000 })).toThrow(MeshsimInputError);
      expect(() => run({ scenario: json, seed: 1, durationMs: 1_000 })).toThrow(/^durationMs 1000: the boot starts the last of 7 nodes at 120000 ms/);
    });
  });
});

describe('a chaos event the main phase leaves out', () => {
  // A battery scenario's one event is at 20 s: `meshsim run --scenario kill-node --duration 10s`
  // passed with no fault applied, and a library scenario's late event vanished from the report.
  const late = /chaos event 0 \(kill_node\) is due at 20000 ms, not inside the main phase \(durationMs 10000\): it would never fire$/;
  beforeAll(requireBuiltCli);

  it('is bad input to runEndsEarly, at or after the end, and not before it', () => {
    const kill = findScenario('kill-node')!;
    expect(runEndsEarly(kill, 10_000)).toMatch(late);
    expect(runEndsEarly(kill, 20_000)).toMatch(/due at 20000 ms, not inside the main phase \(durationMs 20000\)/);
    expect(runEndsEarly(kill, 20_001)).toBeNull();
    const soak = withChaos(slowBoot(30_000, 60_000), { soak: { pool: ['kill_node'], intervalMs: 30_000 } });
    expect(runEndsEarly(soak)).toMatch(/^the chaos soak's first event is due at 30000 ms, not inside the main phase/);
    expect(runEndsEarly(withChaos(slowBoot(30_000, 60_000), { random: { count: 3 } }))).toBeNull(); // drawn inside the main phase
  });

  it("grow-shrink's shrink and the flood's streams, which a shorter main phase judged as never done", () => {
    // `--duration 1s`: twelve "joiner … never became ready", and "only 0 round trips (need 200)".
    expect(runEndsEarly(findScenario('mesh-grow-shrink')!, 1_000)).toBe('grow-shrink: its shrink is due at 60000 ms, not inside the main phase (durationMs 1000)');
    expect(runEndsEarly(findScenario('mesh-grow-shrink')!, 60_001)).toBeNull();
    expect(runEndsEarly(findScenario('backpressure-stream-flood')!, 19_999)).toBe('flood: its streams run from 10000 to 20000 ms, past the main phase (durationMs 19999)');
    expect(runEndsEarly(findScenario('backpressure-stream-flood')!, 20_000)).toBeNull();
    expect(runEndsEarly(findScenario('backpressure-stream-flood-chaos')!, 1_000)).toMatch(/^flood: /);
  });

  it('meshsim run and battery with --duration: one line, exit 2', async () => {
    expectUsageError(await cli('run', '--scenario', 'kill-node', '--seed', '1', '--duration', '10s'), new RegExp(`^meshsim: --duration 10000ms: ${late.source}`));
    expectUsageError(await cli('battery', '--scenarios', 'default,kill-node', '--seeds', '1', '--duration', '10s'), new RegExp(`^meshsim: --duration 10000ms: kill-node: ${late.source}`));
  });

  it('the library: a scenario built with withChaos, and a registered one with a shorter durationMs', () => {
    const built = withChaos({ ...findScenario('default')!, durationMs: 10_000 }, { events: [{ atMs: 20_000, primitive: 'kill_node' }] });
    expect(() => run({ scenario: built, seed: 1 })).toThrow(MeshsimInputError);
    expect(() => run({ scenario: built, seed: 1 })).toThrow(new RegExp(`^durationMs 10000: ${late.source}`));
    expect(() => run({ scenario: 'kill-node', seed: 1, durationMs: 10_000 })).toThrow(late);
  });
});
