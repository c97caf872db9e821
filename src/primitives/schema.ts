/**
 * What a chaos primitive knows about its own inputs, as data: each parameter's type, bounds,
 * unit and default; the shape of its targets (how many, which nodes it may hit, whether it
 * kills them); and its detection deadline as named terms that give both the milliseconds and
 * the formula text. Schedule validation, the property arbitraries, docs/primitives.md, the
 * report and the engine all read this one description, so none of them keeps its own copy.
 * `validateFault` returns the first problem as one line naming the field; it never throws and
 * never trusts the value it is given (a schedule file is user input). Pure: no IO.
 */
import { short } from '../io/json-input.js';
import { assert } from '../sim/assert.js';
import type { NodeProfile } from '../mesh/config.js';
import type { Fault, ParamValue, PrimitiveName } from './types.js';
import { T, type Timers } from './timing.js';

/** Every parameter is an integer; the unit says how to read it. */
export type ParamUnit = 'ms' | '%' | 'count';

/** How `choose` draws a parameter that is not overridden (documentation and the chooser's numbers). */
export type ParamDraw =
  | { readonly kind: 'fixed' }
  | { readonly kind: 'range'; readonly min: number; readonly max: number }
  | { readonly kind: 'signed-choice'; readonly magnitudes: readonly number[] };

/** The range property tests explore: integers k·step for k in [min/step, max/step] (shrinks toward min). */
export interface ParamExplore {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Zero is never generated. */
  readonly nonZero?: boolean;
}

export interface ParamSpec {
  readonly name: string;
  readonly unit: ParamUnit;
  /** Inclusive bounds a schedule may use. */
  readonly min: number;
  readonly max: number;
  /** Zero is not a value (a skew of 0 is no fault). */
  readonly nonZero?: boolean;
  /** Used when a schedule omits the parameter; null = the schedule must give it. */
  readonly default: number | null;
  readonly draw: ParamDraw;
  /** Property tests generate it in this range; absent = not generated (e.g. derived from the targets). */
  readonly explore?: ParamExplore;
  /** The value must equal the number of targets (burst_kill.count, partition_subset.size). */
  readonly equalsTargetCount?: boolean;
  readonly doc: string;
}

/**
 * Which nodes a fault may name (never the observer, every node's seed). `node`: any nodes;
 * `link`: two nodes whose link is damaged (choosers and generated cases pick two that share a
 * topic); `subset`: own nodes of one mesh (no bridges), leaving at least one of its nodes outside.
 */
export interface TargetSpec {
  readonly min: number;
  readonly max: number;
  readonly shape: 'node' | 'link' | 'subset';
  /** The fault takes its targets down (their processes die). */
  readonly kills: boolean;
}

/** One named term of a deadline: its formula text and its value in ms. */
export interface DeadlineTerm {
  readonly text: string;
  readonly ms: number;
}

export interface PrimitiveSpec {
  readonly name: PrimitiveName;
  readonly params: readonly ParamSpec[];
  readonly targets: TargetSpec;
  /** How long the fault lasts before its revert, ms (0: reverted once its detection settles). */
  faultLengthMs(params: ParamValues): number;
  /** The detection deadline after apply, as terms summed, for a run with these timers. */
  deadline(params: ParamValues, timers: Timers): readonly DeadlineTerm[];
  /** A remark printed after the formula (docs only). */
  readonly deadlineNote?: string;
  /**
   * What of the full profile's node substrate (SPEC §2.3) its evidence reads, when it reads any:
   * such a primitive cannot be judged in the `protocol` profile, which has none of it (SPEC
   * §10.1), so random and soak draws there leave it out and an explicit event is refused.
   */
  readonly substrateEvidence?: string;
}

/** Whether `spec`'s evidence exists in a run of `profile` (see `PrimitiveSpec.substrateEvidence`). */
export function judgeableIn(spec: PrimitiveSpec, profile: NodeProfile): boolean {
  return profile === 'full' || spec.substrateEvidence === undefined;
}

/** Validated parameter values, defaults filled in. */
export type ParamValues = Readonly<Record<string, number>>;

