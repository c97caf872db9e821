/**
 * What a generated chaos event looks like per primitive: how many targets it takes, whether
 * they must form a link (two nodes sharing a topic), and an arbitrary for its parameters.
 * Parameter arbitraries shrink toward the mildest, shortest fault (small durations, small
 * skews), so a shrunk counterexample keeps only the damage the bug needs. Parameter names
 * are the primitives' own `fault.params` keys. Must not run anything or read the registry.
 */
import fc from 'fast-check';
import type { ParamValue, PrimitiveName } from '../primitives/types.js';

export interface PrimitiveShape {
  /** Distinct targets the fault takes (min, max). */
  readonly targetsMin: number;
  readonly targetsMax: number;
  /** Targets form a link: the second shares a topic with the first. */
  readonly link: boolean;
  /** Targets are own nodes of one mesh (no bridges), and at least one of its nodes stays out. */
  readonly sameMesh?: boolean;
  readonly params: fc.Arbitrary<Record<string, ParamValue>>;
}

const none = fc.constant({});
/** A duration in [min, max] ms on a 500 ms grid (shrinks toward min). */
const durationMs = (minMs: number, maxMs: number): fc.Arbitrary<number> =>
  fc.integer({ min: minMs / 500, max: maxMs / 500 }).map((k) => k * 500);

/** One shape per primitive of SPEC §5; a primitive without a shape is never generated. */
export const PRIMITIVE_SHAPES: Readonly<Record<PrimitiveName, PrimitiveShape>> = {
  kill_node: { targetsMin: 1, targetsMax: 1, link: false, params: none },
  restart_node: { targetsMin: 1, targetsMax: 1, link: false, params: fc.record({ downtimeMs: durationMs(1_000, 5_000) }) },
  burst_kill: { targetsMin: 2, targetsMax: 5, link: false, params: none },
  wedge_node: { targetsMin: 1, targetsMax: 1, link: false, params: fc.record({ durationMs: durationMs(1_000, 10_000) }) },
  disk_full: { targetsMin: 1, targetsMax: 1, link: false, params: fc.record({ durationMs: durationMs(5_000, 30_000) }) },
  partition_pair: { targetsMin: 2, targetsMax: 2, link: true, params: fc.record({ durationMs: durationMs(10_000, 20_000) }) },
  // A cut must outlast TTL 30 s + pruner 5 s + digest 2 s for both sides to notice it.
  partition_subset: { targetsMin: 3, targetsMax: 5, link: false, sameMesh: true, params: fc.record({ durationMs: durationMs(40_000, 60_000) }) },
  flap_link: {
    targetsMin: 2,
    targetsMax: 2,
    link: true,
    params: fc.record({ flaps: fc.integer({ min: 2, max: 6 }), downMs: durationMs(2_000, 4_000), upMs: durationMs(2_000, 4_000) }),
  },
  firewall_inbound: { targetsMin: 1, targetsMax: 1, link: false, params: fc.record({ durationMs: durationMs(5_000, 30_000) }) },
  clock_skew: {
    targetsMin: 1,
    targetsMax: 1,
    link: false,
    // Skew shrinks toward ±1 s; the duration toward its floor (heartbeat 5 s + 1 s).
    params: fc.record({
      skewMs: fc.integer({ min: -120, max: 120 }).filter((s) => s !== 0).map((s) => s * 1_000),
      durationMs: durationMs(6_000, 60_000),
    }),
  },
  nat_shift: { targetsMin: 1, targetsMax: 1, link: false, params: none },
  slow_link: {
    targetsMin: 2,
    targetsMax: 2,
    link: true,
    params: fc.record({ latencyMs: fc.integer({ min: 1, max: 20 }).map((k) => k * 50), durationMs: durationMs(5_000, 30_000) }),
  },
  lossy_link: {
    targetsMin: 2,
    targetsMax: 2,
    link: true,
    params: fc.record({ lossPct: fc.integer({ min: 1, max: 30 }), durationMs: durationMs(5_000, 30_000) }),
  },
};

/** How long a fault lasts before its revert, ms (0 for faults reverted on detection). */
export function faultLengthMs(params: Readonly<Record<string, ParamValue>>): number {
  const n = (k: string): number => (typeof params[k] === 'number' && Number.isFinite(params[k]) ? (params[k] as number) : 0);
  return Math.max(n('durationMs'), n('downtimeMs'), n('flaps') * (n('downMs') + n('upMs')));
}
