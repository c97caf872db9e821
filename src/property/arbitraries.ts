/**
 * fast-check arbitraries for property-based chaos: topologies (1–3 meshes, 4–40 nodes,
 * optional bridges), chaos schedules (timed primitive applications with target INDEXES and
 * parameters, absolute times) and swarm configurations (a random subset of primitives with
 * skewed weights per run). Everything shrinks toward less: fewer meshes and nodes, fewer
 * events (arrays), earlier times (absolute, so removing an event does not move the others),
 * lower target indexes (fewer distinct nodes) and milder parameters. Targets stay indexes
 * here; `decodeCase` (schedule.ts) turns them into node names for one seed's topology.
 * Must not run simulations.
 */
import fc from 'fast-check';
import type { ParamValue, PrimitiveName } from '../primitives/types.js';
import type { MeshLayout, TopologySpec } from '../scenario/topology.js';
import { PRIMITIVE_SHAPES } from './shapes.js';

/** One generated event: targets are indexes into the chaos-eligible nodes (in plan order). */
export interface GeneratedEvent {
  readonly atMs: number;
  readonly primitive: PrimitiveName;
  readonly targets: readonly number[];
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** What one property run executes: a seed, a topology and a schedule of events. */
export interface GeneratedCase {
  readonly seed: string;
  readonly topology: TopologySpec;
  readonly schedule: readonly GeneratedEvent[];
}

export interface SwarmConfig {
  /** Primitives enabled for this run, each with a weight (≥ 1). */
  readonly weights: readonly (readonly [PrimitiveName, number])[];
}

/** `ScheduleOptions`' defaults: events fall between 15 s (the mesh has formed) and 120 s. */
export const SCHEDULE_START_MS_DEFAULT = 15_000;
export const SCHEDULE_END_MS_DEFAULT = 120_000;

export interface ScheduleOptions {
  /** Earliest event time, ms: the mesh has formed by then. Default 15 000. */
  readonly startMs?: number;
  /** Latest event time, ms. Default 120 000. */
  readonly endMs?: number;
  /** Events at most. Default 12. */
  readonly eventsMax?: number;
}

const ROLES = ['gateway', 'broker', 'compute', 'registry'] as const;
const PER_ROLE_MAX = 3;
export const NODES_MIN = 4;
export const NODES_MAX = 40;
const TIME_GRID_MS = 100;
const TARGET_INDEX_MAX = 63;

export interface TopologyOptions {
  /** Meshes at most (1–3). Default 3. */
  readonly meshesMax?: number;
  /** Nodes per role per mesh at most. Default 3. */
  readonly perRoleMax?: number;
  /** Bridges at most. Default 3. */
  readonly bridgesMax?: number;
}

/**
 * 1–3 meshes of the four roles (0–3 nodes each, at least one node per mesh), 0–3 bridges
 * when there are two or more meshes; at least 4 nodes with the observer, at most 40. Options
 * only lower the maxima (CI keeps runs small; long searches use the full range).
 */
export function topologyArb(options: TopologyOptions = {}): fc.Arbitrary<TopologySpec> {
  const perRoleMax = Math.min(options.perRoleMax ?? PER_ROLE_MAX, PER_ROLE_MAX);
  const mesh = fc.array(fc.integer({ min: 0, max: perRoleMax }), { minLength: ROLES.length, maxLength: ROLES.length });
  return fc
    .record({
      meshes: fc.array(mesh, { minLength: 1, maxLength: Math.max(1, Math.min(options.meshesMax ?? 3, 3)) }),
      bridges: fc.integer({ min: 0, max: Math.min(options.bridgesMax ?? 3, 3) }),
    })
    .map(({ meshes, bridges }) => topologyOf(meshes, meshes.length > 1 ? bridges : 0));
}

/** Role counts per mesh → a spec; every mesh gets a node, and the total is at least NODES_MIN. */
export function topologyOf(counts: readonly (readonly number[])[], bridges: number): TopologySpec {
  const fixed = counts.map((c) => (c.some((n) => n > 0) ? [...c] : [1, ...c.slice(1)]));
  let total = 1 + bridges + fixed.reduce((n, c) => n + c.reduce((a, b) => a + b, 0), 0);
  for (let r = 0; total < NODES_MIN; r = (r + 1) % ROLES.length) {
    fixed[0][r]++;
    total++;
  }
  const meshes: MeshLayout[] = fixed.map((c, i) => ({ meshId: `mesh-${String.fromCharCode(97 + i)}`, roles: ROLES.map((role, k) => [role, c[k]] as const) }));
  return { meshes, bridges };
}

/** A swarm: a non-empty subset of `pool`, each with a weight skewed toward low values. */
export function swarmArb(pool: readonly PrimitiveName[]): fc.Arbitrary<SwarmConfig> {
  const weight = fc.oneof({ arbitrary: fc.constant(1), weight: 3 }, { arbitrary: fc.integer({ min: 2, max: 10 }), weight: 1 });
  return fc
    .subarray([...pool], { minLength: 1 })
    .chain((enabled) => fc.tuple(...enabled.map(() => weight)).map((ws) => ({ weights: enabled.map((p, i) => [p, ws[i]] as const) })));
}

/** One event of `primitive`: an absolute time, target indexes, parameters. */
export function eventArb(primitive: PrimitiveName, options: ScheduleOptions = {}): fc.Arbitrary<GeneratedEvent> {
  const shape = PRIMITIVE_SHAPES[primitive];
  const startMs = options.startMs ?? SCHEDULE_START_MS_DEFAULT;
  const endMs = options.endMs ?? SCHEDULE_END_MS_DEFAULT;
  return fc.record({
    atMs: fc.integer({ min: startMs / TIME_GRID_MS, max: endMs / TIME_GRID_MS }).map((k) => k * TIME_GRID_MS),
    primitive: fc.constant(primitive),
    targets: fc.array(fc.integer({ min: 0, max: TARGET_INDEX_MAX }), { minLength: shape.targetsMin, maxLength: shape.targetsMax }),
    params: shape.params,
  });
}

/**
 * A schedule drawn from `pool` (uniform) or from a swarm (weighted), sorted by time. Generated
 * with size 'max' so schedules reach `eventsMax` events rather than fast-check's small default.
 */
export function scheduleArb(source: readonly PrimitiveName[] | SwarmConfig, options: ScheduleOptions = {}): fc.Arbitrary<GeneratedEvent[]> {
  const weights = Array.isArray(source) ? source.map((p) => [p, 1] as const) : (source as SwarmConfig).weights;
  if (weights.length === 0) throw new Error('scheduleArb needs at least one primitive');
  const event = fc.oneof(...weights.map(([p, w]) => ({ arbitrary: eventArb(p, options), weight: w })));
  return fc
    .array(event, { maxLength: options.eventsMax ?? 12, size: 'max' })
    .map((events) => [...events].sort((a, b) => a.atMs - b.atMs));
}

/** A whole case: seed, topology and a schedule from `pool`, optionally through a swarm. */
export function caseArb(pool: readonly PrimitiveName[], options: ScheduleOptions & TopologyOptions & { readonly swarm?: boolean } = {}): fc.Arbitrary<GeneratedCase> {
  const schedule = options.swarm === true ? swarmArb(pool).chain((s) => scheduleArb(s, options)) : scheduleArb(pool, options);
  return fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }).map(String),
    topology: topologyArb(options),
    schedule,
  });
}

