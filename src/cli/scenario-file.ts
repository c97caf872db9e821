/**
 * Scenario files for `--scenario FILE`: reads the file and validates it with the version-2
 * parser (src/scenario/scenario-json.ts, SPEC §10.3; docs/scenario-files.md lists every field).
 * Problems come back as one line naming the file and the field. Must not run anything.
 */
import type { Scenario } from '../scenario/scenario.js';
import { readScenarioFileAt } from '../scenario/scenario-file.js';
import { fail } from './errors.js';

export { isScenarioPath, parseScenarioJson, SCENARIO_NODES_MAX, type ScenarioParse } from '../scenario/scenario-json.js';

/** Reads and validates a scenario file; any problem is a usage failure naming the file. */
export function loadScenarioFile(path: string): Scenario {
  return readScenarioFile(path).scenario;
}

/** `loadScenarioFile`, with the file's object too (what worker threads are handed to re-validate). */
export function readScenarioFile(path: string): { readonly json: unknown; readonly scenario: Scenario } {
  const read = readScenarioFileAt(path);
  return read.ok ? read : fail(read.error);
}
