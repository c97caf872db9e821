/**
 * Canary for the property machinery. Goal: a deliberately broken node — its staleness pruner
 * judges entries by the SENDER's wall clock instead of the local receive time — is found by
 * the chaos property within its default budget, and fast-check shrinks the schedule down to
 * what the bug needs: one ClockSkew on one node. The same decoded schedule replayed with the
 * correct node passes.
 * Method: checkChaos over generated one-fault-at-a-time schedules from every implemented
 * primitive (judge 'chaos': safety, liveness and every detection), with the broken variant.
 * MESHSIM_PROP_SAVE=seeds writes the shrunk counterexample as seeds/<name>.json (the seed
 * corpus entry expects the CORRECT node to pass; found.variant keeps the bug it catches).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkChaos, formatFailure, saveCounterexample, seedFileOf } from '../../src/property/check.js';
import { runScheduleFile } from '../../src/property/replay.js';
import { implementedPrimitives } from '../../src/primitives/registry.js';
import { settings } from './settings.js';
import { replayLine } from '../../src/cli/replay-line.js';

const NAME = 'clock-skew-sender-wall-clock-pruner';

describe('property run finds a broken staleness pruner', () => {
  it('shrinks to one clock_skew on one node; the correct node passes it', () => {
    const env = settings({ numRuns: 10, seed: 1 });
    const result = checkChaos({
      ...env,
      name: NAME,
      pool: implementedPrimitives(),
      overlap: 'none',
      judge: 'chaos',
      variant: { stalenessBySenderWallClock: true },
    });
    const text = formatFailure(result, replayLine({ kind: 'schedule-replay', schedule: `seeds/${NAME}.json` }));
    expect(result.ok, 'the broken pruner was not found within the default budget').toBe(false);
    const file = result.counterexample!;
    expect(file.schedule, text).toHaveLength(1);
    expect(file.schedule[0].primitive, text).toBe('clock_skew');
    expect(file.schedule[0].targets, text).toHaveLength(1);
    expect(result.violations.some((v) => v.message.includes('as stale')), text).toBe(true);
    expect(text).toMatch(/fast-check seed: \d+ +path: [\d:]+/);
    expect(text).toContain(`replay: npx meshsim replay seeds/${NAME}.json`);
    // The counterexample's own report names what reproduces it: the seed file, with the bug.
    expect(result.report?.verdict).toBe('fail');
    expect(replayLine(result.report!.replay)).toBe(`npx meshsim replay seeds/${NAME}.json --found-variant`);

    const seedFile = seedFileOf(result, 'pass', 'found by test/property/broken-pruner.test.ts; the correct pruner (local receive time) must pass it');
    expect(seedFile.variant).toBeUndefined();
    expect(seedFile.found?.variant).toEqual({ stalenessBySenderWallClock: true });
    const correct = runScheduleFile(seedFile);
    expect(correct.ok && correct.outcome.report.verdict, correct.ok ? correct.outcome.report.violations.map((v) => v.message).join('\n') : correct.error).toBe('pass');
    if (env.saveDir !== undefined) saveCounterexample(join(env.saveDir, `${NAME}.json`), seedFile);
  });
});
