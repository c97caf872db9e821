/**
 * Property-based chaos as data: `checkChaos` runs fast-check over generated cases (topology +
 * schedule), decodes each to a schedule file, runs it, and judges the report; it returns a
 * result (never throws for a failing property) holding the fast-check seed and path, the
 * shrunk counterexample as a DECODED schedule file, and its report. `formatFailure` turns that
 * into the readable failure text (seed, path, schedule, one replay command). Two judges:
 *  - 'mesh': the runner's safety checks held throughout and liveness held after the heal
 *    window (chaos detection verdicts are not judged: overlapping faults may confuse them);
 *  - 'chaos': also every chaos detection passed (use with one fault at a time).
 * Writing the counterexample to a file is the caller's choice (`saveCounterexample`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import type { NodeVariant } from '../mesh/config.js';
import { PRIMITIVE_NAMES, type PrimitiveName } from '../primitives/types.js';
import { unknownPrimitive } from '../primitives/registry.js';
import { integerProblem, MeshsimInputError } from '../io/input-error.js';
import type { Violation } from '../scenario/checker.js';
import type { ReplayRef } from '../scenario/replay-ref.js';
import type { RunReport } from '../scenario/runner.js';
import { caseArb, SCHEDULE_END_MS_DEFAULT, SCHEDULE_START_MS_DEFAULT, type GeneratedCase, type ScheduleOptions, type TopologyOptions } from './arbitraries.js';
import { decodeCase } from './decode.js';
import { runScheduleFile } from './replay.js';
import { formatScheduleFile, SCHEDULE_TIME_MS_MAX, VARIANT_KEYS, type ScheduleFile } from './schedule.js';

export type Judge = 'mesh' | 'chaos';

export interface ChaosPropertyOptions extends ScheduleOptions, TopologyOptions {
  /** Counterexample name (seeds/<name>.json). */
  readonly name: string;
  readonly pool: readonly PrimitiveName[];
  /** Draw a swarm (subset + weights) per case. Default false. */
  readonly swarm?: boolean;
  /** 'none' = one fault at a time. Default 'per-node'. */
  readonly overlap?: 'per-node' | 'none';
  readonly judge: Judge;
  /** Node variant under test (a deliberately broken one, in canary tests). */
  readonly variant?: NodeVariant;
  /** fast-check runs. */
  readonly numRuns: number;
  readonly seed: number;
  /** Replay one case: the path fast-check printed (with the same seed). */
  readonly path?: string;
}

export interface ChaosPropertyResult {
  readonly ok: boolean;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly seed: number;
  readonly path: string | null;
  /** The shrunk counterexample, decoded (null when the property held). */
  readonly counterexample: ScheduleFile | null;
  /**
   * The counterexample's run (null when the property held). Its `replay` is the seed file
   * `seeds/<name>.json` (`meshsim replay`, with `--found-variant` when a `variant` was tested):
   * save the counterexample there with `seedFileOf` and `saveCounterexample`.
   */
  readonly report: RunReport | null;
  readonly violations: readonly Violation[];
  /** A thrown error (crash or bad decode) instead of a failed report. */
  readonly error: string | null;
}

const CHAOS_CHECKS = new Set(['chaos-detection-timeout', 'chaos-flake-budget']);

/** The violations a judge counts. */
export function judged(report: RunReport, judge: Judge): Violation[] {
  return judge === 'chaos' ? [...report.violations] : report.violations.filter((v) => !CHAOS_CHECKS.has(v.check));
}

export function decodeFor(options: ChaosPropertyOptions, c: GeneratedCase, extra: Partial<ScheduleFile> = {}): ScheduleFile {
  return { ...decodeCase(c, { name: options.name, overlap: options.overlap, variant: options.variant }), ...extra };
}

/**
 * Checks what every property check is asked to do (`checkChaos`, `checkLayouts`): a run count
 * of at least one (0 or less "held after 0 runs", having checked nothing) and a fast-check seed;
 * a MeshsimInputError names the field.
 */
