/**
 * Random layouts under random chaos: fast-check draws a whole scenario file (SPEC §10.3) — the
 * profile, 1–4 meshes of mixed roles, bridges, the observer or none, boot spacing, a lossy
 * network or not — and a seed and a `--chaos` count, and the run must pass, exactly as
 * `meshsim run --scenario FILE --seed S --chaos N` would run it. The schedule properties
 * (check.ts) keep to layouts with the observer and the full profile; the layouts users write
 * are wider, and small meshes without the observer are where a detector's unstated assumption
 * shows (a topic only the victim subscribes to, a pair alone on its mesh, every other node of a
 * mesh cut off by another event). A failure shrinks toward fewer meshes, roles and nodes and
 * fewer chaos events, and comes back as the scenario file and one `meshsim run` command, and
 * its chaos decoded as a schedule file on that scenario file (`layoutScheduleOf`).
 */
import fc from 'fast-check';
import type { NodeVariant } from '../mesh/config.js';
import { withChaos } from '../catalog/chaos-scenarios.js';
import { chaosReportOf, type ChaosEventReport } from '../primitives/engine.js';
import { runScenario, type RunReport } from '../scenario/runner.js';
import { parseScenarioJson } from '../scenario/scenario-json.js';
import { checkRunOptions } from './check.js';
import { SCHEDULE_FILE_VERSION, type ScheduleFile } from './schedule.js';
import { integerProblem, MeshsimInputError } from '../io/input-error.js';

const ROLES = ['gateway', 'compute', 'registry', 'broker'] as const;

/** One case: a scenario file's JSON, the simulator seed and the number of random chaos events. */
export interface LayoutCase {
  readonly file: Readonly<Record<string, unknown>>;
  readonly seed: string;
  readonly chaos: number;
}

export interface LayoutOptions {
  /** Meshes at most (1–4). Default 4. */
  readonly meshesMax?: number;
  /** Nodes per role per mesh at most (1–12). Default 12. */
  readonly perRoleMax?: number;
  /** Random chaos events at most (1–25). Default 25. */
  readonly chaosMax?: number;
  /**
   * Draw the protocols' and the network's settings too (`node.hyparview`, `node.plumtree`,
   * `node.substrate`, `network`: `settingsArb`). Default false: every case runs the defaults,
   * and a seed draws the case it drew before this option existed.
   */
  readonly settings?: boolean;
}

/** A field at its default (left out) as often as at one of `values`. */
function maybe<T>(...values: T[]): fc.Arbitrary<T | undefined> {
  return fc.oneof(fc.constant(undefined), fc.constantFrom(...values));
}

/** `fields` with the fields left at their defaults dropped, or undefined when none is left. */
function given(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Settings a deployment might choose instead of SPEC's defaults, each field at its default half
 * the time: view sizes and the Shuffle period, Plumtree's graft, dispatch and optimisation
 * timers, the substrate's digest, staleness, seed and unused-connection timers, and the
 * network's idle timeout (with a keep-alive of half of it, as the default pair), dial timeout,
 * retransmission floor and dead-peer model. Every detector reads the run's own timers, and
 * random chaos draws its lengths from them (primitives/timing.ts), so a red here is a detector
 * or protocol gap, not a deadline made for the defaults. Latency and loss stay the layout's own
 * (a LAN, or the lossy network it draws): Plumtree's default graft timers are made for a LAN.
 */
export function settingsArb(): fc.Arbitrary<{ readonly node?: Record<string, unknown>; readonly network?: Record<string, unknown> }> {
  return fc
    .record({
      hyparview: fc.record({
        activeViewCapacity: maybe(3, 4, 6, 8),
        passiveViewCapacity: maybe(10, 60),
        shuffleIntervalMs: maybe(10_000, 30_000, 120_000),
        neighborRequestTimeoutMs: maybe(2_000),
      }),
      plumtree: fc.record({
        graftTimeout1Ms: maybe(40, 200, 500),
        graftTimeout2Ms: maybe(100, 250),
        dispatchTimeoutMs: maybe(1, 20, 50),
        optimizationThreshold: maybe(3, 15),
      }),
      substrate: fc.record({
        digestIntervalMs: maybe(1_000, 5_000),
        stalenessTtlMs: maybe(60_000, 90_000),
        prunerIntervalMs: maybe(2_000, 10_000),
        seedCheckIntervalMs: maybe(5_000, 30_000),
        seedRetryBaseMs: maybe(500, 2_000),
        seedRetryMaxMs: maybe(10_000, 60_000),
        unusedConnectionGraceMs: maybe(1_000, 10_000),
      }),
      idleTimeoutMs: maybe(10_000, 20_000, 60_000),
      network: fc.record({ dialTimeoutMs: maybe(2_000, 10_000), rtoMinMs: maybe(100, 500), deadPeer: maybe('reset', 'close') }),
    })
    .map(({ hyparview, plumtree, substrate, idleTimeoutMs, network }) => {
      const node = given({ hyparview: given(hyparview), plumtree: given(plumtree), substrate: given(substrate) });
      const net = given({ ...network, ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs, keepAliveMs: idleTimeoutMs / 2 }) });
      return { ...(node === undefined ? {} : { node }), ...(net === undefined ? {} : { network: net }) };
    });
}

