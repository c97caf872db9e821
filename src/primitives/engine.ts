/**
 * The chaos engine: fires primitives on a schedule (explicit, random, or a soak that fires one
 * every interval), applies them, polls their detectors until a verdict or the deadline, reverts
 * them, and records each event as `chaos.primitive.applied|detected|reverted` spans in one trace
 * (detected links to the evidence spans and has one `chaos.primitive.evidence` child per linked
 * evidence span, emitted on the evidence node). It plugs into a run as a RunExtension.
 * It never judges recovery itself: verdicts come from the primitives' detectors.
 */
import type { RunContext, RunExtension, RunExtensionFactory } from '../scenario/scenario.js';
import type { Violation } from '../scenario/checker.js';
import { describeSplit, splitWorldOf, splitParts, type SplitPart } from '../scenario/overlay-parts.js';
import type { SimRng } from '../sim/rng.js';
import { HARNESS_NODE, type SpanContextRef, type SpanRecord } from '../sim/telemetry/index.js';
import { assert } from '../sim/assert.js';
import { timeoutVerdict } from './evidence.js';
import { primitiveByName, specOf, unknownPrimitive } from './registry.js';
import { judgeableIn, validateFault } from './schema.js';
import { DETECTOR_POLL_MS } from './timing.js';
import { PRIMITIVE_NAMES, settledClean, type ChaosWorld, type Detector, type Fault, type ParamValue, type Primitive, type PrimitiveName, type Verdict } from './types.js';
import { chaosWorldOf } from './world.js';
import { integerProblem, MeshsimInputError } from '../io/input-error.js';

/** One planned chaos event. Without `fault`, targets and parameters are drawn when it fires. */
export interface ChaosEventPlan {
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  /** Decoded fault with node NAMES as targets (as written in schedules and seed files). */
  readonly fault?: { readonly targets: readonly string[]; readonly params: Readonly<Record<string, ParamValue>> };
  readonly overrides?: Readonly<Record<string, ParamValue>>;
}

export interface ChaosConfig {
  /** Explicit events. */
  readonly events?: readonly ChaosEventPlan[];
  /** Fire `count` random primitives from `pool` at random times in the main phase (`--chaos N`). */
  readonly random?: { readonly count: number; readonly pool?: readonly PrimitiveName[] };
  /** Fire one primitive from `pool` every `intervalMs`, keeping every role alive (SPEC §6). */
  readonly soak?: { readonly pool: readonly PrimitiveName[]; readonly intervalMs: number; readonly startMs?: number };
  /** Share of decided events allowed to fail by assertion, percent. Default 0. Timeouts never pass. */
  readonly flakeBudgetPct?: number;
}

export interface ChaosEventReport {
  readonly id: number;
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  readonly targets: readonly string[];
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly verdict: Verdict['result'] | 'pending';
  readonly waitedMs: number;
  readonly message?: string;
  /** A timeout's evidence still missing at the end of the run (as in its violation). */
  readonly missing?: string;
  /**
   * A timeout's overlay parts apart from the rest when it timed out, and whether each was
   * stranded (scenario/overlay-parts.ts); a failed assertion's where its detector read them (a
   * `partition_subset` side's, when its last probe was sent). Absent when every topic's overlay
   * was whole, or the detector read none.
   */
  readonly split?: readonly SplitPart[];
  readonly revertedAtMs: number | null;
  readonly evidence: readonly string[];
  readonly deadlineMs: number;
  readonly deadlineFormula: string;
  readonly evidenceRule: string;
}

/** What the chaos engine adds to a run's report, under `chaos`. */
export interface ChaosRunReport {
  /** Events applied. */
  readonly events: number;
  readonly passed: number;
  /**
   * Events whose detector passed on no evidence span: every node that could show the fault was
   * down or under another fault. Neither passed nor failed, and outside the flake budget.
   */
  readonly unobserved: number;
  readonly failedTimeout: number;
  readonly failedAssertion: number;
  /** Events that found no fitting target when due, and were not applied. */
  readonly skipped: number;
  /**
   * Of those, the scheduled ones (targets named: a schedule file, a decoded case) with a target
   * down when due, each with the reason; absent when there were none.
   */
  readonly skippedScheduled?: readonly ScheduledSkip[];
  readonly flakeBudgetPct: number;
  /** Every applied event, in order, with its verdict and evidence. */
  readonly log: readonly ChaosEventReport[];
}