export function checkRunOptions(options: { readonly numRuns: unknown; readonly seed: unknown; readonly path?: unknown; readonly variant?: unknown }, numRunsMax = NUM_RUNS_MAX): void {
  const { numRuns, seed } = options;
  if (typeof numRuns !== 'number' || !Number.isSafeInteger(numRuns) || numRuns < 1 || numRuns > numRunsMax) {
    throw new MeshsimInputError(`numRuns must be an integer in [1, ${numRunsMax}], got ${JSON.stringify(numRuns)}`);
  }
  // fast-check keeps 32 bits of a seed: 4294967296 ran as 0, the same cases under another name.
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) throw new MeshsimInputError(`seed must be an integer in [-2147483648, 2147483647] (fast-check keeps 32 bits), got ${JSON.stringify(seed)}`);
  if (options.path !== undefined && (typeof options.path !== 'string' || !/^\d+(:\d+)*$/.test(options.path))) throw new MeshsimInputError(`path must be a fast-check path like "0:1:3", got ${JSON.stringify(options.path)}`);
  if (options.variant !== undefined) checkVariant(options.variant);
}

/** The most fast-check runs a property check takes (MESHSIM_PROP_RUNS is held to it too). */
export const NUM_RUNS_MAX = 1_000_000;

/** A node variant's switches must be the ones that exist, each true or false: a misspelt one made the broken node the correct one. */
export function checkVariant(variant: unknown): void {
  if (typeof variant !== 'object' || variant === null || Array.isArray(variant)) throw new MeshsimInputError('variant must be an object of node variant switches');
  for (const [key, value] of Object.entries(variant)) {
    if (!VARIANT_KEYS.includes(key as (typeof VARIANT_KEYS)[number])) throw new MeshsimInputError(`variant.${key} is no node variant switch (${VARIANT_KEYS.join(', ')})`);
    if (typeof value !== 'boolean') throw new MeshsimInputError(`variant.${key} must be true or false`);
  }
}

/** `checkChaos`'s schedule and topology options: within the ranges the arbitraries draw from (they clamped or threw a fast-check error). */
function checkCaseOptions(options: ChaosPropertyOptions): void {
  const integerIn = (value: unknown, field: string, min: number, max: number): void => {
    const problem = value === undefined ? null : integerProblem(value, field, min, max);
    if (problem !== null) throw new MeshsimInputError(problem);
  };
  integerIn(options.startMs, 'startMs', 0, SCHEDULE_TIME_MS_MAX);
  integerIn(options.endMs, 'endMs', 0, SCHEDULE_TIME_MS_MAX);
  const startMs = options.startMs ?? SCHEDULE_START_MS_DEFAULT;
  const endMs = options.endMs ?? SCHEDULE_END_MS_DEFAULT;
  if (endMs < startMs) throw new MeshsimInputError(`endMs (${endMs}) must not be before startMs (${startMs})`);
  integerIn(options.eventsMax, 'eventsMax', 1, 1_000);
  integerIn(options.meshesMax, 'meshesMax', 1, 3);
  integerIn(options.perRoleMax, 'perRoleMax', 1, 3);
  integerIn(options.bridgesMax, 'bridgesMax', 0, 3);
  if (options.overlap !== undefined && options.overlap !== 'per-node' && options.overlap !== 'none') throw new MeshsimInputError(`overlap must be "per-node" or "none", got ${JSON.stringify(options.overlap)}`);
}