/** Longest fault a schedule may ask for (any duration, downtime, or a flap window), ms: 10 minutes. */
export const FAULT_LENGTH_MS_MAX = 600_000;

// ---- deadline terms ----

/** A protocol timer or allowance, e.g. `timer('idle', 30_000)` → "idle 30 s". */
export function timer(label: string, ms: number): DeadlineTerm {
  return { text: `${label} ${seconds(ms)}`, ms };
}

/** A term read from a parameter, shown by its name. */
export function paramTerm(text: string, ms: number): DeadlineTerm {
  return { text, ms };
}

/** The longer of several sums, e.g. max(idle 30 s, digest 2 s + TTL 30 s + pruner 5 s). */
export function maxOf(...sums: readonly (readonly DeadlineTerm[])[]): DeadlineTerm {
  return { text: `max(${sums.map(formulaOf).join(', ')})`, ms: Math.max(...sums.map(msOf)) };
}

/** A labelled group, e.g. "watch (digest 2 s + TTL 30 s + pruner 5 s)". */
export function group(label: string, terms: readonly DeadlineTerm[]): DeadlineTerm {
  return { text: `${label} (${formulaOf(terms)})`, ms: msOf(terms) };
}

/** A spec's deadline for these parameter values and a run's timers (the defaults when not given): milliseconds and the formula text. */
export function deadlineOf(spec: PrimitiveSpec, values: ParamValues, timers: Timers = T): { readonly ms: number; readonly formula: string } {
  const terms = spec.deadline(values, timers);
  return { ms: msOf(terms), formula: spec.deadlineNote === undefined ? formulaOf(terms) : `${formulaOf(terms)} ${spec.deadlineNote}` };
}

export function msOf(terms: readonly DeadlineTerm[]): number {
  return terms.reduce((sum, t) => sum + t.ms, 0);
}

/** A wait past a detector's deadline: when it ends, and its formula (`then, for …`). */
export interface DeadlineWait {
  readonly untilMs: number;
  readonly formula: string;
}

/**
 * A detector's deadline that one wait may move later, once: at the spec's deadline, for a cause
 * the detector names (prunes of digests other events held, dials they held). The detector's
 * `deadlineMs` and `deadlineFormula` read `ms` and `formula`.
 */
export class ExtensibleDeadline {
  private wait: DeadlineWait | null = null;

  constructor(
    private readonly appliedAtMs: number,
    /** The spec's deadline after apply, ms, and its formula. */
    readonly baseMs: number,
    private readonly baseFormula: string,
  ) {}

  /** Whether a wait may be set at `nowMs`: none set yet, and the spec's deadline reached. */
  open(nowMs: number): boolean {
    return this.wait === null && nowMs - this.appliedAtMs >= this.baseMs;
  }

  /** Take `wait` when there is one and it ends past the spec's deadline. */
  extend(wait: DeadlineWait | null): void {
    if (this.wait === null && wait !== null && wait.untilMs - this.appliedAtMs > this.baseMs) this.wait = wait;
  }

  get ms(): number {
    return this.wait === null ? this.baseMs : this.wait.untilMs - this.appliedAtMs;
  }

  get formula(): string {
    return this.wait === null ? this.baseFormula : `${this.baseFormula}; ${this.wait.formula}`;
  }
}

