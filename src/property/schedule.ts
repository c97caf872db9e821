/**
 * The schedule file format (seeds/<name>.json and `meshsim run --schedule FILE`): a seed, a
 * base scenario, optionally a topology and a node variant, and a DECODED chaos schedule (node
 * names, absolute times, parameters), so a saved counterexample means the same thing after the
 * code changes. `parseScheduleJson` validates field by field and returns the first problem as
 * one line naming the field; unknown fields are problems (a typo must not fall back to a
 * default). Must not run anything; reading a file is `loadScheduleFile`'s only IO.
 *
 *   { "version": 1, "name": "...", "seed": "42", "scenario": "default",
 *     "topology"?: { "meshes": [{ "meshId": "mesh-a", "roles": { "gateway": 1 } }], "bridges"?: 0 },
 *     "durationMs"?: 90000, "variant"?: { "stalenessBySenderWallClock": true },
 *     "schedule": [{ "atMs": 20000, "primitive": "clock_skew", "targets": ["broker-1a2b3c4d"],
 *                    "params": { "skewMs": -31000, "durationMs": 6000 } }],
 *     "expect": "pass" | "fail",
 *     "found"?: { "variant"?: {...}, "fcSeed"?: 1, "fcPath"?: "0:1", "note"?: "..." } }
 */
import { readFileSync } from 'node:fs';
import type { NodeVariant } from '../mesh/config.js';
import { PRIMITIVE_NAMES, type ParamValue, type PrimitiveName } from '../primitives/types.js';
import { ADMIN_MESH, BRIDGE_MESH, BRIDGE_ROLE, OBSERVER_ROLE, nodeCount, type MeshLayout, type TopologySpec } from '../scenario/topology.js';

export const SCHEDULE_FILE_VERSION = 1;
export const SCHEDULE_EVENTS_MAX = 1_000;
export const SCHEDULE_NODES_MAX = 500;
const TIME_MS_MAX = 86_400_000;
const FILE_BYTES_MAX = 1_000_000;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The node variant switches a file may set (test doubles, mesh/config.ts). */
export const VARIANT_KEYS = [
  'stalenessBySenderWallClock',
  'disablePruner',
  'disablePeerDown',
  'disableSeedRejoin',
  'disableDiskRetry',
  'refuseInbound',
] as const satisfies readonly (keyof NodeVariant)[];

export interface ScheduleEntry {
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  /** Node names (`<role>-<8 hex>`) of the topology planned for the file's seed. */
  readonly targets: readonly string[];
  readonly params: Readonly<Record<string, ParamValue>>;
}

export interface FoundWith {
  /** The (broken) node variant the counterexample was found with. */
  readonly variant?: NodeVariant;
  readonly fcSeed?: number;
  readonly fcPath?: string;
  readonly note?: string;
}

export interface ScheduleFile {
  readonly version: typeof SCHEDULE_FILE_VERSION;
  readonly name: string;
  /** The simulator seed (a decimal string). */
  readonly seed: string;
  /** Base scenario from the registry (workload, heal window); the schedule replaces no chaos of its own. */
  readonly scenario: string;
  readonly topology?: TopologySpec;
  /** Main phase, ms. Default: the base scenario's, stretched to cover the schedule. */
  readonly durationMs?: number;
  /** Node variant to replay with. Default: the correct node. */
  readonly variant?: NodeVariant;
  readonly schedule: readonly ScheduleEntry[];
  /** What a replay must give now. */
  readonly expect: 'pass' | 'fail';
  readonly found?: FoundWith;
}

export type ScheduleParse = { readonly ok: true; readonly file: ScheduleFile } | { readonly ok: false; readonly error: string };

/** Thrown only inside this module to stop at the first problem; never escapes it. */
class Problem {
  constructor(readonly message: string) {}
}

