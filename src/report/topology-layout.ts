/**
 * Where the Topology tab draws each node: the observer on top, each mesh's nodes on their own
 * circle side by side (meshes grouped), bridges in a column between the meshes. Deterministic
 * (plan order only); coordinates are in a fixed 1000 × 560 SVG box.
 */
import type { TopologyNode } from './topology-snapshots.js';

export const LAYOUT_WIDTH = 1000;
export const LAYOUT_HEIGHT = 560;

export interface NodePlace {
  readonly x: number;
  readonly y: number;
  /** 'observer' | 'bridge' | 'member' */
  readonly shape: string;
}

export interface MeshGroup {
  readonly meshId: string;
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

const OBSERVER_ROLE = 'observer';
const BRIDGE_ROLE = 'bridge';

export function layoutNodes(nodes: readonly TopologyNode[]): { places: NodePlace[]; groups: MeshGroup[] } {
  const meshes: string[] = [];
  for (const n of nodes) if (n.role !== OBSERVER_ROLE && n.role !== BRIDGE_ROLE && !meshes.includes(n.meshId)) meshes.push(n.meshId);
  const columnWidth = LAYOUT_WIDTH / Math.max(1, meshes.length);
  const centerY = LAYOUT_HEIGHT / 2 + 40;
  const groups: MeshGroup[] = meshes.map((meshId, i) => {
    const count = nodes.filter((n) => n.meshId === meshId && n.role !== OBSERVER_ROLE && n.role !== BRIDGE_ROLE).length;
    const r = Math.min(columnWidth / 2 - 70, 50 + 14 * count);
    return { meshId, x: Math.round(columnWidth * (i + 0.5)), y: centerY, r: Math.round(Math.max(40, r)) };
  });
  const bridges = nodes.filter((n) => n.role === BRIDGE_ROLE);
  const seen = new Map<string, number>();
  const places = nodes.map((n): NodePlace => {
    if (n.role === OBSERVER_ROLE) return { x: LAYOUT_WIDTH / 2, y: 50, shape: 'observer' };
    if (n.role === BRIDGE_ROLE) {
      const k = bridges.indexOf(n);
      const spacing = 90;
      return { x: LAYOUT_WIDTH / 2, y: Math.round(centerY + (k - (bridges.length - 1) / 2) * spacing), shape: 'bridge' };
    }
    const g = groups[meshes.indexOf(n.meshId)];
    const k = seen.get(n.meshId) ?? 0;
    seen.set(n.meshId, k + 1);
    const count = nodes.filter((m) => m.meshId === n.meshId && m.role !== OBSERVER_ROLE && m.role !== BRIDGE_ROLE).length;
    const angle = (2 * Math.PI * k) / Math.max(1, count) - Math.PI / 2;
    return { x: Math.round(g.x + g.r * Math.cos(angle)), y: Math.round(g.y + g.r * Math.sin(angle)), shape: 'member' };
  });
  return { places, groups };
}
