/**
 * Topology plans: which nodes exist, their roles and meshes, the topics each joins, the boot
 * order (observer first, then 50 ms apart) and each node's seeds (SPEC §2.1). A plan is pure
 * data drawn from the run's 'topology' stream, so the same seed gives the same cluster.
 */
import { RngStreams, type SimRng } from '../sim/rng.js';
import { assert } from '../sim/assert.js';
import { internedId } from '../protocol/hex-ids.js';

export const OBSERVER_ROLE = 'observer';
export const BRIDGE_ROLE = 'bridge';
export const ADMIN_MESH = 'admin';
export const BRIDGE_MESH = 'bridge';

export interface MeshLayout {
  readonly meshId: string;
  /** Role → count, in a fixed order. */
  readonly roles: readonly (readonly [string, number])[];
}

export interface TopologySpec {
  readonly meshes: readonly MeshLayout[];
  /** Bridges join every mesh (plus their own `bridge` mesh). Default 0. */
  readonly bridges: number;
  /** Boot spacing between nodes, ms. Default 50 (SPEC §2.1). */
  readonly bootSpacingMs?: number;
  /** Whether the observer (admin node, joins every topic) exists. Default true. */
  readonly observer?: boolean;
}

export interface SeedPlan {
  readonly index: number;
  readonly meshIds: readonly string[];
}

export interface NodePlan {
  readonly index: number;
  readonly nodeId: string;
  readonly name: string;
  readonly role: string;
  readonly meshId: string;
  /** Topics (mesh ids) the node subscribes to, its own first. */
  readonly meshIds: readonly string[];
  readonly bootAtMs: number;
  readonly seeds: readonly SeedPlan[];
}

const FOUR_ROLES = ['gateway', 'broker', 'compute', 'registry'] as const;

/** A mesh with `perRole` nodes of each of the four roles. */
export function standardMesh(meshId: string, perRole: number): MeshLayout {
  return { meshId, roles: FOUR_ROLES.map((r) => [r, perRole] as const) };
}

/** The default layout: two meshes of 8 joined by 2 bridges, plus the observer. */
export const DEFAULT_TOPOLOGY: TopologySpec = {
  meshes: [standardMesh('mesh-a', 2), standardMesh('mesh-b', 2)],
  bridges: 2,
};

/**
 * The observer seeds the first this-many nodes of each mesh only (SPEC §10.1: no node is every
 * node's seed). Every node of the default 18-node layout is within it, so that layout keeps
 * the observer as its universal seed.
 */
export const OBSERVER_SEEDED_PER_MESH = 32;
/** Same-mesh seeds per node, drawn from the nodes of its mesh started before it (SPEC §2.1). */
const MESH_SEEDS_PER_NODE = 2;
/**
 * Up to this many started nodes, seeds are drawn by shuffling the started list, as before:
 * that keeps the trace digests of every existing seed. Beyond it the shuffle would make
 * planning O(n²), so seeds are two distinct uniform draws (O(1) per node).
 */
const SHUFFLE_PICK_MAX = 64;

/** Time between two nodes' boots when a topology does not say (`bootSpacingMs`), ms. */
export const DEFAULT_BOOT_SPACING_MS = 50;