/**
 * A layout case: a scenario file the parser accepts (at least two nodes without the observer),
 * with a main phase of 2–3 virtual minutes so that every chaos event is judged in it.
 */
export function layoutCaseArb(options: LayoutOptions = {}): fc.Arbitrary<LayoutCase> {
  const perRoleMax = Math.max(1, Math.min(options.perRoleMax ?? 12, 12));
  const chaosMax = Math.max(1, Math.min(options.chaosMax ?? 25, 25));
  // Few nodes per role as often as many: small meshes are where assumptions break.
  const count = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: Math.min(3, perRoleMax) }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: perRoleMax }) },
  );
  const roles = fc
    .record(Object.fromEntries(ROLES.map((r) => [r, count])) as Record<(typeof ROLES)[number], fc.Arbitrary<number>>)
    .map((counts) => Object.fromEntries(ROLES.filter((r) => counts[r] > 0).map((r) => [r, counts[r]])))
    .filter((counts) => Object.keys(counts).length > 0);
  const lossy = fc.record({ lossPct: fc.constantFrom(1, 5, 10), latencyMs: fc.constantFrom(5, 20, 50), jitterMs: fc.constantFrom(0, 5, 10) });
  const network = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: lossy });
  return fc
    .record({
      profile: fc.constantFrom('full', 'protocol'),
      meshes: fc.array(roles, { minLength: 1, maxLength: Math.max(1, Math.min(options.meshesMax ?? 4, 4)) }),
      bridges: fc.integer({ min: 0, max: 3 }),
      observer: fc.boolean(),
      bootSpacingMs: fc.constantFrom(0, 5, 20, 50),
      durationMs: fc.constantFrom(120_000, 150_000, 180_000),
      healWindowMs: fc.constantFrom(30_000, 60_000),
      network,
      seed: fc.integer({ min: 1, max: 100_000 }),
      chaos: fc.integer({ min: 1, max: chaosMax }),
      // Drawn last, so that the fields above keep the values a seed gave them before it was
      // drawn. Only the full profile has a peer cache (the protocol profile refuses the switch).
      peerCache: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      // Drawn after everything else, and only when asked for, for the same reason.
      ...(options.settings === true ? { settings: settingsArb() } : {}),
    })
    .map(({ meshes, bridges, observer, network: lossyNet, seed, chaos, peerCache, settings, ...rest }) => {
      const substrate = { ...(settings?.node?.substrate as Record<string, unknown> | undefined), ...(peerCache && rest.profile === 'full' ? { rejoinFromPeerCache: true } : {}) };
      const node = given({ ...settings?.node, substrate: given(substrate) });
      const network = given({ ...settings?.network, ...lossyNet });
      return {
        file: {
          name: 'random-layout',
          ...rest,
          topology: { meshes: meshes.map((r, i) => ({ meshId: `mesh-${String.fromCharCode(97 + i)}`, roles: r })), bridges, observer },
          ...(network === undefined ? {} : { network }),
          ...(node === undefined ? {} : { node }),
        },
        seed: String(seed),
        chaos,
      };
    })
    .filter((c) => parseScenarioJson(c.file).ok);
}

/**
 * Run one case as `meshsim run --scenario FILE --seed S --chaos N` would; with `variant`, every
 * node runs that deliberately broken node instead (canary tests; a scenario file has no field
 * for it).
 */
export function runLayoutCase(c: LayoutCase, variant?: NodeVariant): RunReport {
  const parsed = parseScenarioJson(c.file);
  if (!parsed.ok) throw new Error(`layout refused: ${parsed.error}`);
  const scenario = withChaos(parsed.scenario, { random: { count: c.chaos } });
  return runScenario(variant === undefined ? scenario : { ...scenario, variantOf: () => variant }, c.seed).report;
}