/** A scheduled event not applied: a target was down when it was due. */
export interface ScheduledSkip {
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  readonly targets: readonly string[];
  /** Which target, and the event that took it down if one did: `compute-1 was down (under #3 kill_node)`. */
  readonly reason: string;
}

/** A run report's chaos section, typed (`RunReport` keeps extensions' sections as `unknown`); undefined for a run without chaos. */
export function chaosReportOf(report: { readonly [key: string]: unknown }): ChaosRunReport | undefined {
  return report.chaos as ChaosRunReport | undefined;
}

interface ActiveEvent {
  readonly id: number;
  readonly primitive: Primitive;
  readonly fault: Fault;
  readonly appliedAtMs: number;
  readonly detector: Detector;
  readonly span: SpanContextRef;
  verdict: Verdict | null;
  evidence: readonly SpanRecord[];
  revertedAtMs: number | null;
  /** Set when the detection times out (`splitParts` at that moment), or by a failure's detector. */
  split: readonly SplitPart[];
}

const EVIDENCE_LINKS_MAX = 8;

export class ChaosEngine implements RunExtension {
  private readonly events: ActiveEvent[] = [];
  private readonly skipped: { atMs: number; primitive: PrimitiveName }[] = [];
  private readonly skippedScheduled: ScheduledSkip[] = [];
  private readonly rng: SimRng;
  readonly world: ChaosWorld;

  /** The share of decided events allowed to fail by assertion: the first config's that sets one. */
  private readonly flakeBudgetPct: number;

  /**
   * One engine per run, whatever the number of configs (a scenario's own chaos and `--chaos N`
   * on top): every event must see the others' faults (`isFaulted`) to pick its targets and to
   * excuse what they did, and the run reports one chaos section. Configs act in order.
   */
  constructor(
    private readonly ctx: RunContext,
    private readonly configs: readonly ChaosConfig[],
  ) {
    this.flakeBudgetPct = configs.find((c) => c.flakeBudgetPct !== undefined)?.flakeBudgetPct ?? 0;
    this.rng = ctx.cluster.rng.stream('chaos');
    this.world = chaosWorldOf(ctx.cluster, {
      probe: (meshId, origin) => ctx.probe(meshId, origin),
      isFaulted: (nodeId) => this.isFaulted(nodeId),
      isProtected: (nodeId) => ctx.protectedNodes.has(nodeId),
    });
  }

  start(): void {
    for (const config of this.configs) this.startConfig(config);
  }

  private startConfig(config: ChaosConfig): void {
    const s = this.ctx.cluster.scheduler;
    const profile = this.ctx.scenario.profile ?? 'full';
    for (const plan of config.events ?? []) {
      const spec = specOf(plan.primitive);
      if (!judgeableIn(spec, profile)) throw new ChaosConfigError(`${plan.primitive} cannot be judged in the ${profile} profile: its evidence is the full profile's ${spec.substrateEvidence} (SPEC §10.1)`);
      s.at(plan.atMs, () => this.fire(plan));
    }
    // Draws leave out what the profile cannot judge; the full profile draws from every pool whole.
    const judgeable = (pool: readonly PrimitiveName[], what: string): readonly PrimitiveName[] => {
      const kept = pool.filter((p) => judgeableIn(specOf(p), profile));
      if (kept.length === 0) throw new ChaosConfigError(`no primitive of the ${what} pool (${pool.join(', ')}) can be judged in the ${profile} profile`);
      return kept;
    };
    const random = config.random;
    if (random !== undefined && random.count > 0) {
      const pool = judgeable(random.pool ?? DEFAULT_RANDOM_POOL, 'random');
      const lo = Math.min(10_000, this.ctx.mainEndMs);
      const hi = Math.max(lo, this.ctx.mainEndMs - 5_000);
      const times = Array.from({ length: random.count }, () => this.rng.rangeInclusive(lo, hi)).sort((a, b) => a - b);
      for (const atMs of times) {
        const primitive = this.rng.pick(pool);
        s.at(atMs, () => this.fire({ atMs, primitive }));
      }
    }
    const soak = config.soak;
    if (soak !== undefined) {
      const fires = Math.ceil((this.ctx.mainEndMs - (soak.startMs ?? soak.intervalMs)) / soak.intervalMs);
      if (fires > SOAK_EVENTS_MAX) throw new ChaosConfigError(`the chaos soak would fire ${fires} events (one every ${soak.intervalMs} ms), more than ${SOAK_EVENTS_MAX}: lengthen its intervalMs`);
      const pool = judgeable(soak.pool, 'soak');
      for (let atMs = soak.startMs ?? soak.intervalMs; atMs < this.ctx.mainEndMs; atMs += soak.intervalMs) {
        s.at(atMs, () => {
          this.keepRolesAlive();
          this.fire({ atMs, primitive: this.rng.pick(pool) });
        });
      }
    }
  }

