/**
 * The randomness a protocol state machine is handed by its caller.
 *
 * Protocol code owns no randomness: every draw comes through this interface, so the
 * simulator can feed it a seeded stream and a run stays a pure function of its seed.
 * Probabilities are integer ratios so that no floating-point rounding decides a branch.
 */
export interface Rng {
  /** Uniform integer in [0, 2^32). */
  nextU32(): number;
  /** Uniform integer in [0, maxExclusive); maxExclusive must be a positive safe integer. */
  int(maxExclusive: number): number;
  /** Uniform integer in [lo, hi]. */
  rangeInclusive(lo: number, hi: number): number;
  /** True with probability num/den (0 ≤ num ≤ den, den > 0). */
  chance(num: number, den: number): boolean;
  /** A uniformly chosen element; the array must not be empty. */
  pick<T>(items: readonly T[]): T;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** n uniformly random bytes. */
  bytes(n: number): Uint8Array;
}
