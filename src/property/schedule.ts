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
 *
 * `scenario` is a registry name, or the path of a scenario file (SPEC §10.3; a name ending in
 * .json or holding a slash), relative to the schedule file: its profile, network, node settings
 * and topology, at any size a scenario file may ask for. `loadScheduleFile` reads that file too.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { readJsonFile, short, shortenQuoted } from '../io/json-input.js';
import type { NodeVariant } from '../mesh/config.js';
import { specOf } from '../primitives/registry.js';
import { validateFault } from '../primitives/schema.js';
import { PRIMITIVE_NAMES, type ParamValue, type PrimitiveName } from '../primitives/types.js';
import { FieldProblem, catchFieldProblem, integer, nameString, object, rootObject, string, topologyOf } from '../scenario/json-fields.js';
import type { Scenario } from '../scenario/scenario.js';
import { readScenarioFileAt } from '../scenario/scenario-file.js';
import { isScenarioPath, SCENARIO_NODES_MAX } from '../scenario/scenario-json.js';
import type { TopologySpec } from '../scenario/topology.js';

export const SCHEDULE_FILE_VERSION = 1;
/** Ceilings checked before anything runs (README, "Schedule files"). */
export const SCHEDULE_EVENTS_MAX = 1_000;
/** Latest event time and longest main phase a file may give: one virtual hour. */
export const SCHEDULE_TIME_MS_MAX = 3_600_000;
const FILE_BYTES_MAX = 1_000_000;

/**
 * Every node variant switch (test doubles, mesh/config.ts), as a record so that a switch added to
 * NodeVariant fails to compile until it is listed here: a counterexample found with any of them
 * is saved with it under `found.variant` and must load again.
 */
const VARIANT_SWITCHES: Readonly<Record<keyof NodeVariant, true>> = {
  stalenessBySenderWallClock: true,
  disablePruner: true,
  disablePeerDown: true,
  disableOneSidedRepair: true,
  disableSeedRejoin: true,
  disableStrandedRejoin: true,
  disableSeedTopUp: true,
  disableDiskRetry: true,
  refuseInbound: true,
  redialLostPeers: true,
  keepUnusedConnections: true,
  closeUsedConnections: true,
  sweepUnansweredJoins: true,
  omitHello: true,
  keepEveryConnectionAlive: true,
  keepDeadPaths: true,
  dropDigestsBelowSeenSeq: true,
};

/** The node variant switches a file may set: all of them. */
export const VARIANT_KEYS = Object.keys(VARIANT_SWITCHES) as readonly (keyof NodeVariant)[];

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
  /**
   * Base scenario (workload, heal window, profile, settings): a registry name, or a scenario
   * file's path relative to the schedule file. The schedule replaces no chaos of its own.
   */
  readonly scenario: string;
  /** Replaces a registry base's topology; with a scenario file as base, the file's is used and this is refused. */
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

export type ScheduleParse =
  | {
      readonly ok: true;
      readonly file: ScheduleFile;
      /** The scenario file `file.scenario` names, read and validated (`loadScheduleFile`); absent for a registry name. */
      readonly base?: Scenario;
    }
  | { readonly ok: false; readonly error: string };

/**
 * Reads and validates a schedule file, and the scenario file it names as its base (a relative
 * path is taken from the schedule file's directory); the error is one line starting with the
 * schedule's path.
 */
export function loadScheduleFile(path: string): ScheduleParse {
  const read = readJsonFile(path, 'schedule file', FILE_BYTES_MAX);
  if (!read.ok) return read;
  const parsed = parseScheduleJson(read.value);
  if (!parsed.ok) return { ok: false, error: `${path}: ${shortenQuoted(parsed.error)}` };
  if (!isScenarioPath(parsed.file.scenario)) return parsed;
  const basePath = isAbsolute(parsed.file.scenario) ? parsed.file.scenario : join(dirname(path), parsed.file.scenario);
  const base = readScenarioFileAt(basePath);
  return base.ok ? { ok: true, file: parsed.file, base: base.scenario } : { ok: false, error: `${path}: scenario: ${shortenQuoted(base.error)}` };
}