export interface LayoutPropertyOptions extends LayoutOptions {
  readonly numRuns: number;
  readonly seed: number;
  /** Replay one case: the path fast-check printed (with the same seed). */
  readonly path?: string;
  /** Node variant on every node (a deliberately broken one, in canary tests). */
  readonly variant?: NodeVariant;
  /**
   * Go on past a run red only where a topic's overlay stood split (`splitOnly`), listing it in
   * `splits`: for long searches after detector gaps, which would otherwise stop at the
   * protocol's own classes on tiny overlays. Default false: every red is a counterexample.
   */
  readonly passSplits?: boolean;
}

export interface LayoutPropertyResult {
  readonly ok: boolean;
  readonly numRuns: number;
  readonly numShrinks: number;
  readonly seed: number;
  readonly path: string | null;
  /** The shrunk failing case (null when the property held). */
  readonly counterexample: LayoutCase | null;
  /**
   * The counterexample's run (null when the property held). A layout has no file until the
   * caller writes `counterexample.file` somewhere, so its `replay` names the scenario by its
   * name, which `meshsim run` does not know, and without its chaos count: the command that
   * replays it is `npx meshsim run --scenario SAVED.json --seed SEED --chaos CHAOS` with the
   * counterexample's `seed` and `chaos`, which `formatLayoutFailure`'s caller spells.
   */
  readonly report: RunReport | null;
  /** A thrown error (a crash) instead of a failed report. */
  readonly error: string | null;
  /** The node variant the property ran with, when it was given one: a scenario file cannot carry it. */
  readonly variant?: NodeVariant;
  /** With `passSplits`: the runs let through, one line each (case and violations). */
  readonly splits: readonly string[];
}

/**
 * A failed assertion of the same kind, by its detector's own words and diagnosis: a
 * `partition_pair` on a topic whose overlay offered no detour at the apply, or a
 * `partition_subset` side whose origin, or every node it missed, stood in a stranded part of the
 * overlay when its last probe was sent (the event's `split`: every peer they knew was inside the
 * cut or down, so the side could not re-form until the repair).
 */
function assertionOnSplit(e: ChaosEventReport): boolean {
  const message = e.message ?? '';
  if (e.primitive === 'partition_pair') return message.includes('offered no detour at the apply');
  if (e.primitive !== 'partition_subset') return false;
  const side = /^side of (\S+) stopped working during the partition: \d+ probe\(s\) on \S+ missed ([^;]+)/.exec(message);
  if (side === null) return false;
  const stranded = new Set((e.split ?? []).filter((p) => p.stranded).flatMap((p) => p.nodes));
  return stranded.has(side[1]) || side[2].split(', ').every((n) => stranded.has(n));
}

/**
 * True when every violation of a failed run comes from a topic's overlay standing split, as the
 * run's own diagnosis says (scenario/overlay-parts.ts): chaos timeouts whose missing probe
 * deliveries all lie on topics with a part apart when they timed out, failed assertions whose
 * detector says as much (`assertionOnSplit`), the flake budget those alone spent, and
 * overlay-connected with its parts. Anything else (another assertion, a missing delivery on a
 * whole topic, another check) is not.
 */
export function splitOnly(report: RunReport): boolean {
  if (report.verdict === 'pass') return false;
  const log = (report.chaos as { log?: readonly ChaosEventReport[] } | undefined)?.log ?? [];
  if (log.some((e) => e.verdict === 'failed_assertion' && !assertionOnSplit(e))) return false;
  for (const e of log.filter((x) => x.verdict === 'failed_timeout')) {
    const topics = [...(e.missing ?? '').matchAll(/ \(([^()]+)\)/g)].map((m) => m[1]);
    if (topics.length === 0 || !topics.every((t) => e.split?.some((p) => p.meshId === t))) return false;
  }
  return report.violations.every((v) => v.check === 'chaos-detection-timeout' || v.check === 'chaos-flake-budget' || (v.check === 'overlay-connected' && v.message.includes('; apart: ')));
}

