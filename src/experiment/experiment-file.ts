/**
 * Experiment files (SPEC §10.5):
 *   { "name"?: string, "description"?: string,
 *     "base": "<registered scenario name>" | { <scenario file object> },
 *     "axes": { "<field path>": [value, …], … }, "seeds"?: "A..B" }
 * An experiment is every combination of the axis values (axes vary in file order, the last one
 * fastest) × every seed. Each combination is a point; with an object base, a point is the base
 * with each axis value written at its field path, validated by the scenario-file parser, so
 * every field that parser accepts can be an axis. A registered scenario is code (chaos, checks,
 * variants), not JSON: only its plain run knobs can be varied (NAMED_BASE_FIELDS).
 * Every point is validated before anything runs; a problem is one line naming the field.
 * Must not run anything or read files.
 */
import { parseScenarioJson } from '../scenario/scenario-json.js';
import { runEndsEarly } from '../scenario/scenario.js';
import { findScenario } from '../catalog/registry.js';
import { FieldProblem, catchFieldProblem, nameString, object, rootObject, string } from '../scenario/json-fields.js';
import { parseSeedRange, type SeedRange } from '../sweep/shard.js';
import { parseFieldPath, withFieldAt } from './field-path.js';

export const AXES_MAX = 8;
export const AXIS_VALUES_MAX = 100;
export const POINTS_MAX = 10_000;
/** The fields of a registered scenario an axis may set (they are plain data on every scenario). */
export const NAMED_BASE_FIELDS: readonly string[] = ['durationMs', 'healWindowMs', 'probeIntervalMs'];

export type AxisValue = string | number | boolean | null;

export interface Axis {
  readonly path: string;
  readonly segments: readonly string[];
  readonly values: readonly AxisValue[];
}

/** What a point runs: a scenario file object, or a registered scenario with run-knob overrides. */
export type PointBase =
  | { readonly kind: 'file'; readonly scenario: Readonly<Record<string, unknown>> }
  | { readonly kind: 'named'; readonly name: string; readonly overrides: Readonly<Record<string, number>> };

export interface ExperimentPoint {
  /** 1-based, in combination order. */
  readonly index: number;
  /** One value per axis, in axis order. */
  readonly values: readonly AxisValue[];
  readonly base: PointBase;
}

export interface Experiment {
  readonly name: string;
  readonly description: string;
  /** What the file's base is, for titles: the scenario name, or the file object's `name`. */
  readonly baseName: string;
  readonly axes: readonly Axis[];
  readonly seeds: SeedRange | null;
  readonly points: readonly ExperimentPoint[];
}

export type ExperimentParse = { readonly ok: true; readonly experiment: Experiment } | { readonly ok: false; readonly error: string };

export function parseExperimentJson(value: unknown, defaultName: string): ExperimentParse {
  const parsed = catchFieldProblem(() => experimentOf(value, defaultName));
  return parsed.ok ? { ok: true, experiment: parsed.value } : parsed;
}

/** `axis=value, …` for a point (text output, report labels). */
export function pointLabel(axes: readonly Axis[], values: readonly AxisValue[]): string {
  return axes.length === 0 ? 'base' : axes.map((a, i) => `${a.path}=${JSON.stringify(values[i])}`).join(', ');
}

function experimentOf(value: unknown, defaultName: string): Experiment {
  const root = rootObject(value, 'experiment', ['name', 'description', 'base', 'axes', 'seeds']);
  const name = root.name === undefined ? defaultName : nameString(root.name, 'name');
  const description = root.description === undefined ? '' : string(root.description, 'description');
  let seeds: SeedRange | null = null;
  if (root.seeds !== undefined) {
    if (typeof root.seeds !== 'string') throw new FieldProblem('seeds must be a string like "1..5"');
    const range = parseSeedRange(root.seeds);
    if (!range.ok) throw new FieldProblem(`seeds: ${range.error.replace(/^--seeds /, '')}`);
    seeds = range.value;
  }
  const axes = axesOf(root.axes);
  const combos = combinations(axes);
  if (root.base === undefined) throw new FieldProblem('base is missing (a scenario name or a scenario object)');
  if (typeof root.base === 'string') {
    const base = root.base;
    if (findScenario(base) === undefined) throw new FieldProblem(`base: unknown scenario ${JSON.stringify(base)} (run \`meshsim list\`)`);
    return { name, description, baseName: base, axes, seeds, points: combos.map((values, i) => namedPoint(base, axes, values, i + 1)) };
  }
  const baseObject = object(root.base, 'base', null);
  const checked = parseScenarioJson(baseObject);
  if (!checked.ok) throw new FieldProblem(`base: ${checked.error}`);
  return { name, description, baseName: checked.scenario.name, axes, seeds, points: combos.map((values, i) => filePoint(baseObject, axes, values, i + 1)) };
}

