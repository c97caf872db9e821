/**
 * Every chaos primitive by name (SPEC §5). One primitive per file; this list is the only place
 * that knows them all, and it is complete: a name without a primitive is a bug caught at load.
 */
import { MeshsimInputError } from '../io/input-error.js';
import { assert } from '../sim/assert.js';
import { burstKill } from './burst-kill.js';
import { clockSkew } from './clock-skew.js';
import { diskFull } from './disk-full.js';
import { firewallInbound } from './firewall-inbound.js';
import { flapLink } from './flap-link.js';
import { killNode } from './kill-node.js';
import { lossyLink } from './lossy-link.js';
import { natShift } from './nat-shift.js';
import { partitionPair } from './partition-pair.js';
import { partitionSubset } from './partition-subset.js';
import { restartNode } from './restart-node.js';
import { slowLink } from './slow-link.js';
import type { PrimitiveSpec } from './schema.js';
import { PRIMITIVE_NAMES, type ParamValue, type Primitive, type PrimitiveName } from './types.js';
import { wedgeNode } from './wedge-node.js';

const PRIMITIVES = new Map<PrimitiveName, Primitive>(
  [killNode, restartNode, burstKill, wedgeNode, diskFull, partitionPair, partitionSubset, flapLink, firewallInbound, clockSkew, natShift, slowLink, lossyLink].map(
    (p) => [p.name, p],
  ),
);
assert(PRIMITIVE_NAMES.every((n) => PRIMITIVES.has(n)) && PRIMITIVES.size === PRIMITIVE_NAMES.length, 'every primitive name has exactly one primitive');
assert([...PRIMITIVES].every(([n, p]) => p.spec.name === n), 'every primitive carries its own spec');

/** The primitive of that name; a name that is none (from JavaScript, or a typo cast) is a MeshsimInputError naming the 13. */
export function primitiveByName(name: PrimitiveName): Primitive {
  const primitive = PRIMITIVES.get(name);
  if (primitive === undefined) throw new MeshsimInputError(unknownPrimitive(name));
  return primitive;
}

/** "unknown chaos primitive "melt" (one of: kill_node, …)": what every front door says of a name that is none. */
export function unknownPrimitive(name: unknown): string {
  return `unknown chaos primitive ${JSON.stringify(String(name))} (one of: ${PRIMITIVE_NAMES.join(', ')})`;
}

/** What a primitive knows about its parameters, targets and deadline (`primitiveByName`'s error for an unknown name). */
export function specOf(name: PrimitiveName): PrimitiveSpec {
  return primitiveByName(name).spec;
}

/** How long a fault lasts before its revert, ms (0 for faults reverted on detection); params as validated. */
export function faultLengthMs(primitive: PrimitiveName, params: Readonly<Record<string, ParamValue>>): number {
  const spec = specOf(primitive);
  const values: Record<string, number> = {};
  for (const p of spec.params) {
    const v = params[p.name];
    values[p.name] = typeof v === 'number' && Number.isFinite(v) ? v : (p.default ?? 0);
  }
  return spec.faultLengthMs(values);
}

/** Primitives whose faults take their targets down, sorted (the report draws their victims as down). */
export function killingPrimitives(): PrimitiveName[] {
  return implementedPrimitives().filter((n) => specOf(n).targets.kills);
}

/** All primitive names, sorted. */
export function implementedPrimitives(): PrimitiveName[] {
  return [...PRIMITIVES.keys()].sort();
}