/** fast-check over `layoutCaseArb`: every case's run passes (every check and every chaos detection). */
export function checkLayouts(options: LayoutPropertyOptions): LayoutPropertyResult {
  checkRunOptions(options);
  for (const [field, min, max] of [['meshesMax', 1, 4], ['perRoleMax', 1, 12], ['chaosMax', 1, 25]] as const) {
    const value: unknown = options[field];
    const problem = value === undefined ? null : integerProblem(value, field, min, max);
    if (problem !== null) throw new MeshsimInputError(problem);
  }
  if (options.settings !== undefined && typeof options.settings !== 'boolean') throw new MeshsimInputError(`settings must be true or false, got ${JSON.stringify(options.settings)}`);
  const splits: string[] = [];
  const details = fc.check(
    fc.property(layoutCaseArb(options), (c) => {
      const report = runLayoutCase(c, options.variant);
      if (report.verdict === 'pass') return true;
      if (options.passSplits !== true || !splitOnly(report)) return false;
      splits.push(`seed ${c.seed} --chaos ${c.chaos} ${JSON.stringify(c.file)}: ${report.violations.map((v) => `${v.check}: ${v.message}`).join(' | ')}`);
      return true;
    }),
    { numRuns: options.numRuns, seed: options.seed, ...(options.path === undefined ? {} : { path: options.path }) },
  );
  if (!details.failed || details.counterexample === null) {
    return { ok: true, numRuns: details.numRuns, numShrinks: 0, seed: options.seed, path: null, counterexample: null, report: null, error: null, splits };
  }
  const [c] = details.counterexample;
  // The predicate's last call is not necessarily the shrunk case: run the counterexample again.
  let report: RunReport | null = null;
  let error: string | null = null;
  try {
    report = runLayoutCase(c, options.variant);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const variant = options.variant === undefined ? {} : { variant: options.variant };
  return { ok: false, numRuns: details.numRuns, numShrinks: details.numShrinks, seed: details.seed, path: details.counterexamplePath, counterexample: c, report, error, splits, ...variant };
}

/**
 * The counterexample's chaos as a schedule file on the saved layout (`scenario`: the layout
 * file's path as the schedule file will name it, relative to the schedule's directory): each
 * event the run fired, decoded (time, primitive, node names, parameters), with the layout's own
 * main phase, so that `meshsim replay` gives the same trace byte for byte, and goes on giving
 * these events after a code change moves what `--chaos N` draws. `expect` is what the correct
 * node gives: fail, or, for a case found with a broken `variant`, pass (kept under
 * `found.variant`; `--found-variant` replays the failure). Null when there is nothing to decode
 * (the property held, or the run crashed before its report).
 */
export function layoutScheduleOf(result: LayoutPropertyResult, scenario: string): ScheduleFile | null {
  const c = result.counterexample;
  const log = result.report === null ? undefined : chaosReportOf(result.report)?.log;
  const parsed = c === null ? null : parseScenarioJson(c.file);
  if (c === null || log === undefined || parsed === null || !parsed.ok) return null;
  return {
    version: SCHEDULE_FILE_VERSION,
    name: `random-layout-${result.seed}`,
    seed: c.seed,
    scenario,
    durationMs: parsed.scenario.durationMs,
    schedule: log.map((e) => ({ atMs: e.atMs, primitive: e.primitive, targets: e.targets, params: e.params })),
    expect: result.variant === undefined ? 'fail' : 'pass',
    found: {
      ...(result.variant === undefined ? {} : { variant: result.variant }),
      fcSeed: result.seed,
      ...(result.path === null ? {} : { fcPath: result.path }),
      note: `layout property, --chaos ${c.chaos}`,
    },
  };
}

/**
 * Readable failure text: fast-check seed and path, the layout, the violations and the command
 * (`replay`, spelled by the caller for the file it saved the scenario to); with `scheduleReplay`,
 * the command that replays the decoded events too (`layoutScheduleOf`, saved by the caller).
 */
export function formatLayoutFailure(result: LayoutPropertyResult, replay: string, scheduleReplay?: string): string {
  const c = result.counterexample;
  if (c === null) return `property held after ${result.numRuns} runs (seed ${result.seed})`;
  return [
    `property failed after ${result.numRuns} run(s) and ${result.numShrinks} shrink(s)`,
    `  fast-check seed: ${result.seed}  path: ${result.path ?? ''}  (MESHSIM_PROP_SEED=${result.seed} MESHSIM_PROP_PATH=${result.path ?? ''})`,
    `  layout: ${JSON.stringify(c.file)}`,
    `  simulator seed: ${c.seed}  chaos events: ${c.chaos}`,
    '  violations:',
    ...(result.error !== null ? [`    crash: ${result.error}`] : []),
    ...(result.report?.violations ?? []).map((v) => `    ${v.check}: ${v.message}`),
    // A scenario file and `meshsim run` cannot carry a node variant: the command runs the correct
    // node, which the shrunk case shows passing, not the failure (the case with a variant
    // printed a replay that passed).
    result.variant === undefined
      ? `  replay: ${replay}`
      : `  replay with the variant ${JSON.stringify(result.variant)} in code: runLayoutCase(counterexample, variant); ${replay} runs the correct node`,
    ...(scheduleReplay === undefined ? [] : [`  the same events, whatever later code draws: ${scheduleReplay}`]),
  ].join('\n');
}