function axesOf(value: unknown): Axis[] {
  const fields = object(value, 'axes', null);
  const paths = Object.keys(fields);
  if (paths.length > AXES_MAX) throw new FieldProblem(`axes has more than ${AXES_MAX} field paths`);
  const axes = paths.map((path): Axis => {
    const parsed = parseFieldPath(path);
    if (!parsed.ok) throw new FieldProblem(`axes: ${parsed.error}`);
    const values = fields[path];
    const where = `axes[${JSON.stringify(path)}]`;
    if (!Array.isArray(values) || values.length === 0) throw new FieldProblem(`${where} must be a non-empty array of values`);
    if (values.length > AXIS_VALUES_MAX) throw new FieldProblem(`${where} has more than ${AXIS_VALUES_MAX} values`);
    values.forEach((v: unknown, i: number) => {
      if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) throw new FieldProblem(`${where}[${i}] must be a string, number, boolean or null`);
    });
    const seen = new Set(values.map((v: unknown) => JSON.stringify(v)));
    if (seen.size !== values.length) throw new FieldProblem(`${where} lists a value twice`);
    return { path, segments: parsed.segments, values: values as AxisValue[] };
  });
  for (const a of axes) {
    const prefix = axes.find((b) => b !== a && a.path.startsWith(`${b.path}.`));
    if (prefix !== undefined) throw new FieldProblem(`axes: ${JSON.stringify(a.path)} lies inside ${JSON.stringify(prefix.path)}`);
  }
  return axes;
}

/** Every combination of axis values; the last axis varies fastest. Bounded by POINTS_MAX. */
function combinations(axes: readonly Axis[]): AxisValue[][] {
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > POINTS_MAX) throw new FieldProblem(`axes make ${total} points, more than ${POINTS_MAX}`);
  let out: AxisValue[][] = [[]];
  for (const axis of axes) out = out.flatMap((head) => axis.values.map((v) => [...head, v]));
  return out;
}

function filePoint(base: Record<string, unknown>, axes: readonly Axis[], values: readonly AxisValue[], index: number): ExperimentPoint {
  let scenario: Record<string, unknown> = base;
  axes.forEach((axis, i) => {
    const set = withFieldAt(scenario, axis.segments, values[i]);
    if (!set.ok) throw new FieldProblem(`axes[${JSON.stringify(axis.path)}]: base.${set.error}`);
    scenario = set.value;
  });
  const checked = parseScenarioJson(scenario);
  if (!checked.ok) throw new FieldProblem(`point ${index} (${pointLabel(axes, values)}): ${checked.error}`);
  return { index, values, base: { kind: 'file', scenario } };
}

function namedPoint(name: string, axes: readonly Axis[], values: readonly AxisValue[], index: number): ExperimentPoint {
  const overrides: Record<string, number> = {};
  axes.forEach((axis, i) => {
    if (!NAMED_BASE_FIELDS.includes(axis.path)) {
      throw new FieldProblem(`axes[${JSON.stringify(axis.path)}]: a registered base scenario can vary only ${NAMED_BASE_FIELDS.join(', ')} (write the base as a scenario object to vary other fields)`);
    }
    // The scenario-file parser owns these fields' types and ranges; ask it about this value alone.
    const probe = parseScenarioJson({ name: 'probe', topology: { meshes: [{ meshId: 'm', roles: { r: 2 } }] }, [axis.path]: values[i] });
    if (!probe.ok) throw new FieldProblem(`point ${index} (${pointLabel(axes, values)}): ${probe.error}`);
    overrides[axis.path] = values[i] as number;
  });
  // A chaos scenario's event, or its boot, that the point's main phase leaves out (`runEndsEarly`).
  const late = runEndsEarly({ ...findScenario(name)!, ...overrides });
  if (late !== null) throw new FieldProblem(`point ${index} (${pointLabel(axes, values)}): ${late}`);
  return { index, values, base: { kind: 'named', name, overrides } };
}
