/**
 * Reading a scenario file from disk (SPEC §10.3): bounded, then validated by the version-2 parser
 * (scenario-json.ts, which reads no file). The one reader behind `--scenario FILE` and behind a
 * schedule file that names a scenario file as its base. Problems come back as one line naming
 * the file; nothing runs.
 */
import { readJsonFile } from '../io/json-input.js';
import type { Scenario } from './scenario.js';
import { parseScenarioJson } from './scenario-json.js';

/** Largest scenario file read, bytes (checked while reading). */
export const SCENARIO_FILE_BYTES_MAX = 1_000_000;

export type ScenarioFileRead = { readonly ok: true; readonly json: unknown; readonly scenario: Scenario } | { readonly ok: false; readonly error: string };

/** The file at `path`, read and validated: its JSON object (what worker threads re-validate) and the scenario. */
export function readScenarioFileAt(path: string): ScenarioFileRead {
  const read = readJsonFile(path, 'scenario file', SCENARIO_FILE_BYTES_MAX);
  if (!read.ok) return read;
  const parsed = parseScenarioJson(read.value);
  return parsed.ok ? { ok: true, json: read.value, scenario: parsed.scenario } : { ok: false, error: `${path}: ${parsed.error}` };
}