/** Reads and validates a schedule file; the error is one line starting with the path. */
export function loadScheduleFile(path: string): ScheduleParse {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, error: `${path}: cannot read schedule file (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (text.length > FILE_BYTES_MAX) return { ok: false, error: `${path}: schedule file is larger than ${FILE_BYTES_MAX} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${path}: invalid JSON: ${oneLine((e as Error).message)}` };
  }
  const parsed = parseScheduleJson(value);
  return parsed.ok ? parsed : { ok: false, error: `${path}: ${parsed.error}` };
}

export function parseScheduleJson(value: unknown): ScheduleParse {
  try {
    return { ok: true, file: fileOf(value) };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, error: e.message };
    throw e;
  }
}

/** The file as JSON text (stable key order, topology roles as an object in boot order). */
export function formatScheduleFile(file: ScheduleFile): string {
  const topology =
    file.topology === undefined
      ? undefined
      : { meshes: file.topology.meshes.map((m) => ({ meshId: m.meshId, roles: Object.fromEntries(m.roles) })), bridges: file.topology.bridges };
  const ordered = {
    version: file.version,
    name: file.name,
    seed: file.seed,
    scenario: file.scenario,
    ...(topology === undefined ? {} : { topology }),
    ...(file.durationMs === undefined ? {} : { durationMs: file.durationMs }),
    ...(file.variant === undefined ? {} : { variant: file.variant }),
    schedule: file.schedule.map((e) => ({ atMs: e.atMs, primitive: e.primitive, targets: e.targets, params: e.params })),
    expect: file.expect,
    ...(file.found === undefined ? {} : { found: file.found }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function fileOf(value: unknown): ScheduleFile {
  const root = object(value, 'file', ['version', 'name', 'seed', 'scenario', 'topology', 'durationMs', 'variant', 'schedule', 'expect', 'found']);
  if (root.version !== SCHEDULE_FILE_VERSION) throw new Problem(`version must be ${SCHEDULE_FILE_VERSION} (got ${JSON.stringify(root.version) ?? 'nothing'})`);
  const name = string(root.name, 'name', NAME_PATTERN);
  const seed = typeof root.seed === 'number' && Number.isSafeInteger(root.seed) && root.seed >= 0 ? String(root.seed) : string(root.seed, 'seed', /^\d{1,30}$/);
  const scenario = string(root.scenario, 'scenario');
  if (!Array.isArray(root.schedule)) throw new Problem('schedule must be an array');
  if (root.schedule.length > SCHEDULE_EVENTS_MAX) throw new Problem(`schedule has more than ${SCHEDULE_EVENTS_MAX} events`);
  const schedule = root.schedule.map((e: unknown, i: number) => entryOf(e, `schedule[${i}]`));
  if (root.expect !== 'pass' && root.expect !== 'fail') throw new Problem('expect must be "pass" or "fail"');
  return {
    version: SCHEDULE_FILE_VERSION,
    name,
    seed: seed.replace(/^0+(?=\d)/, ''),
    scenario,
    ...(root.topology === undefined ? {} : { topology: topologyOf(root.topology) }),
    ...(root.durationMs === undefined ? {} : { durationMs: integer(root.durationMs, 'durationMs', 1, TIME_MS_MAX) }),
    ...(root.variant === undefined ? {} : { variant: variantOf(root.variant, 'variant') }),
    schedule,
    expect: root.expect,
    ...(root.found === undefined ? {} : { found: foundOf(root.found) }),
  };
}

function entryOf(value: unknown, where: string): ScheduleEntry {
  const e = object(value, where, ['atMs', 'primitive', 'targets', 'params']);
  const atMs = integer(e.atMs, `${where}.atMs`, 0, TIME_MS_MAX);
  if (typeof e.primitive !== 'string' || !(PRIMITIVE_NAMES as readonly string[]).includes(e.primitive)) {
    throw new Problem(`${where}.primitive must be one of ${PRIMITIVE_NAMES.join(', ')} (got ${JSON.stringify(e.primitive) ?? 'nothing'})`);
  }
  if (!Array.isArray(e.targets) || e.targets.length === 0 || e.targets.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new Problem(`${where}.targets must be a non-empty array of node names`);
  }
  const params = e.params === undefined ? {} : object(e.params, `${where}.params`, null);
  for (const [k, v] of Object.entries(params)) {
    const ok = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) throw new Problem(`${where}.params.${k} must be a number, string, boolean or array of strings`);
  }
  return { atMs, primitive: e.primitive as PrimitiveName, targets: e.targets as string[], params: params as Record<string, ParamValue> };
}

function variantOf(value: unknown, where: string): NodeVariant {
  const v = object(value, where, VARIANT_KEYS);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'boolean') throw new Problem(`${where}.${k} must be true or false`);
  return v as NodeVariant;
}

function foundOf(value: unknown): FoundWith {
  const f = object(value, 'found', ['variant', 'fcSeed', 'fcPath', 'note']);
  if (f.fcSeed !== undefined && (typeof f.fcSeed !== 'number' || !Number.isInteger(f.fcSeed))) throw new Problem('found.fcSeed must be an integer');
  if (f.fcPath !== undefined && (typeof f.fcPath !== 'string' || !/^[\d:]*$/.test(f.fcPath))) throw new Problem('found.fcPath must be a fast-check path like "0:1:3"');
  if (f.note !== undefined && typeof f.note !== 'string') throw new Problem('found.note must be a string');
  return { ...f, ...(f.variant === undefined ? {} : { variant: variantOf(f.variant, 'found.variant') }) } as FoundWith;
}

function topologyOf(value: unknown): TopologySpec {
  const topo = object(value, 'topology', ['meshes', 'bridges']);
  if (!Array.isArray(topo.meshes) || topo.meshes.length === 0) throw new Problem('topology.meshes must be a non-empty array');
  const meshes = topo.meshes.map((m: unknown, i: number) => meshOf(m, `topology.meshes[${i}]`));
  if (new Set(meshes.map((m) => m.meshId)).size !== meshes.length) throw new Problem('topology.meshes uses a meshId twice');
  const bridges = topo.bridges === undefined ? 0 : integer(topo.bridges, 'topology.bridges', 0, SCHEDULE_NODES_MAX);
  const spec = { meshes, bridges };
  const total = nodeCount(spec);
  if (total <= 1 || total > SCHEDULE_NODES_MAX) throw new Problem(`topology must have 2-${SCHEDULE_NODES_MAX} nodes (has ${total})`);
  return spec;
}

function meshOf(value: unknown, where: string): MeshLayout {
  const mesh = object(value, where, ['meshId', 'roles']);
  const meshId = string(mesh.meshId, `${where}.meshId`, NAME_PATTERN);
  if (meshId === ADMIN_MESH || meshId === BRIDGE_MESH) throw new Problem(`${where}.meshId ${JSON.stringify(meshId)} is reserved`);
  const rolesObject = object(mesh.roles, `${where}.roles`, null);
  const roles = Object.keys(rolesObject).map((role) => {
    if (!NAME_PATTERN.test(role) || role === OBSERVER_ROLE || role === BRIDGE_ROLE) throw new Problem(`${where}.roles has an invalid or reserved role ${JSON.stringify(role)}`);
    return [role, integer(rolesObject[role], `${where}.roles.${role}`, 0, SCHEDULE_NODES_MAX)] as const;
  });
  if (roles.length === 0) throw new Problem(`${where}.roles must name at least one role`);
  return { meshId, roles };
}

function object(value: unknown, where: string, allowed: readonly string[] | null): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Problem(`${where} must be an object`);
  const record = value as Record<string, unknown>;
  if (allowed !== null) {
    const extra = Object.keys(record).filter((k) => !allowed.includes(k)).sort();
    if (extra.length > 0) throw new Problem(`unknown field ${where === 'file' ? '' : `${where}.`}${extra[0]} (allowed: ${allowed.join(', ')})`);
  }
  return record;
}

function string(value: unknown, where: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) throw new Problem(`${where} must be a non-empty string`);
  if (pattern !== undefined && !pattern.test(value)) throw new Problem(`${where} ${JSON.stringify(value)} has an invalid form`);
  return value;
}

function integer(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new Problem(`${where} must be an integer in [${min}, ${max}]`);
  return value;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
