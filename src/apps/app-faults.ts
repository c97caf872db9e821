/**
 * Chaos for node applications users bring: the battery's primitives applied and reverted at
 * given times through the same narrow world (levers) the mesh battery uses. The primitives'
 * detectors read mesh evidence, so none runs here: the application's own assertions over its
 * spans judge recovery. Each fault is recorded as `chaos.primitive.applied` / `reverted` spans
 * (the report's chaos rows). Validation errors are values; must not read any clock but the
 * cluster's scheduler.
 */
import { primitiveByName } from '../primitives/registry.js';
import { validateFault } from '../primitives/schema.js';
import type { ChaosWorld, Fault, PrimitiveName } from '../primitives/types.js';
import { PRIMITIVE_NAMES } from '../primitives/types.js';
import type { NodePlan } from '../scenario/topology.js';
import { assert } from '../sim/assert.js';
import { HARNESS_NODE, type SpanContextRef, type Telemetry } from '../sim/telemetry/index.js';

/** One fault of an application run. */
export interface AppFault {
  /** Virtual time of apply, ms. */
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  /** Nodes by boot-order index (from 0) or by name; a link fault takes two, a subset 3-5. */
  readonly targets: readonly (number | string)[];
  /** The primitive's parameters (see docs/primitives.md); absent ones take its defaults. */
  readonly params?: Readonly<Record<string, number>>;
  /**
   * Revert this long after apply, ms. Default: the primitive's own length (its durationMs,
   * downtimeMs or flap window). kill_node, burst_kill and nat_shift have no length: a killed
   * node stays down (and a shifted address stays) unless this is given; their revert restarts
   * the killed nodes.
   */
  readonly revertAfterMs?: number;
}

/** What happened to one fault. */
export interface AppFaultReport {
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  /** Target node names. */
  readonly targets: readonly string[];
  /** Every parameter, defaults filled in. */
  readonly params: Readonly<Record<string, number>>;
  /** Virtual time of revert, ms; null when it never was. */
  readonly revertedAtMs: number | null;
}

interface Planned {
  readonly entry: AppFault;
  readonly fault: Fault;
  readonly revertAfterMs: number | null;
}

/** Faults checked against the primitives' schemas and the run's nodes: a plan, or one line naming the problem. */
export function planAppFaults(
  entries: readonly AppFault[],
  plans: readonly NodePlan[],
  durationMs: number,
): { readonly ok: true; readonly planned: readonly Planned[] } | { readonly ok: false; readonly error: string } {
  const planned: Planned[] = [];
  for (const [i, entry] of entries.entries()) {
    const where = `faults[${i}]`;
    if (!(PRIMITIVE_NAMES as readonly string[]).includes(entry.primitive)) return { ok: false, error: `${where}.primitive: unknown primitive ${JSON.stringify(entry.primitive)}` };
    if (!Number.isSafeInteger(entry.atMs) || entry.atMs < 0 || entry.atMs >= durationMs) return { ok: false, error: `${where}.atMs must be an integer in [0, ${durationMs - 1}]` };
    const ids: string[] = [];
    for (const [k, t] of entry.targets.entries()) {
      const plan = typeof t === 'number' ? plans[t] : plans.find((p) => p.name === t);
      if (plan === undefined) return { ok: false, error: `${where}.targets[${k}]: no node ${JSON.stringify(t)} (an index below ${plans.length} or a node name)` };
      ids.push(plan.nodeId);
    }
    const primitive = primitiveByName(entry.primitive);
    const checked = validateFault(primitive.spec, ids, entry.params ?? {}, where);
    if (!checked.ok) return { ok: false, error: checked.error };
    const fault: Fault = { targets: ids, params: checked.values };
    const after = entry.revertAfterMs;
    if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) return { ok: false, error: `${where}.revertAfterMs must be a non-negative integer` };
    const policy = primitive.revertPolicy(fault);
    planned.push({ entry, fault, revertAfterMs: after ?? (policy === 'after-detection' ? null : policy.afterMs) });
  }
  return { ok: true, planned };
}

/** Applies and reverts planned faults on schedule; knows which nodes are under a fault. */
export class AppFaults {
  private readonly applied: { readonly planned: Planned; span: SpanContextRef | null; revertedAtMs: number | null }[] = [];

  constructor(
    private readonly world: ChaosWorld,
    private readonly telemetry: Telemetry,
  ) {}

  schedule(planned: readonly Planned[]): void {
    for (const p of planned) this.world.after(p.entry.atMs - this.world.nowMs(), () => this.apply(p));
  }

  /** True while `nodeId` is the target of an applied, unreverted fault. */
  isFaulted(nodeId: string): boolean {
    return this.applied.some((a) => a.revertedAtMs === null && a.planned.fault.targets.includes(nodeId));
  }

  reports(): AppFaultReport[] {
    return this.applied.map(({ planned, revertedAtMs }) => ({
      atMs: planned.entry.atMs,
      primitive: planned.entry.primitive,
      targets: planned.fault.targets.map((id) => this.world.nameOf(id)),
      params: planned.fault.params as Readonly<Record<string, number>>,
      revertedAtMs,
    }));
  }

  private apply(planned: Planned): void {
    const primitive = primitiveByName(planned.entry.primitive);
    const { fault } = planned;
    assert(this.world.nowMs() === planned.entry.atMs, `fault ${primitive.name} applied at ${this.world.nowMs()} ms, planned for ${planned.entry.atMs}`);
    assert(fault.targets.every((id) => this.world.nodes.some((p) => p.nodeId === id)), `fault ${primitive.name} targets a node outside the run`);
    const span = this.telemetry.emit(HARNESS_NODE, 'chaos.primitive.applied', {
      name: primitive.name,
      targets: fault.targets.map((id) => this.world.nameOf(id)).join(','),
      params: JSON.stringify(fault.params),
    });
    const record = { planned, span: span === null ? null : { traceId: span.traceId, spanId: span.spanId }, revertedAtMs: null as number | null };
    this.applied.push(record);
    primitive.apply(this.world, fault);
    if (planned.revertAfterMs !== null) {
      this.world.after(planned.revertAfterMs, () => {
        assert(record.revertedAtMs === null, `fault ${primitive.name} reverted twice`);
        primitive.revert(this.world, fault);
        record.revertedAtMs = this.world.nowMs();
        this.telemetry.emit(HARNESS_NODE, 'chaos.primitive.reverted', { name: primitive.name }, { parent: record.span });
      });
    }
  }
}
