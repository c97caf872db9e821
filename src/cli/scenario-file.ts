/**
 * Scenario files for `--scenario FILE`: a JSON object
 *   { "name": string, "description"?: string, "durationMs"?: number,
 *     "topology": { "meshes": [{ "meshId": string, "roles": { "gateway": 2, ... } }], "bridges"?: number },
 *     "probeIntervalMs"?: number, "healWindowMs"?: number }
 * validated field by field. Problems come back as one line naming the field; unknown fields are
 * problems too (a typo must not silently fall back to a default). Roles keep the order in which
 * the file lists them (JSON.parse keeps text order for non-numeric keys), so the same file
 * always gives the same boot order. Must not run anything.
 */
import { readJsonFile } from '../io/json-input.js';
import type { Scenario } from '../scenario/scenario.js';
import { catchFieldProblem, integer, nameString, rootObject, string, topologyOf } from '../scenario/json-fields.js';
import { DURATION_MS_MAX } from './duration.js';
import { fail } from './errors.js';

/** Largest cluster a file may ask for, observer included. */
export const SCENARIO_FILE_NODES_MAX = 500;
export const SCENARIO_FILE_MESHES_MAX = 32;
const SCENARIO_FILE_BYTES_MAX = 1_000_000;
const DEFAULT_DURATION_MS = 60_000;

/** `--scenario` names a file when it ends in .json or contains a slash. */
export function isScenarioPath(ref: string): boolean {
  return ref.endsWith('.json') || ref.includes('/');
}

/** Reads and validates a scenario file; any problem is a usage failure naming the file. */
export function loadScenarioFile(path: string): Scenario {
  const read = readJsonFile(path, 'scenario file', SCENARIO_FILE_BYTES_MAX);
  if (!read.ok) return fail(read.error);
  const parsed = parseScenarioJson(read.value);
  return parsed.ok ? parsed.scenario : fail(`${path}: ${parsed.error}`);
}

export type ScenarioParse = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly error: string };

export function parseScenarioJson(value: unknown): ScenarioParse {
  const parsed = catchFieldProblem(() => scenarioOf(value));
  return parsed.ok ? { ok: true, scenario: parsed.value } : parsed;
}

function scenarioOf(value: unknown): Scenario {
  const root = rootObject(value, 'scenario', ['name', 'description', 'durationMs', 'topology', 'probeIntervalMs', 'healWindowMs']);
  const name = nameString(root.name, 'name');
  const description = root.description === undefined ? `scenario file ${name}` : string(root.description, 'description');
  const durationMs = root.durationMs === undefined ? DEFAULT_DURATION_MS : integer(root.durationMs, 'durationMs', 1, DURATION_MS_MAX);
  const topology = topologyOf(root.topology, { nodesMax: SCENARIO_FILE_NODES_MAX, meshesMax: SCENARIO_FILE_MESHES_MAX });
  const scenario: Scenario = { name, description, durationMs, topology };
  return {
    ...scenario,
    ...(root.probeIntervalMs === undefined ? {} : { probeIntervalMs: integer(root.probeIntervalMs, 'probeIntervalMs', 0, DURATION_MS_MAX) }),
    ...(root.healWindowMs === undefined ? {} : { healWindowMs: integer(root.healWindowMs, 'healWindowMs', 1, DURATION_MS_MAX) }),
  };
}
