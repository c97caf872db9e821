/**
 * Every chaos primitive by name. One primitive per file; the group files list them.
 */
import { CLOCKS_PRIMITIVES } from './group-clocks.js';
import { LIFECYCLE_PRIMITIVES } from './group-lifecycle.js';
import { LINKS_PRIMITIVES } from './group-links.js';
import { killNode } from './kill-node.js';
import type { Primitive, PrimitiveName } from './types.js';

const PRIMITIVES = new Map<PrimitiveName, Primitive>(
  [killNode, ...LIFECYCLE_PRIMITIVES, ...LINKS_PRIMITIVES, ...CLOCKS_PRIMITIVES].map((p) => [p.name, p]),
);

export function primitiveByName(name: PrimitiveName): Primitive {
  const p = PRIMITIVES.get(name);
  if (p === undefined) throw new Error(`primitive ${name} is not implemented`);
  return p;
}

export function isImplemented(name: PrimitiveName): boolean {
  return PRIMITIVES.has(name);
}

export function implementedPrimitives(): PrimitiveName[] {
  return [...PRIMITIVES.keys()].sort();
}
