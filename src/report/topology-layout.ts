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
 *
 * More than MESHES_SIDE_BY_SIDE_MAX meshes do not fit side by side (1,024 meshes drew circles of
 * less than a pixel's column over each other), and a topic's subscribers are one mesh's members
 * (and the bridges, and the observer): each mesh is then laid out ALONE, on the one circle a
 * single mesh gets, and drawn only while its topic is chosen; the bridges stand in a column on
 * the right.
 */
import type { TopologyNode } from './topology-snapshots.js';

export const LAYOUT_WIDTH = 1000;
export const LAYOUT_HEIGHT = 560;
/** Most members of one mesh drawn; past it the mesh is sampled. */
export const MESH_SHOWN_MAX = 64;
/** Most meshes drawn side by side; past it each is drawn alone, while its topic is chosen. */
export const MESHES_SIDE_BY_SIDE_MAX = 6;

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
  /** Laid out alone (more meshes than fit side by side): drawn only while its topic is chosen. */
  readonly alone?: true;
}

const OBSERVER_ROLE = 'observer';
const BRIDGE_ROLE = 'bridge';
const OBSERVER_Y = 50;
const GROUP_MARGIN = 40;

export function layoutNodes(nodes: readonly TopologyNode[]): { places: NodePlace[]; groups: MeshGroup[] } {
  const meshes: string[] = [];
  const isMember = (n: TopologyNode): boolean => n.role !== OBSERVER_ROLE && n.role !== BRIDGE_ROLE;
  const counts = new Map<string, number>();
  let bridgeCount = 0;
  for (const n of nodes) {
    if (n.role === BRIDGE_ROLE) bridgeCount++;
    if (!isMember(n)) continue;
    if (!counts.has(n.meshId)) meshes.push(n.meshId);
    counts.set(n.meshId, (counts.get(n.meshId) ?? 0) + 1);
  }
  const alone = meshes.length > MESHES_SIDE_BY_SIDE_MAX;
  const columns = alone ? 1 : Math.max(1, meshes.length);
  const columnWidth = LAYOUT_WIDTH / columns;
  const centerY = LAYOUT_HEIGHT / 2 + 40;
  // A circle must fit its column and the box below the observer.
  const radiusMax = Math.min(columnWidth / 2 - 70, LAYOUT_HEIGHT - centerY - GROUP_MARGIN, centerY - OBSERVER_Y - GROUP_MARGIN - 30);
  const groupIndex = new Map<string, number>();
  const groups: MeshGroup[] = meshes.map((meshId, i) => {
    groupIndex.set(meshId, i);
    const members = counts.get(meshId)!;
    const stride = Math.ceil(members / MESH_SHOWN_MAX);
    const shown = Math.ceil(members / stride);
    const r = Math.round(Math.max(40, Math.min(radiusMax, 50 + 14 * shown)));
    const x = Math.round(columnWidth * ((alone ? 0 : i) + 0.5));
    return alone ? { meshId, x, y: centerY, r, members, shown, stride, alone: true } : { meshId, x, y: centerY, r, members, shown, stride };
  });
  const seen = new Map<string, number>();
  let bridgesPlaced = 0;
  const places = nodes.map((n): NodePlace => {
    if (n.role === OBSERVER_ROLE) return { x: LAYOUT_WIDTH / 2, y: OBSERVER_Y, shape: 'observer' };
    if (n.role === BRIDGE_ROLE) return { ...bridgePlace(bridgesPlaced++, bridgeCount, alone, centerY), shape: 'bridge' };
    const g = groups[groupIndex.get(n.meshId)!];
    const k = seen.get(n.meshId) ?? 0;
    seen.set(n.meshId, k + 1);
    if (k % g.stride !== 0) return { x: g.x, y: g.y, shape: 'member', hidden: true };
    const angle = (2 * Math.PI * (k / g.stride)) / Math.max(1, g.shown) - Math.PI / 2;
    return { x: Math.round(g.x + g.r * Math.cos(angle)), y: Math.round(g.y + g.r * Math.sin(angle)), shape: 'member' };
  });
  return { places, groups };
}

/**
 * Bridge `k` of `count`: a column 90 apart about the middle between meshes side by side; with
 * meshes drawn alone, a column on the right, spread over the box below the observer.
 */
function bridgePlace(k: number, count: number, alone: boolean, centerY: number): { x: number; y: number } {
  if (!alone) return { x: LAYOUT_WIDTH / 2, y: Math.round(centerY + (k - (count - 1) / 2) * 90) };
  const top = OBSERVER_Y + GROUP_MARGIN;
  const spacing = Math.min(90, (LAYOUT_HEIGHT - 20 - top) / Math.max(1, count));
  return { x: LAYOUT_WIDTH - 130, y: Math.round(top + spacing * (k + 0.5)) };
}
