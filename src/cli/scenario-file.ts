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
import { readFileSync } from 'node:fs';
import type { Scenario } from '../scenario/scenario.js';
import { ADMIN_MESH, BRIDGE_MESH, BRIDGE_ROLE, OBSERVER_ROLE, nodeCount, type MeshLayout, type TopologySpec } from '../scenario/topology.js';
import { DURATION_MS_MAX } from './duration.js';
import { fail } from './errors.js';

/** Largest cluster a file may ask for, observer included. */
export const SCENARIO_FILE_NODES_MAX = 500;
export const SCENARIO_FILE_MESHES_MAX = 32;
const SCENARIO_FILE_BYTES_MAX = 1_000_000;
const DEFAULT_DURATION_MS = 60_000;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `--scenario` names a file when it ends in .json or contains a slash. */
export function isScenarioPath(ref: string): boolean {
  return ref.endsWith('.json') || ref.includes('/');
}

/** Reads and validates a scenario file; any problem is a usage failure naming the file. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return fail(`${path}: cannot read scenario file (${code})`);
  }
  if (text.length > SCENARIO_FILE_BYTES_MAX) return fail(`${path}: scenario file is larger than ${SCENARIO_FILE_BYTES_MAX} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(`${path}: invalid JSON: ${(e as Error).message}`);
  }
  const parsed = parseScenarioJson(value);
  return parsed.ok ? parsed.scenario : fail(`${path}: ${parsed.error}`);
}

export type ScenarioParse = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly error: string };

/** Thrown only inside this module to stop at the first problem; never escapes it. */
class Problem {
  constructor(readonly message: string) {}
}

export function parseScenarioJson(value: unknown): ScenarioParse {
  try {
    return { ok: true, scenario: scenarioOf(value) };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, error: e.message };
    throw e;
  }
}

function scenarioOf(value: unknown): Scenario {
  const root = object(value, 'scenario', ['name', 'description', 'durationMs', 'topology', 'probeIntervalMs', 'healWindowMs']);
  const name = string(root.name, 'name', NAME_PATTERN);
  const description = root.description === undefined ? `scenario file ${name}` : string(root.description, 'description');
  const durationMs = root.durationMs === undefined ? DEFAULT_DURATION_MS : integer(root.durationMs, 'durationMs', 1, DURATION_MS_MAX);
  const topology = topologyOf(root.topology);
  const scenario: Scenario = { name, description, durationMs, topology };
  return {
    ...scenario,
    ...(root.probeIntervalMs === undefined ? {} : { probeIntervalMs: integer(root.probeIntervalMs, 'probeIntervalMs', 0, DURATION_MS_MAX) }),
    ...(root.healWindowMs === undefined ? {} : { healWindowMs: integer(root.healWindowMs, 'healWindowMs', 1, DURATION_MS_MAX) }),
  };
}

function topologyOf(value: unknown): TopologySpec {
  const topo = object(value, 'topology', ['meshes', 'bridges']);
  if (!Array.isArray(topo.meshes) || topo.meshes.length === 0) throw new Problem('topology.meshes must be a non-empty array');
  if (topo.meshes.length > SCENARIO_FILE_MESHES_MAX) throw new Problem(`topology.meshes has more than ${SCENARIO_FILE_MESHES_MAX} meshes`);
  const meshes = topo.meshes.map((m: unknown, i: number) => meshOf(m, `topology.meshes[${i}]`));
  const seen = new Set<string>();
  meshes.forEach((m, i) => {
    if (seen.has(m.meshId)) throw new Problem(`topology.meshes[${i}].meshId ${JSON.stringify(m.meshId)} is used twice`);
    seen.add(m.meshId);
  });
  const bridges = topo.bridges === undefined ? 0 : integer(topo.bridges, 'topology.bridges', 0, SCENARIO_FILE_NODES_MAX);
  const spec: TopologySpec = { meshes, bridges };
  const total = nodeCount(spec);
  if (total <= 1) throw new Problem('topology has no nodes besides the observer');
  if (total > SCENARIO_FILE_NODES_MAX) throw new Problem(`topology has ${total} nodes, more than ${SCENARIO_FILE_NODES_MAX}`);
  return spec;
}

function meshOf(value: unknown, where: string): MeshLayout {
  const mesh = object(value, where, ['meshId', 'roles']);
  const meshId = string(mesh.meshId, `${where}.meshId`, NAME_PATTERN);
  if (meshId === ADMIN_MESH || meshId === BRIDGE_MESH) throw new Problem(`${where}.meshId ${JSON.stringify(meshId)} is reserved`);
  const rolesObject = object(mesh.roles, `${where}.roles`, null);
  const roles = Object.keys(rolesObject).map((role) => {
    if (!NAME_PATTERN.test(role)) throw new Problem(`${where}.roles has an invalid role name ${JSON.stringify(role)}`);
    if (role === OBSERVER_ROLE || role === BRIDGE_ROLE) throw new Problem(`${where}.roles.${role} is reserved (use topology.bridges for bridges)`);
    return [role, integer(rolesObject[role], `${where}.roles.${role}`, 0, SCENARIO_FILE_NODES_MAX)] as const;
  });
  if (roles.length === 0) throw new Problem(`${where}.roles must name at least one role`);
  return { meshId, roles };
}

/** A plain object; `allowed` lists its permitted keys (null: any key). */
function object(value: unknown, where: string, allowed: readonly string[] | null): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Problem(`${where} must be an object`);
  const record = value as Record<string, unknown>;
  if (allowed !== null) {
    const unknown = Object.keys(record).filter((k) => !allowed.includes(k)).sort();
    if (unknown.length > 0) {
      const prefix = where === 'scenario' ? '' : `${where}.`;
      throw new Problem(`unknown field ${prefix}${unknown[0]} (allowed: ${allowed.join(', ')})`);
    }
  }
  return record;
}

function string(value: unknown, where: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) throw new Problem(`${where} must be a non-empty string`);
  if (pattern !== undefined && !pattern.test(value)) {
    throw new Problem(`${where} ${JSON.stringify(value)} must be 1-64 characters of letters, digits, '.', '_' or '-'`);
  }
  return value;
}

function integer(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Problem(`${where} must be a ${min === 0 ? 'non-negative' : 'positive'} integer`);
  }
  if (value > max) throw new Problem(`${where} must be at most ${max}`);
  return value;
}