export function formulaOf(terms: readonly DeadlineTerm[]): string {
  return terms.map((t) => t.text).join(' + ');
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

// ---- parameters ----

/** The parameter values of a fault, through the spec: validated values, defaults for the omitted. */
export function paramValues(spec: PrimitiveSpec, params: Readonly<Record<string, ParamValue>>): ParamValues {
  const out: Record<string, number> = {};
  for (const p of spec.params) {
    const v = params[p.name];
    if (typeof v === 'number') out[p.name] = v;
    else if (p.default !== null) out[p.name] = p.default;
  }
  return out;
}

/** One parameter of a fault (validated upstream; the default when omitted). */
export function paramOf(spec: PrimitiveSpec, fault: Fault, name: string): number {
  const value = paramValues(spec, fault.params)[name];
  if (value === undefined) assert(false, `${spec.name}: no value for parameter ${name} (faults are validated before they are applied)`);
  return value;
}

/**
 * `p`'s draw range moved `laterMs` later, held within the longest fault: for a run whose timers
 * take longer than the defaults the range was made for (a cut or a firewall its nodes must
 * notice before the revert).
 */
export function drawRangeLater(p: ParamSpec, laterMs: number): readonly [number, number] {
  if (p.draw.kind !== 'range') assert(false, `${p.name} is not drawn from a range`);
  const { min, max } = p.draw;
  return [Math.min(min + laterMs, FAULT_LENGTH_MS_MAX), Math.min(max + laterMs, FAULT_LENGTH_MS_MAX)];
}

/** An override if one is given, else the parameter's draw from the primitive's stream. */
export function drawParam(p: ParamSpec, overrides: Readonly<Record<string, ParamValue>> | undefined, draw: (min: number, max: number) => number): number {
  const v = overrides?.[p.name];
  if (typeof v === 'number') return v;
  if (p.draw.kind === 'range') return draw(p.draw.min, p.draw.max);
  if (p.default === null) assert(false, `${p.name} has no default to draw`);
  return p.default;
}

export type FaultCheck = { readonly ok: true; readonly values: ParamValues } | { readonly ok: false; readonly error: string };

/**
 * Checks a fault's targets and parameters against the spec: target count, no duplicates, known
 * parameter names, integer values within bounds, required ones present, derived counts matching,
 * and the fault length within FAULT_LENGTH_MS_MAX. `where` prefixes the field names.
 */
export function validateFault(spec: PrimitiveSpec, targets: readonly unknown[], params: Readonly<Record<string, unknown>>, where: string): FaultCheck {
  const t = spec.targets;
  if (targets.length < t.min || targets.length > t.max) {
    return bad(`${where}.targets: ${spec.name} takes ${t.min === t.max ? t.min : `${t.min}-${t.max}`} target${t.max === 1 ? '' : 's'} (got ${targets.length})`);
  }
  const seen = new Set<unknown>();
  for (const [i, target] of targets.entries()) {
    if (seen.has(target)) return bad(`${where}.targets[${i}] names ${short(String(target))} twice`);
    seen.add(target);
  }
  const known = new Set(spec.params.map((p) => p.name));
  const unknown = Object.keys(params).filter((k) => !known.has(k)).sort();
  if (unknown.length > 0) {
    const allowed = spec.params.length === 0 ? 'it takes no parameters' : `allowed: ${spec.params.map((p) => p.name).join(', ')}`;
    return bad(`unknown field ${where}.params.${short(unknown[0])} for ${spec.name} (${allowed})`);
  }
  const values: Record<string, number> = {};
  for (const p of spec.params) {
    const field = `${where}.params.${p.name}`;
    const v = params[p.name];
    if (v === undefined && p.equalsTargetCount === true) {
      values[p.name] = targets.length;
      continue;
    }
    if (v === undefined) {
      if (p.default === null) return bad(`${field} is required for ${spec.name} (${rangeText(p)})`);
      values[p.name] = p.default;
      continue;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return bad(`${field} must be ${rangeText(p)}, got ${shortJson(v)}`);
    if (v < p.min || v > p.max || (p.nonZero === true && v === 0)) return bad(`${field} must be ${rangeText(p)}, got ${v}`);
    if (p.equalsTargetCount === true && v !== targets.length) return bad(`${field} must equal the number of targets (${targets.length}), got ${v}`);
    values[p.name] = v;
  }
  const lengthMs = spec.faultLengthMs(values);
  if (lengthMs > FAULT_LENGTH_MS_MAX) return bad(`${where}.params: ${spec.name} would last ${lengthMs} ms, more than the ${FAULT_LENGTH_MS_MAX} ms a fault may last`);
  return { ok: true, values };
}

/** "an integer in [min, max] ms" (and "not 0"). */
export function rangeText(p: ParamSpec): string {
  return `an integer in [${p.min}, ${p.max}]${p.unit === 'count' ? '' : ` ${p.unit}`}${p.nonZero === true ? ', not 0' : ''}`;
}

function bad(error: string): FaultCheck {
  return { ok: false, error };
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return short(text);
}
