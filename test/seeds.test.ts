/**
 * The regression corpus (SPEC §7). Goal: every saved counterexample in seeds/ keeps its
 * recorded expectation forever (usually: the current, correct code passes it), and a file
 * found with a broken node variant still catches that variant (the schedule still exercises
 * the bug after the code changed).
 * Method: load each seeds/*.json with the schedule-file validator (and the scenario file under
 * seeds/layouts/ it names, if any) and replay its decoded schedule in-process; with
 * `found.variant`, replay it once more with that variant.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScheduleFile } from '../src/property/replay.js';
import { loadScheduleFile } from '../src/property/schedule.js';
import { replayLine } from '../src/cli/replay-line.js';

const SEEDS_DIR = join(import.meta.dirname, '..', 'seeds');
const files = readdirSync(SEEDS_DIR).filter((f) => f.endsWith('.json')).sort();

function explain(run: ReturnType<typeof runScheduleFile>): string {
  if (!run.ok) return run.error;
  return [...run.outcome.report.violations.map((v) => `${v.check}: ${v.message}`), `replay: ${replayLine(run.outcome.report.replay)}`].join('\n');
}

describe('seeds/', () => {
  it('holds at least one saved counterexample', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  describe.each(files)('%s', (name) => {
    const path = join(SEEDS_DIR, name);
    const replay = { kind: 'schedule-replay', schedule: `seeds/${name}` } as const;

    it('replays with its recorded expectation', () => {
      const loaded = loadScheduleFile(path);
      if (!loaded.ok) throw new Error(loaded.error);
      const run = runScheduleFile(loaded.file, { replay, ...(loaded.base === undefined ? {} : { base: loaded.base }) });
      expect(run.ok, explain(run)).toBe(true);
      expect(run.ok && run.outcome.report.verdict, explain(run)).toBe(loaded.file.expect);
    });

    it('still catches the variant it was found with', () => {
      const loaded = loadScheduleFile(path);
      if (!loaded.ok) throw new Error(loaded.error);
      const variant = loaded.file.found?.variant;
      if (variant === undefined) return;
      const run = runScheduleFile(loaded.file, { variant, replay: { ...replay, foundVariant: true }, ...(loaded.base === undefined ? {} : { base: loaded.base }) });
      expect(run.ok && run.outcome.report.verdict, explain(run)).toBe('fail');
    });
  });
});