export function checkChaos(options: ChaosPropertyOptions): ChaosPropertyResult {
  checkRunOptions(options);
  if (!Array.isArray(options.pool) || options.pool.length === 0) throw new MeshsimInputError('pool must be a non-empty array of chaos primitive names');
  for (const name of options.pool) if (!PRIMITIVE_NAMES.includes(name)) throw new MeshsimInputError(`pool: ${unknownPrimitive(name)}`);
  if (options.judge !== 'mesh' && options.judge !== 'chaos') throw new MeshsimInputError(`judge must be "mesh" or "chaos", got ${JSON.stringify(options.judge)}`);
  checkCaseOptions(options);
  let last: { report: RunReport | null; violations: Violation[] } = { report: null, violations: [] };
  const property = fc.property(caseArb(options.pool, options), (c) => {
    const run = runScheduleFile(decodeFor(options, c));
    if (!run.ok) throw new Error(run.error);
    const violations = judged(run.outcome.report, options.judge);
    last = { report: run.outcome.report, violations };
    return violations.length === 0;
  });
  const details = fc.check(property, {
    numRuns: options.numRuns,
    seed: options.seed,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  if (!details.failed || details.counterexample === null) {
    return { ok: true, numRuns: details.numRuns, numShrinks: 0, seed: options.seed, path: null, counterexample: null, report: null, violations: [], error: null };
  }
  const [c] = details.counterexample;
  // The predicate's last call is not necessarily the shrunk case: run the counterexample again.
  const file = decodeFor(options, c, { expect: 'fail', found: { fcSeed: details.seed, fcPath: details.counterexamplePath ?? '' } });
  let error: string | null = null;
  try {
    // Its report names what replays it: the counterexample saved as seeds/<name>.json (`name`),
    // with the broken variant it was found with when there was one; not the base scenario, whose
    // run is another one.
    const replay: ReplayRef = { kind: 'schedule-replay', schedule: `seeds/${options.name}.json`, ...(options.variant === undefined ? {} : { foundVariant: true }) };
    const run = runScheduleFile(file, { replay });
    if (run.ok) last = { report: run.outcome.report, violations: judged(run.outcome.report, options.judge) };
    else error = run.error;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  return {
    ok: false,
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
    seed: details.seed,
    path: details.counterexamplePath,
    counterexample: file,
    report: last.report,
    violations: last.violations,
    error,
  };
}

/**
 * The counterexample to save under seeds/: replayed with the CORRECT node (no variant) its
 * expectation is `expect`; the broken variant it was found with is kept under `found`.
 */
export function seedFileOf(result: ChaosPropertyResult, expect: 'pass' | 'fail', note?: string): ScheduleFile {
  const file = result.counterexample;
  if (file === null) throw new Error('the property held: there is no counterexample');
  const { variant, ...rest } = file;
  return { ...rest, expect, found: { ...(variant === undefined ? {} : { variant }), ...file.found, ...(note === undefined ? {} : { note }) } };
}

export function saveCounterexample(path: string, file: ScheduleFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatScheduleFile(file));
}

/**
 * Readable failure text: fast-check seed and path, the shrunk schedule, violations, and the
 * command line that replays the saved counterexample (`replay`, spelled by the caller: the
 * CLI's replayLine of a schedule replay).
 */
export function formatFailure(result: ChaosPropertyResult, replay: string): string {
  const file = result.counterexample;
  if (file === null) return `property held after ${result.numRuns} runs (seed ${result.seed})`;
  const topo = file.topology === undefined ? file.scenario : file.topology.meshes.map((m) => `${m.meshId}{${m.roles.map(([r, n]) => `${r}:${n}`).join(',')}}`).join(' ') + ` bridges:${file.topology.bridges}`;
  const lines = [
    `property failed after ${result.numRuns} run(s) and ${result.numShrinks} shrink(s)`,
    `  fast-check seed: ${result.seed}  path: ${result.path ?? ''}  (MESHSIM_PROP_SEED=${result.seed} MESHSIM_PROP_PATH=${result.path ?? ''})`,
    `  simulator seed: ${file.seed}  topology: ${topo}${file.variant === undefined ? '' : `  variant: ${JSON.stringify(file.variant)}`}`,
    `  shrunk schedule (${file.schedule.length} event${file.schedule.length === 1 ? '' : 's'}):`,
    ...file.schedule.map((e) => `    ${(e.atMs / 1000).toFixed(1).padStart(7)} s  ${e.primitive.padEnd(16)} [${e.targets.join(', ')}] ${JSON.stringify(e.params)}`),
    '  violations:',
    ...(result.error !== null ? [`    crash: ${result.error}`] : []),
    ...result.violations.map((v) => `    ${v.check}: ${v.message}`),
    `  replay: ${replay}`,
  ];
  return lines.join('\n');
}