  /**
   * After the main phase and the settle wait: revert whatever is still applied, so the heal
   * window starts fault-free. Normally nothing is left: fixed-duration faults revert on their
   * own schedule and kills revert when their detection settles.
   */
  finish(): void {
    for (const e of this.events) if (e.revertedAtMs === null) this.revert(e);
  }

  /** True once every detection has a verdict and every fault is reverted. */
  settled(): boolean {
    return this.events.every((e) => e.verdict !== null && e.revertedAtMs !== null);
  }

  /** The latest deadline of a pending detection or scheduled revert, ms of virtual time (0 when none). */
  pendingUntilMs(): number {
    const times = this.events.flatMap((e) => {
      const policy = e.primitive.revertPolicy(e.fault);
      const out: number[] = [];
      if (e.verdict === null) out.push(e.appliedAtMs + e.detector.deadlineMs);
      if (e.revertedAtMs === null && policy !== 'after-detection') out.push(e.appliedAtMs + policy.afterMs);
      return out;
    });
    return Math.max(0, ...times);
  }

  violations(): Violation[] {
    const out: Violation[] = [];
    for (const e of this.events) {
      if (e.verdict === null) this.timeOut(e);
    }
    // An unobserved event is neither passed nor failed: the budget is a share of the others.
    const decided = this.events.filter((e) => e.verdict!.result !== 'unobserved').length;
    const timeouts = this.events.filter((e) => e.verdict!.result === 'failed_timeout');
    const passedCount = this.events.filter((e) => e.verdict!.result === 'passed').length;
    for (const e of timeouts) {
      const missing = e.detector.missing?.() ?? '';
      const split = e.split.length === 0 ? '' : `; apart from the rest of their overlay when it timed out: ${describeSplit(e.split)}`;
      out.push({
        check: 'chaos-detection-timeout',
        message: `${describe(this, e)}: no recovery evidence within ${e.detector.deadlineMs} ms (${e.detector.deadlineFormula})${missing === '' ? '' : `; still missing: ${missing}`}${split}`,
      });
    }
    const budget = this.flakeBudgetPct;
    if (decided > 0 && passedCount * 100 < decided * (100 - budget)) {
      const failures = this.events.filter((e) => e.verdict!.result === 'failed_assertion');
      // Timeouts have a violation of their own each (above); a budget spent on them alone says so
      // instead of ending on an empty list.
      const named = failures.map((e) => `${describe(this, e)}: ${(e.verdict as { message: string }).message}`);
      if (timeouts.length > 0) named.push(`${timeouts.length} timed out (chaos-detection-timeout)`);
      out.push({ check: 'chaos-flake-budget', message: `${passedCount}/${decided} chaos events passed (budget ${budget}% failures); ${named.join('; ')}` });
    }
    return out;
  }

  report(): { chaos: ChaosRunReport } {
    const count = (r: Verdict['result']): number => this.events.filter((e) => e.verdict?.result === r).length;
    return {
      chaos: {
        events: this.events.length,
        passed: count('passed'),
        unobserved: count('unobserved'),
        failedTimeout: count('failed_timeout'),
        failedAssertion: count('failed_assertion'),
        skipped: this.skipped.length,
        ...(this.skippedScheduled.length > 0 ? { skippedScheduled: this.skippedScheduled } : {}),
        flakeBudgetPct: this.flakeBudgetPct,
        log: this.eventReports(),
      },
    };
  }