export function parseScheduleJson(value: unknown): ScheduleParse {
  const parsed = catchFieldProblem(() => fileOf(value));
  return parsed.ok ? { ok: true, file: parsed.value } : parsed;
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
  const root = rootObject(value, 'file', ['version', 'name', 'seed', 'scenario', 'topology', 'durationMs', 'variant', 'schedule', 'expect', 'found']);
  if (root.version !== SCHEDULE_FILE_VERSION) throw new FieldProblem(`version must be ${SCHEDULE_FILE_VERSION} (got ${JSON.stringify(root.version) ?? 'nothing'})`);
  const name = nameString(root.name, 'name');
  // A bare number is taken while JSON keeps it exact; a larger one has already lost digits.
  if (typeof root.seed === 'number' && !(Number.isSafeInteger(root.seed) && root.seed >= 0)) {
    throw new FieldProblem(`seed ${root.seed} is not a non-negative integer JSON keeps exact (at most ${Number.MAX_SAFE_INTEGER}): write the seed as a decimal string in quotes`);
  }
  const seed = typeof root.seed === 'number' ? String(root.seed) : string(root.seed, 'seed', /^\d{1,30}$/);
  const scenario = string(root.scenario, 'scenario');
  if (isScenarioPath(scenario) && root.topology !== undefined) {
    throw new FieldProblem('topology cannot replace a scenario file\'s: give it in that file (with its observer and boot spacing), or name a registry scenario');
  }
  if (!Array.isArray(root.schedule)) throw new FieldProblem('schedule must be an array');
  if (root.schedule.length > SCHEDULE_EVENTS_MAX) throw new FieldProblem(`schedule has more than ${SCHEDULE_EVENTS_MAX} events`);
  const schedule = root.schedule.map((e: unknown, i: number) => entryOf(e, `schedule[${i}]`));
  const durationMs = root.durationMs === undefined ? undefined : integer(root.durationMs, 'durationMs', 1, SCHEDULE_TIME_MS_MAX);
  // An event after the main phase would never fire: refuse it rather than drop it silently.
  const late = durationMs === undefined ? -1 : schedule.findIndex((e) => e.atMs >= durationMs);
  if (late >= 0) throw new FieldProblem(`schedule[${late}].atMs ${schedule[late].atMs} is not inside the main phase (durationMs ${durationMs}); drop durationMs to have it stretched`);
  if (root.expect !== 'pass' && root.expect !== 'fail') throw new FieldProblem('expect must be "pass" or "fail"');
  return {
    version: SCHEDULE_FILE_VERSION,
    name,
    seed: seed.replace(/^0+(?=\d)/, ''),
    scenario,
    ...(root.topology === undefined ? {} : { topology: topologyOf(root.topology, { nodesMax: SCENARIO_NODES_MAX }) }),
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(root.variant === undefined ? {} : { variant: variantOf(root.variant, 'variant') }),
    schedule,
    expect: root.expect,
    ...(root.found === undefined ? {} : { found: foundOf(root.found) }),
  };
}

function entryOf(value: unknown, where: string): ScheduleEntry {
  const e = object(value, where, ['atMs', 'primitive', 'targets', 'params']);
  const atMs = integer(e.atMs, `${where}.atMs`, 0, SCHEDULE_TIME_MS_MAX);
  if (typeof e.primitive !== 'string' || !(PRIMITIVE_NAMES as readonly string[]).includes(e.primitive)) {
    throw new FieldProblem(`${where}.primitive must be one of ${PRIMITIVE_NAMES.join(', ')} (got ${short(JSON.stringify(e.primitive) ?? 'nothing')})`);
  }
  const primitive = e.primitive as PrimitiveName;
  if (!Array.isArray(e.targets) || e.targets.length === 0 || e.targets.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new FieldProblem(`${where}.targets must be a non-empty array of node names`);
  }
  const params = e.params === undefined ? {} : object(e.params, `${where}.params`, null);
  const checked = validateFault(specOf(primitive), e.targets, params, where);
  if (!checked.ok) throw new FieldProblem(checked.error);
  return { atMs, primitive, targets: e.targets as string[], params: params as Record<string, ParamValue> };
}

function variantOf(value: unknown, where: string): NodeVariant {
  const v = object(value, where, VARIANT_KEYS);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'boolean') throw new FieldProblem(`${where}.${k} must be true or false`);
  return v as NodeVariant;
}

function foundOf(value: unknown): FoundWith {
  const f = object(value, 'found', ['variant', 'fcSeed', 'fcPath', 'note']);
  if (f.fcSeed !== undefined && (typeof f.fcSeed !== 'number' || !Number.isInteger(f.fcSeed))) throw new FieldProblem('found.fcSeed must be an integer');
  if (f.fcPath !== undefined && (typeof f.fcPath !== 'string' || !/^[\d:]*$/.test(f.fcPath))) throw new FieldProblem('found.fcPath must be a fast-check path like "0:1:3"');
  if (f.note !== undefined && typeof f.note !== 'string') throw new FieldProblem('found.note must be a string');
  return { ...f, ...(f.variant === undefined ? {} : { variant: variantOf(f.variant, 'found.variant') }) } as FoundWith;
}