export function planTopology(spec: TopologySpec, rng: SimRng): NodePlan[] {
  const spacingMs = spec.bootSpacingMs ?? DEFAULT_BOOT_SPACING_MS;
  const withObserver = spec.observer ?? true;
  const meshIds = spec.meshes.map((m) => m.meshId);
  const plans: NodePlan[] = [];
  const names = new Set<string>();
  const add = (role: string, meshId: string, topics: string[], seeds: SeedPlan[]): void => {
    const nodeId = internedId(rng.hex(32)); // compared by pointer from now on (see internedId)
    const index = plans.length;
    const name = uniqueName(role, nodeId, names);
    plans.push({ index, nodeId, name, role, meshId, meshIds: topics, bootAtMs: index * spacingMs, seeds });
  };
  if (withObserver) add(OBSERVER_ROLE, ADMIN_MESH, spec.bridges > 0 ? [...meshIds, BRIDGE_MESH] : meshIds, []);
  const started = new Map<string, number[]>(meshIds.map((m) => [m, []]));
  for (const mesh of spec.meshes) {
    for (const [role, count] of mesh.roles) {
      for (let k = 0; k < count; k++) {
        const peers = started.get(mesh.meshId)!;
        const seeds: SeedPlan[] = [];
        if (withObserver && peers.length < OBSERVER_SEEDED_PER_MESH) seeds.push({ index: 0, meshIds: [mesh.meshId] });
        for (const i of pickDistinct(peers, MESH_SEEDS_PER_NODE, rng)) seeds.push({ index: i, meshIds: [mesh.meshId] });
        add(role, mesh.meshId, [mesh.meshId], seeds);
        peers.push(plans.length - 1);
      }
    }
  }
  const bridges: number[] = [];
  for (let b = 0; b < spec.bridges; b++) {
    // Without the observer, a bridge joins the bridge topic through an earlier bridge.
    const seeds: SeedPlan[] = withObserver
      ? [{ index: 0, meshIds: [BRIDGE_MESH, ...meshIds] }]
      : bridges.length > 0 ? [{ index: rng.pick(bridges), meshIds: [BRIDGE_MESH] }] : [];
    for (const m of meshIds) {
      const peers = started.get(m)!;
      if (peers.length > 0) seeds.push({ index: rng.pick(peers), meshIds: [m] });
    }
    add(BRIDGE_ROLE, BRIDGE_MESH, [BRIDGE_MESH, ...meshIds], seeds);
    bridges.push(plans.length - 1);
  }
  assert(new Set(plans.map((p) => p.nodeId)).size === plans.length, 'node ids must be unique');
  return plans;
}

/** Seeds a node knows per topic, its planned ones topped up by fallback seeds (`fallbackSeeds`); SPEC §2.1 gives a mesh node up to 2. */
const SEEDS_PER_TOPIC = 2;

/** Every plan filed under each of its topics, in plan order, in one pass. */
export function plansByTopic(plans: readonly NodePlan[]): Map<string, NodePlan[]> {
  const out = new Map<string, NodePlan[]>();
  for (const plan of plans) {
    for (const m of plan.meshIds) {
      const list = out.get(m);
      if (list === undefined) out.set(m, [plan]);
      else list.push(plan);
    }
  }
  return out;
}

/**
 * Fallback seeds of `plan`: for each of its topics where it was planned with fewer than two
 * seeds, none of them the observer (which no fault takes), the nodes on that topic booted next,
 * wrapping round to the earliest, until it knows two (or all there are). Departure from SPEC
 * §2.1, which gives a node the seeds started before it: none to the first of a mesh, one to its
 * second, and one per mesh to a bridge. With one seed or none, such a node knew nobody on the
 * topic once its neighbours there were gone (the peer cache is written, never read), and a
 * small mesh's passive views stay nearly empty, since most of its nodes are in each other's
 * active views:
 * - restarted, a first node stayed alone until some peer's passive view brought it back
 *   (15.8 s in a 100-node protocol run, enough to fail a concurrent chaos detection), and a
 *   first bridge firewalled inbound never got back to the other bridge;
 * - a bridge on a mesh of seven that a nat_shift cut from both its neighbours there dialled
 *   its one seed on that mesh, which a kill_node had taken 2 s before, and stayed off the mesh
 *   until the seed was back, past the detection's deadline, while connected to two bridges
 *   on it (a random layout under `--chaos 23`; docs/performance.md, round 61).
 * A restarted node dials them at boot beside its planned seeds; at the first boot the later
 * ones are not up yet, so scenario/cluster.ts passes them as rejoin seeds
 * (`MeshNodeSpec.rejoinSeeds`: dialled when the node is cut off from the topic, or in the full
 * profile when their digest goes unheard). A deployment names such seeds too. Layouts with the
 * observer give every node the observer or two seeds a topic, so they get none (the default
 * layout's traces are unchanged). `topUp` false (the variant `disableSeedTopUp`) leaves a topic
 * planned with one seed at that one.
 */