  eventReports(): ChaosEventReport[] {
    const name = (id: string): string => this.ctx.cluster.nameOf(id);
    return this.events.map((e) => ({
      id: e.id,
      atMs: e.appliedAtMs,
      primitive: e.primitive.name,
      targets: e.fault.targets.map(name),
      params: e.fault.params,
      verdict: e.verdict?.result ?? 'pending',
      waitedMs: e.verdict?.waitedMs ?? 0,
      ...(e.verdict?.result === 'failed_assertion' ? { message: e.verdict.message } : {}),
      ...(e.verdict?.result === 'failed_timeout' ? { missing: e.detector.missing?.() ?? '' } : {}),
      ...(e.split.length > 0 ? { split: e.split } : {}),
      revertedAtMs: e.revertedAtMs,
      evidence: e.evidence.slice(0, EVIDENCE_LINKS_MAX).map((s) => `${s.node}:${s.name}@${s.endMs}`),
      deadlineMs: e.detector.deadlineMs,
      deadlineFormula: e.detector.deadlineFormula,
      evidenceRule: e.detector.evidence,
    }));
  }

  /** Fire one event now. Returns the event id, or null when the primitive found no target. */
  fire(plan: ChaosEventPlan): number | null {
    const primitive = primitiveByName(plan.primitive);
    const fault = plan.fault !== undefined ? this.decode(primitive, plan.fault) : primitive.choose(this.world, this.ctx.cluster.rng.stream(`chaos:${plan.primitive}`), plan.overrides);
    if (fault === null) {
      this.skipped.push({ atMs: this.world.nowMs(), primitive: plan.primitive });
      return null;
    }
    // A scheduled event names its targets; one that is down when due (a kill or a burst left it
    // stopped) is no fitting target, as `choose` never picks one: nothing can be done to it, and
    // the verdict would judge the schedule, not the mesh (a kill at 60 s and a burst at 62 s
    // naming the dead node again failed the burst when the kill's revert revived it: "came back
    // before the mesh was seen to notice"). A decoded schedule replays a random run, where this
    // never happened, until a later build settles an event later than the run it was cut from
    // did. Other overlaps on a running node (a disk filling inside a subset cut) are applied:
    // compound faults are what a schedule is for.
    const down = plan.fault === undefined ? undefined : fault.targets.find((t) => this.world.status(t) === 'stopped');
    if (down !== undefined) {
      const nowMs = this.world.nowMs();
      const by = this.holderOf(down);
      this.skipped.push({ atMs: nowMs, primitive: plan.primitive });
      this.skippedScheduled.push({ atMs: nowMs, primitive: plan.primitive, targets: plan.fault!.targets, reason: `${this.ctx.cluster.nameOf(down)} was down${by === undefined ? '' : ` (under #${by.id} ${by.primitive.name})`}` });
      return null;
    }
    const tel = this.ctx.cluster.telemetry;
    const nowMs = this.world.nowMs();
    const applied = tel.emit(HARNESS_NODE, 'chaos.primitive.applied', {
      name: primitive.name,
      targets: fault.targets.map((t) => this.ctx.cluster.nameOf(t)).join(','),
      params: JSON.stringify(fault.params),
    })!;
    primitive.apply(this.world, fault);
    const event: ActiveEvent = {
      id: this.events.length + 1,
      primitive,
      fault,
      appliedAtMs: nowMs,
      detector: primitive.detector(this.world, fault, nowMs),
      span: { traceId: applied.traceId, spanId: applied.spanId },
      verdict: null,
      evidence: [],
      revertedAtMs: null,
      split: [],
    };
    this.events.push(event);
    const policy = primitive.revertPolicy(fault);
    if (policy !== 'after-detection') this.ctx.cluster.scheduler.after(policy.afterMs, () => this.revert(event));
    this.ctx.cluster.scheduler.after(DETECTOR_POLL_MS, () => this.poll(event));
    return event.id;
  }

  private poll(e: ActiveEvent): void {
    if (e.verdict !== null) return;
    const nowMs = this.world.nowMs();
    const detection = e.detector.poll(nowMs);
    if (detection !== null) {
      e.split = detection.split ?? [];
      this.settle(e, detection.verdict, detection.evidence);
    }
    else if (nowMs - e.appliedAtMs >= e.detector.deadlineMs) this.timeOut(e);
    else this.ctx.cluster.scheduler.after(DETECTOR_POLL_MS, () => this.poll(e));
  }

  /** Past the deadline with no verdict: a timeout, with the overlay parts apart at that moment. */
  private timeOut(e: ActiveEvent): void {
    e.split = splitParts(splitWorldOf(this.ctx.cluster));
    this.settle(e, timeoutVerdict(this.world.nowMs() - e.appliedAtMs), []);
  }

  private settle(e: ActiveEvent, given: Verdict, evidence: readonly SpanRecord[]): void {
    // A pass that shows no span is no pass: every node that could have shown the fault and the
    // recovery was down or under another fault when the detector looked, and each was excused
    // (a kill whose survivors other events had all firewalled, shifted or wedged by the time its
    // probe round was due, in random layouts under heavy chaos). Reported as unobserved.
    const verdict: Verdict = given.result === 'passed' && evidence.length === 0 ? { result: 'unobserved', waitedMs: given.waitedMs } : given;
    e.verdict = verdict;
    e.evidence = evidence;
    const linked = evidence.slice(0, EVIDENCE_LINKS_MAX);
    const detected = this.ctx.cluster.telemetry.emit(
      HARNESS_NODE,
      'chaos.primitive.detected',
      {
        name: e.primitive.name,
        result: verdict.result,
        waitedMs: verdict.waitedMs,
        ...(verdict.result === 'failed_assertion' ? { message: verdict.message } : {}),
      },
      { parent: e.span, links: linked.map((s) => ({ traceId: s.traceId, spanId: s.spanId })) },
    );
    // One child of `detected` per linked evidence span, on the evidence node's resource, so a
    // trace viewer shows the evidence under the chaos event's trace (links alone are often hidden).
    if (detected !== null) {
      for (const s of linked) {
        this.ctx.cluster.telemetry.emit(
          s.node,
          'chaos.primitive.evidence',
          { name: e.primitive.name, evidenceName: s.name, evidenceNode: s.node, evidenceSpanId: s.spanId, evidenceTraceId: s.traceId, evidenceAtMs: s.endMs },
          { parent: { traceId: detected.traceId, spanId: detected.spanId }, links: [{ traceId: s.traceId, spanId: s.spanId }] },
        );
      }
    }
    if (e.revertedAtMs === null && e.primitive.revertPolicy(e.fault) === 'after-detection') this.revert(e);
  }

  private revert(e: ActiveEvent): void {
    if (e.revertedAtMs !== null) return;
    e.revertedAtMs = this.world.nowMs();
    e.primitive.revert(this.world, e.fault);
    this.ctx.cluster.telemetry.emit(HARNESS_NODE, 'chaos.primitive.reverted', { name: e.primitive.name }, { parent: e.span });
  }

  /**
   * A node is faulted from apply until its event is both reverted and passed (or unobserved:
   * nothing was seen wrong). An event that failed keeps its targets faulted for the rest of the
   * run: its recovery was never seen, so later events neither pick them nor send probes from
   * them nor wait for them to receive one.
   * The failure is reported once, by that event (and by the end-of-run checks, which do not
   * read this), instead of again by every later event whose round would wait for its node.
   */
  private isFaulted(nodeId: string): boolean {
    return this.holderOf(nodeId) !== undefined;
  }

  /** The event holding `nodeId` (`isFaulted`), if any: the first such. */
  private holderOf(nodeId: string): ActiveEvent | undefined {
    return this.events.find((e) => (e.revertedAtMs === null || e.verdict === null || !settledClean(e.verdict.result)) && e.fault.targets.includes(nodeId));
  }

  /** An explicit fault was validated against the primitive's spec when its schedule was read; check again (a bug otherwise). */
  private decode(primitive: Primitive, fault: NonNullable<ChaosEventPlan['fault']>): Fault {
    const checked = validateFault(primitive.spec, fault.targets, fault.params, 'fault');
    if (!checked.ok) assert(false, `schedule event not validated: ${checked.error}`);
    const byName = new Map(this.ctx.cluster.plans.map((p) => [p.name, p.nodeId]));
    const targets = fault.targets.map((t) => {
      const id = byName.get(t);
      if (id === undefined) throw new Error(`schedule names unknown node ${t}`);
      return id;
    });
    return { targets, params: fault.params };
  }

  /** Soak rule: every role keeps at least one node up; respawn one where a role has none. */
  private keepRolesAlive(): void {
    const cluster = this.ctx.cluster;
    const roles = [...new Set(cluster.plans.map((p) => p.role))];
    for (const role of roles) {
      const ofRole = cluster.plans.filter((p) => p.role === role);
      if (ofRole.some((p) => cluster.host(p.nodeId).status !== 'stopped')) continue;
      const dead = ofRole.find((p) => !this.isFaulted(p.nodeId)) ?? ofRole[0];
      cluster.host(dead.nodeId).start();
    }
  }
}

/** Background chaos for `--chaos N` draws from every primitive. */
export const DEFAULT_RANDOM_POOL: readonly PrimitiveName[] = PRIMITIVE_NAMES;

/** A chaos configuration the run's scenario cannot carry out (one line, for the caller to show). */
export class ChaosConfigError extends MeshsimInputError {
  override readonly name = 'ChaosConfigError';
}

function describe(engine: ChaosEngine, e: ActiveEvent): string {
  return `#${e.id} ${e.primitive.name}@${e.appliedAtMs}ms [${e.fault.targets.map((t) => engine.world.nameOf(t)).join(',')}]`;
}

/** A RunExtension factory for scenarios. */
export function chaosExtension(...configs: ChaosConfig[]): ChaosExtension {
  configs.forEach((config, i) => checkChaosConfig(config, configs.length === 1 ? 'chaos' : `chaos[${i}]`));
  return Object.assign((ctx: RunContext): RunExtension => new ChaosEngine(ctx, configs), {
    chaosConfigs: configs,
    endsEarly: (durationMs: number) => chaosEndsEarly(configs, durationMs),
  });
}

/** The chaos engine's extension factory, with the configs it runs (so more can join the same engine). */
export type ChaosExtension = RunExtensionFactory & { readonly chaosConfigs: readonly ChaosConfig[] };

/** Random chaos events one config may ask for (`--chaos N` takes the same). */
export const CHAOS_RANDOM_MAX = 1_000;
/** Soak events one run may fire, and the shortest soak interval, ms (the SPEC's soak: one every 10 s). */
export const SOAK_EVENTS_MAX = 10_000;
export const SOAK_INTERVAL_MS_MIN = 1_000;
const CHAOS_AT_MS_MAX = 86_400_000;

/**
 * Checks a chaos config from a caller (a scenario built in code, `withChaos`): primitives that
 * exist, explicit faults that fit their primitive's schema, overrides among its parameters,
 * counts and intervals that bound the run. A ChaosConfigError names the field; nothing here
 * depends on the run (`chaosEndsEarly` and the engine's start check what does).
 */
export function checkChaosConfig(config: ChaosConfig, where = 'chaos'): void {
  const bad = (message: string): never => {
    throw new ChaosConfigError(`${where}.${message}`);
  };
  if (typeof config !== 'object' || config === null) throw new ChaosConfigError(`${where} must be an object with events, random or soak`);
  const known = new Set(['events', 'random', 'soak', 'flakeBudgetPct']);
  const unknown = Object.keys(config).find((k) => !known.has(k));
  if (unknown !== undefined) bad(`${unknown} is no field of a chaos config (events, random, soak, flakeBudgetPct)`);
  const primitive = (name: unknown, field: string): PrimitiveName => {
    if (!PRIMITIVE_NAMES.includes(name as PrimitiveName)) bad(`${field}: ${unknownPrimitive(name)}`);
    return name as PrimitiveName;
  };
  const pool = (names: unknown, field: string): void => {
    if (!Array.isArray(names) || names.length === 0) bad(`${field} must be a non-empty array of primitive names`);
    (names as unknown[]).forEach((n, i) => primitive(n, `${field}[${i}]`));
  };
  const integerIn = (v: unknown, field: string, min: number, max: number): void => {
    const problem = integerProblem(v, field, min, max);
    if (problem !== null) bad(problem);
  };
  if (config.events !== undefined) {
    if (!Array.isArray(config.events)) bad('events must be an array');
    config.events.forEach((e, i) => {
      const field = `events[${i}]`;
      const spec = specOf(primitive(e?.primitive, `${field}.primitive`));
      integerIn(e.atMs, `${field}.atMs`, 0, CHAOS_AT_MS_MAX);
      if (e.fault !== undefined) {
        if (!Array.isArray(e.fault.targets) || typeof e.fault.params !== 'object' || e.fault.params === null) bad(`${field}.fault must be { targets: [names], params: {…} }`);
        const checked = validateFault(spec, e.fault.targets, e.fault.params, `${where}.${field}.fault`);
        if (!checked.ok) throw new ChaosConfigError(checked.error);
      }
      for (const [key, value] of Object.entries(e.overrides ?? {})) {
        const param = spec.params.find((p) => p.name === key);
        if (param === undefined) bad(`${field}.overrides.${key} is no parameter of ${spec.name} (${spec.params.map((p) => p.name).join(', ') || 'it takes none'})`);
        integerIn(value, `${field}.overrides.${key}`, param!.min, param!.max);
      }
    });
  }
  if (config.random !== undefined) {
    integerIn(config.random.count, 'random.count', 1, CHAOS_RANDOM_MAX);
    if (config.random.pool !== undefined) pool(config.random.pool, 'random.pool');
  }
  if (config.soak !== undefined) {
    pool(config.soak.pool, 'soak.pool');
    integerIn(config.soak.intervalMs, 'soak.intervalMs', SOAK_INTERVAL_MS_MIN, CHAOS_AT_MS_MAX);
    if (config.soak.startMs !== undefined) integerIn(config.soak.startMs, 'soak.startMs', 0, CHAOS_AT_MS_MAX);
  }
  if (config.flakeBudgetPct !== undefined && !(typeof config.flakeBudgetPct === 'number' && config.flakeBudgetPct >= 0 && config.flakeBudgetPct <= 100)) {
    bad(`flakeBudgetPct must be a number in [0, 100], got ${JSON.stringify(config.flakeBudgetPct)}`);
  }
}

/**
 * Why a main phase of `durationMs` would leave out part of these configs (null when it would
 * not): an explicit event due at or after its end never fires (the schedule files' rule), nor a
 * soak whose first event is; random events are drawn inside the main phase.
 */
export function chaosEndsEarly(configs: readonly ChaosConfig[], durationMs: number): string | null {
  let index = 0;
  for (const config of configs) {
    for (const plan of config.events ?? []) {
      if (plan.atMs >= durationMs) return `chaos event ${index} (${plan.primitive}) is due at ${plan.atMs} ms, not inside the main phase (durationMs ${durationMs}): it would never fire`;
      index++;
    }
    const soak = config.soak;
    if (soak !== undefined && (soak.startMs ?? soak.intervalMs) >= durationMs) {
      return `the chaos soak's first event is due at ${soak.startMs ?? soak.intervalMs} ms, not inside the main phase (durationMs ${durationMs}): it would never fire`;
    }
  }
  return null;
}

/**
 * `extensions` with `config` added to the run's one chaos engine, made if there is none yet. A
 * second engine beside the first would not see its faults: its choosers could pick a node the
 * first is damaging, and its detectors would wait for nodes the first had cut off.
 */
export function addChaos(extensions: readonly RunExtensionFactory[], config: ChaosConfig): RunExtensionFactory[] {
  const at = extensions.findIndex((e) => 'chaosConfigs' in e);
  if (at < 0) return [...extensions, chaosExtension(config)];
  const out = [...extensions];
  out[at] = chaosExtension(...(extensions[at] as ChaosExtension).chaosConfigs, config);
  return out;
}
