/**
 * Topology plans: which nodes exist, their roles and meshes, the topics each joins, the boot
 * order (observer first, then 50 ms apart) and each node's seeds (SPEC §2.1). A plan is pure
 * data drawn from the run's 'topology' stream, so the same seed gives the same cluster.
 */
import type { SimRng } from '../sim/rng.js';
import { assert } from '../sim/assert.js';

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
  /** Boot spacing between nodes, ms. Default 50. */
  readonly bootSpacingMs?: number;
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

export function planTopology(spec: TopologySpec, rng: SimRng): NodePlan[] {
  const spacingMs = spec.bootSpacingMs ?? 50;
  const meshIds = spec.meshes.map((m) => m.meshId);
  const observerTopics = spec.bridges > 0 ? [...meshIds, BRIDGE_MESH] : meshIds;
  const plans: NodePlan[] = [];
  const add = (role: string, meshId: string, topics: string[], seeds: SeedPlan[]): void => {
    const nodeId = rng.hex(32);
    const index = plans.length;
    plans.push({ index, nodeId, name: `${role}-${nodeId.slice(0, 8)}`, role, meshId, meshIds: topics, bootAtMs: index * spacingMs, seeds });
  };
  add(OBSERVER_ROLE, ADMIN_MESH, observerTopics, []);
  const started = new Map<string, number[]>(meshIds.map((m) => [m, []]));
  for (const mesh of spec.meshes) {
    for (const [role, count] of mesh.roles) {
      for (let k = 0; k < count; k++) {
        const peers = started.get(mesh.meshId)!;
        const chosen = rng.shuffle([...peers]).slice(0, 2).sort((a, b) => a - b);
        const seeds = [{ index: 0, meshIds: [mesh.meshId] }, ...chosen.map((i) => ({ index: i, meshIds: [mesh.meshId] }))];
        add(role, mesh.meshId, [mesh.meshId], seeds);
        peers.push(plans.length - 1);
      }
    }
  }
  for (let b = 0; b < spec.bridges; b++) {
    const seeds: SeedPlan[] = [{ index: 0, meshIds: [BRIDGE_MESH, ...meshIds] }];
    for (const m of meshIds) {
      const peers = started.get(m)!;
      if (peers.length > 0) seeds.push({ index: rng.pick(peers), meshIds: [m] });
    }
    add(BRIDGE_ROLE, BRIDGE_MESH, [BRIDGE_MESH, ...meshIds], seeds);
  }
  assert(new Set(plans.map((p) => p.nodeId)).size === plans.length, 'node ids must be unique');
  return plans;
}

/** Total node count of a spec, observer included. */
export function nodeCount(spec: TopologySpec): number {
  return 1 + spec.bridges + spec.meshes.reduce((n, m) => n + m.roles.reduce((k, [, c]) => k + c, 0), 0);
}
