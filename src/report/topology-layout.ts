/**
 * Where the Topology tab draws each node: the observer on top, each mesh's nodes on their own
 * circle side by side (meshes grouped), bridges in a column between the meshes. Deterministic
 * (plan order only); coordinates are in a fixed 1000 × 560 SVG box.
 *
 * Hundreds of nodes on one circle are an unreadable ring, so a mesh with more than
 * MESH_SHOWN_MAX members is SAMPLED: every k-th member in plan (boot) order is drawn, spread
 * over the whole circle, with the links among drawn nodes; the others are `hidden`. The view
 * says so, and its counts (members, links, down) still cover every node. The observer and the
 * bridges are always drawn.
 */
import type { TopologyNode } from './topology-snapshots.js';

export const LAYOUT_WIDTH = 1000;
export const LAYOUT_HEIGHT = 560;
/** Most members of one mesh drawn; past it the mesh is sampled. */
export const MESH_SHOWN_MAX = 64;

export interface NodePlace {
  readonly x: number;
  readonly y: number;
  /** 'observer' | 'bridge' | 'member' */
  readonly shape: string;
  /** Not drawn: its mesh is sampled and it is not in the sample. */
  readonly hidden?: true;
}

export interface MeshGroup {
  readonly meshId: string;
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly members: number;
  /** Members drawn: all of them, or every `stride`-th when sampled. */
  readonly shown: number;
  readonly stride: number;
}

const OBSERVER_ROLE = 'observer';
const BRIDGE_ROLE = 'bridge';
const OBSERVER_Y = 50;
const GROUP_MARGIN = 40;

export function layoutNodes(nodes: readonly TopologyNode[]): { places: NodePlace[]; groups: MeshGroup[] } {
  const meshes: string[] = [];
  const isMember = (n: TopologyNode): boolean => n.role !== OBSERVER_ROLE && n.role !== BRIDGE_ROLE;
  const counts = new Map<string, number>();
  for (const n of nodes) {
    if (!isMember(n)) continue;
    if (!counts.has(n.meshId)) meshes.push(n.meshId);
    counts.set(n.meshId, (counts.get(n.meshId) ?? 0) + 1);
  }
  const columnWidth = LAYOUT_WIDTH / Math.max(1, meshes.length);
  const centerY = LAYOUT_HEIGHT / 2 + 40;
  // A circle must fit its column and the box below the observer.
  const radiusMax = Math.min(columnWidth / 2 - 70, LAYOUT_HEIGHT - centerY - GROUP_MARGIN, centerY - OBSERVER_Y - GROUP_MARGIN - 30);
  const groups: MeshGroup[] = meshes.map((meshId, i) => {
    const members = counts.get(meshId)!;
    const stride = Math.ceil(members / MESH_SHOWN_MAX);
    const shown = Math.ceil(members / stride);
    const r = Math.min(radiusMax, 50 + 14 * shown);
    return { meshId, x: Math.round(columnWidth * (i + 0.5)), y: centerY, r: Math.round(Math.max(40, r)), members, shown, stride };
  });
  const bridges = nodes.filter((n) => n.role === BRIDGE_ROLE);
  const seen = new Map<string, number>();
  const places = nodes.map((n): NodePlace => {
    if (n.role === OBSERVER_ROLE) return { x: LAYOUT_WIDTH / 2, y: OBSERVER_Y, shape: 'observer' };
    if (n.role === BRIDGE_ROLE) {
      const k = bridges.indexOf(n);
      const spacing = 90;
      return { x: LAYOUT_WIDTH / 2, y: Math.round(centerY + (k - (bridges.length - 1) / 2) * spacing), shape: 'bridge' };
    }
    const g = groups[meshes.indexOf(n.meshId)];
    const k = seen.get(n.meshId) ?? 0;
    seen.set(n.meshId, k + 1);
    if (k % g.stride !== 0) return { x: g.x, y: g.y, shape: 'member', hidden: true };
    const angle = (2 * Math.PI * (k / g.stride)) / Math.max(1, g.shown) - Math.PI / 2;
    return { x: Math.round(g.x + g.r * Math.cos(angle)), y: Math.round(g.y + g.r * Math.sin(angle)), shape: 'member' };
  });
  return { places, groups };
}
