/**
 * What a generated chaos event looks like per primitive: how many targets it takes, whether
 * they must form a link (two nodes sharing a topic), and an arbitrary for its parameters.
 * All of it is read from each primitive's own spec (src/primitives/schema.ts): target counts
 * and shape, and for every parameter the range property tests explore. Parameter arbitraries
 * shrink toward the mildest, shortest fault (the low end of each range), so a shrunk
 * counterexample keeps only the damage the bug needs. Must not run anything.
 */
import fc from 'fast-check';
import { specOf } from '../primitives/registry.js';
import type { ParamExplore, ParamSpec, PrimitiveSpec } from '../primitives/schema.js';
import { PRIMITIVE_NAMES, type ParamValue, type PrimitiveName } from '../primitives/types.js';

/** Moved beside the primitive specs it reads (the replay needs it without fast-check); kept here for importers. */
export { faultLengthMs } from '../primitives/registry.js';

export interface PrimitiveShape {
  /** Distinct targets the fault takes (min, max). */
  readonly targetsMin: number;
  readonly targetsMax: number;
  /** Targets form a link: the second shares a topic with the first. */
  readonly link: boolean;
  /** Targets are own nodes of one mesh (no bridges), and at least one of its nodes stays out. */
  readonly sameMesh?: boolean;
  /** The fault takes its targets down. */
  readonly kills: boolean;
  readonly params: fc.Arbitrary<Record<string, ParamValue>>;
}

/** Integers k·step for k in [min/step, max/step], zero left out when asked (shrinks toward min). */
function exploreArb(e: ParamExplore): fc.Arbitrary<number> {
  const k = fc.integer({ min: Math.ceil(e.min / e.step), max: Math.floor(e.max / e.step) });
  return (e.nonZero === true ? k.filter((x) => x !== 0) : k).map((x) => x * e.step);
}

function paramsArb(params: readonly ParamSpec[]): fc.Arbitrary<Record<string, ParamValue>> {
  const explored = params.filter((p): p is ParamSpec & { explore: ParamExplore } => p.explore !== undefined);
  if (explored.length === 0) return fc.constant({});
  return fc.record(Object.fromEntries(explored.map((p) => [p.name, exploreArb(p.explore)])));
}

export function shapeOf(spec: PrimitiveSpec): PrimitiveShape {
  return {
    targetsMin: spec.targets.min,
    targetsMax: spec.targets.max,
    link: spec.targets.shape === 'link',
    ...(spec.targets.shape === 'subset' ? { sameMesh: true } : {}),
    kills: spec.targets.kills,
    params: paramsArb(spec.params),
  };
}

/** One shape per primitive of SPEC §5. */
export const PRIMITIVE_SHAPES: Readonly<Record<PrimitiveName, PrimitiveShape>> = Object.fromEntries(
  PRIMITIVE_NAMES.map((n) => [n, shapeOf(specOf(n))]),
) as Record<PrimitiveName, PrimitiveShape>;