export function fallbackSeeds(plans: readonly NodePlan[], byTopic: ReadonlyMap<string, readonly NodePlan[]>, plan: NodePlan, topUp = true): SeedPlan[] {
  // One entry a peer, with every topic it is a fallback seed on: a node dials a seed once, with
  // one backoff (a bridge's next bridge is its fallback on every mesh; as one entry a topic, two
  // dialers retried the same peer side by side, and the seed-backoff check saw "attempt 2
  // follows attempt 2": a random layout under `--chaos 35`). A planned seed is not also a
  // fallback one on another topic, for the same reason: the next candidate is taken instead.
  if (plan.role === OBSERVER_ROLE) return [];
  const topicsOf = new Map<number, string[]>();
  const planned = new Set(plan.seeds.map((s) => s.index));
  for (const meshId of plan.meshIds) {
    const own = plan.seeds.filter((s) => s.meshIds.includes(meshId)).map((s) => s.index);
    if (own.length >= (topUp ? SEEDS_PER_TOPIC : 1) || own.some((i) => plans[i].role === OBSERVER_ROLE)) continue;
    const on = byTopic.get(meshId) ?? [];
    const at = positionIn(on, plan.index);
    let known = own.length;
    for (let k = 1; k < on.length && known < SEEDS_PER_TOPIC; k++) {
      const peer = on[(at + k) % on.length];
      if (peer.role === OBSERVER_ROLE || planned.has(peer.index)) continue;
      const topics = topicsOf.get(peer.index);
      if (topics === undefined) topicsOf.set(peer.index, [meshId]);
      else topics.push(meshId);
      known++;
    }
  }
  return [...topicsOf].map(([index, meshIds]) => ({ index, meshIds }));
}

/** Where the plan of index `index` is in `plans` (in plan order, and holding it). */
function positionIn(plans: readonly NodePlan[], index: number): number {
  let lo = 0;
  let hi = plans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (plans[mid].index < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `<role>-<8 hex of the id>` (SPEC §2.1), unless an earlier node of the run has that name: then
 * two more hex digits of the id at a time until the name is free. Eight hex digits are 32 bits,
 * so names collide somewhere in most runs of 100,000 nodes (the first such run failed on
 * `gateway-1ebac1a7`), and everything keyed by name (spans, chaos targets, replays) needs them
 * unique. Runs without a collision keep their names, and so their traces.
 */
function uniqueName(role: string, nodeId: string, taken: Set<string>): string {
  for (let digits = 8; digits <= nodeId.length; digits += 2) {
    const name = `${role}-${nodeId.slice(0, digits)}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
  assert(false, `node id ${nodeId} drawn twice`);
}

/** Up to `count` distinct entries of `items`, ascending. */
function pickDistinct(items: readonly number[], count: number, rng: SimRng): number[] {
  if (items.length <= SHUFFLE_PICK_MAX) return rng.shuffle([...items]).slice(0, count).sort((a, b) => a - b);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(items[rng.int(items.length)]);
  return [...chosen].sort((a, b) => a - b);
}

/** Total node count of a spec, observer included. */
export function nodeCount(spec: TopologySpec): number {
  return (spec.observer === false ? 0 : 1) + spec.bridges + spec.meshes.reduce((n, m) => n + m.roles.reduce((k, [, c]) => k + c, 0), 0);
}

/** When the boot starts the topology's last node, ms after the run starts (`planTopology`'s `bootAtMs`). */
export function lastBootAtMs(spec: TopologySpec): number {
  return Math.max(0, nodeCount(spec) - 1) * (spec.bootSpacingMs ?? DEFAULT_BOOT_SPACING_MS);
}

/** The topology a cluster with this seed will boot (same stream as Cluster uses). */
export function plannedNodes(topology: TopologySpec, seed: string): NodePlan[] {
  return planTopology(topology, new RngStreams(seed).stream('topology'));
}
