/**
 * Field validation shared by the JSON file formats (scenario files, schedule files): plain
 * objects with a closed set of keys, non-empty strings and names, bounded integers, and the
 * `topology` block with its reserved mesh ids and roles. A validator throws a
 * `FieldProblem` whose message is one line naming the field; a format's entry point wraps its
 * parse in `catchFieldProblem`, so a FieldProblem never escapes as an exception. Must not know
 * any format's own fields, and must not read files (this is the deterministic core).
 */
import { short } from '../io/json-input.js';
import { ADMIN_MESH, BRIDGE_MESH, BRIDGE_ROLE, OBSERVER_ROLE, nodeCount, type MeshLayout, type TopologySpec } from './topology.js';

/** Names (files, meshes, roles): 1-64 characters, starting with a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Thrown by the validators to stop at the first problem; `catchFieldProblem` turns it into a value. */
export class FieldProblem {
  constructor(readonly message: string) {}
}

export type FieldsParse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Runs a parse built from these validators; its first problem comes back as an error value. */
export function catchFieldProblem<T>(parse: () => T): FieldsParse<T> {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof FieldProblem) return { ok: false, error: e.message };
    throw e;
  }
}

/** The document itself: a plain object whose fields messages name without a prefix. */
export function rootObject(value: unknown, rootName: string, allowed: readonly string[]): Record<string, unknown> {
  return record(value, rootName, '', allowed);
}

/** A plain object at `where`; `allowed` lists its permitted keys (null: any key). */
export function object(value: unknown, where: string, allowed: readonly string[] | null): Record<string, unknown> {
  return record(value, where, `${where}.`, allowed);
}

function record(value: unknown, where: string, prefix: string, allowed: readonly string[] | null): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldProblem(`${where} must be an object`);
  const fields = value as Record<string, unknown>;
  if (allowed !== null) {
    const unknown = Object.keys(fields).filter((k) => !allowed.includes(k)).sort();
    if (unknown.length > 0) throw new FieldProblem(`unknown field ${prefix}${short(unknown[0])} (allowed: ${allowed.join(', ')})`);
  }
  return fields;
}

export function string(value: unknown, where: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) throw new FieldProblem(`${where} must be a non-empty string`);
  if (pattern !== undefined && !pattern.test(value)) throw new FieldProblem(`${where} ${JSON.stringify(value)} has an invalid form`);
  return value;
}

/** A string matching NAME_PATTERN. */
export function nameString(value: unknown, where: string): string {
  const s = string(value, where);
  if (!NAME_PATTERN.test(s)) throw new FieldProblem(`${where} ${JSON.stringify(s)} must be 1-64 characters of letters, digits, '.', '_' or '-'`);
  return s;
}

/** An integer in [min, max]; a non-integer is told its kind, an out-of-range one the range. */
export function integer(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const kind = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : 'an integer';
    throw new FieldProblem(`${where} must be ${kind}`);
  }
  if (value < min || value > max) throw new FieldProblem(`${where} must be an integer in [${min}, ${max}]`);
  return value;
}

export function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new FieldProblem(`${where} must be true or false`);
  return value;
}

/** A finite number in [min, max] (fractions allowed). */
export function number(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FieldProblem(`${where} must be a number`);
  if (value < min || value > max) throw new FieldProblem(`${where} must be a number in [${min}, ${max}]`);
  return value;
}

/** One of `choices`. */
export function oneOf<T extends string>(value: unknown, where: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new FieldProblem(`${where} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return value as T;
}

export interface TopologyLimits {
  /** Most nodes the topology may have, observer included. */
  readonly nodesMax: number;
  /** Most meshes it may list. Default: only nodesMax bounds them. */
  readonly meshesMax?: number;
}

/** `{ "meshes": [{ "meshId", "roles": { role: count } }], "bridges"?: n, "observer"?: bool }`; roles keep file order. */
export function topologyOf(value: unknown, limits: TopologyLimits): TopologySpec {
  const topo = object(value, 'topology', ['meshes', 'bridges', 'observer']);
  if (!Array.isArray(topo.meshes) || topo.meshes.length === 0) throw new FieldProblem('topology.meshes must be a non-empty array');
  if (limits.meshesMax !== undefined && topo.meshes.length > limits.meshesMax) {
    throw new FieldProblem(`topology.meshes has more than ${limits.meshesMax} meshes`);
  }
  const meshes = topo.meshes.map((m: unknown, i: number) => meshOf(m, `topology.meshes[${i}]`, limits.nodesMax));
  const seen = new Set<string>();
  meshes.forEach((m, i) => {
    if (seen.has(m.meshId)) throw new FieldProblem(`topology.meshes[${i}].meshId ${JSON.stringify(m.meshId)} is used twice`);
    seen.add(m.meshId);
  });
  const bridges = topo.bridges === undefined ? 0 : integer(topo.bridges, 'topology.bridges', 0, limits.nodesMax);
  const observer = topo.observer === undefined ? true : boolean(topo.observer, 'topology.observer');
  const spec: TopologySpec = observer ? { meshes, bridges } : { meshes, bridges, observer };
  const total = nodeCount(spec);
  if (total - (observer ? 1 : 0) < (observer ? 1 : 2)) {
    throw new FieldProblem(observer ? 'topology has no nodes besides the observer' : 'topology without the observer needs at least 2 nodes');
  }
  if (total > limits.nodesMax) throw new FieldProblem(`topology has ${total} nodes, more than ${limits.nodesMax}`);
  return spec;
}

function meshOf(value: unknown, where: string, nodesMax: number): MeshLayout {
  const mesh = object(value, where, ['meshId', 'roles']);
  const meshId = nameString(mesh.meshId, `${where}.meshId`);
  if (meshId === ADMIN_MESH || meshId === BRIDGE_MESH) throw new FieldProblem(`${where}.meshId ${JSON.stringify(meshId)} is reserved`);
  const rolesObject = object(mesh.roles, `${where}.roles`, null);
  const roles = Object.keys(rolesObject).map((role) => {
    if (!NAME_PATTERN.test(role)) throw new FieldProblem(`${where}.roles has an invalid role name ${JSON.stringify(role)}`);
    if (role === OBSERVER_ROLE || role === BRIDGE_ROLE) throw new FieldProblem(`${where}.roles.${role} is reserved (use topology.bridges for bridges)`);
    return [role, integer(rolesObject[role], `${where}.roles.${role}`, 0, nodesMax)] as const;
  });
  if (roles.length === 0) throw new FieldProblem(`${where}.roles must name at least one role`);
  return { meshId, roles };
}
