/**
 * Decoding a generated case into a schedule file: target INDEXES become node NAMES of the
 * topology planned for the case's seed (the same plan the cluster will boot), so the saved
 * schedule still names the same nodes after the arbitraries change.
 * The same rules as the engine's own choosers apply, so that a schedule asks the mesh for
 * recovery it can show: never the observer (the universal seed); never a node still under an
 * earlier fault (its window: the fault's own length, then its detection deadline); a
 * destructive fault leaves every role a node outside any fault. An index picks among the free
 * nodes in plan order, wrapping around; a link fault's second node shares a topic with the
 * first. An event left with too few free targets is dropped. Pure: plans topology, runs nothing.
 */
import type { NodeVariant } from '../mesh/config.js';
import { BRIDGE_ROLE, OBSERVER_ROLE, plannedNodes, type NodePlan } from '../scenario/topology.js';
import type { GeneratedCase, GeneratedEvent } from './arbitraries.js';
import { SCHEDULE_FILE_VERSION, type FoundWith, type ScheduleEntry, type ScheduleFile } from './schedule.js';
import { faultLengthMs, PRIMITIVE_SHAPES } from './shapes.js';

export { plannedNodes };

export interface DecodeOptions {
  readonly name: string;
  /** Base scenario from the registry. Default 'default'. */
  readonly scenario?: string;
  readonly variant?: NodeVariant;
  readonly expect?: 'pass' | 'fail';
  readonly found?: FoundWith;
  /**
   * 'per-node' (default): faults may overlap in time on different nodes. 'none': one fault at a
   * time (an event while any fault's window is open is dropped), for properties that require
   * every detection to pass — detectors judge one fault against a healthy rest.
   */
  readonly overlap?: 'per-node' | 'none';
}

/** How long after apply (beyond its own length) a fault's targets count as busy: the longest detection deadline beyond the fault's length (partition_subset: 52 s) plus slack. */
export const FAULT_BUSY_MS = 60_000;

export function decodeCase(c: GeneratedCase, options: DecodeOptions): ScheduleFile {
  const eligible = plannedNodes(c.topology, c.seed).filter((p) => p.role !== OBSERVER_ROLE);
  const busyUntilMs = new Map<NodePlan, number>();
  const schedule: ScheduleEntry[] = [];
  let allBusyUntilMs = 0;
  for (const e of c.schedule) {
    if (options.overlap === 'none' && e.atMs < allBusyUntilMs) continue;
    const free = eligible.filter((p) => (busyUntilMs.get(p) ?? 0) <= e.atMs);
    const entry = decodeEvent(e, free, PRIMITIVE_SHAPES[e.primitive].kills);
    if (entry === null) continue;
    const faultMs = faultLengthMs(e.primitive, e.params);
    for (const p of entry.chosen) busyUntilMs.set(p, e.atMs + faultMs + FAULT_BUSY_MS);
    allBusyUntilMs = e.atMs + faultMs + FAULT_BUSY_MS;
    schedule.push(entry.entry);
  }
  return {
    version: SCHEDULE_FILE_VERSION,
    name: options.name,
    seed: c.seed,
    scenario: options.scenario ?? 'default',
    topology: c.topology,
    ...(options.variant === undefined ? {} : { variant: options.variant }),
    schedule,
    expect: options.expect ?? 'pass',
    ...(options.found === undefined ? {} : { found: options.found }),
  };
}

function decodeEvent(e: GeneratedEvent, free: readonly NodePlan[], destructive: boolean): { entry: ScheduleEntry; chosen: NodePlan[] } | null {
  const shape = PRIMITIVE_SHAPES[e.primitive];
  const chosen: NodePlan[] = [];
  for (const index of e.targets) {
    const base = shape.link && chosen.length === 1 ? linkPeers(chosen[0], free) : shape.sameMesh === true ? ownNodes(free, chosen[0]) : free;
    const pool = base.filter(
      (p) => !chosen.includes(p) && (!destructive || free.some((q) => q !== p && q.role === p.role && !chosen.includes(q))),
    );
    if (pool.length === 0) break;
    chosen.push(pool[index % pool.length]);
  }
  if (shape.sameMesh === true) {
    // Leave at least one of the mesh's own nodes outside the cut.
    while (chosen.length > 0 && chosen.length >= ownNodes(free, chosen[0]).length) chosen.pop();
  }
  if (chosen.length < shape.targetsMin) return null;
  const params =
    e.primitive === 'burst_kill' ? { ...e.params, count: chosen.length } : e.primitive === 'partition_subset' ? { ...e.params, size: chosen.length } : e.params;
  return { entry: { atMs: e.atMs, primitive: e.primitive, targets: chosen.map((p) => p.name), params }, chosen };
}

/** Non-bridge nodes whose own mesh is that of `first` (all non-bridge nodes when no first yet). */
function ownNodes(free: readonly NodePlan[], first: NodePlan | undefined): readonly NodePlan[] {
  return free.filter((p) => p.role !== BRIDGE_ROLE && (first === undefined || p.meshId === first.meshId));
}

/** Nodes sharing a topic with `a` (all others when none do). */
function linkPeers(a: NodePlan, free: readonly NodePlan[]): readonly NodePlan[] {
  return free.filter((p) => p !== a && p.meshIds.some((m) => a.meshIds.includes(m)));
}
