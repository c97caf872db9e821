/**
 * Small helpers over the HyParView views (plain arrays of NodeIds in insertion order).
 *
 * Views are tiny (capacity 5 and 30 by default), so arrays with linear scans are both the
 * fastest and the most deterministic choice: their order is exactly the order of insertion.
 * These helpers draw randomness only from the Rng they are handed and must not keep state.
 */
import type { NodeId } from './messages.js';
import type { Rng } from './rng.js';

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`hyparview invariant violated: ${message}`);
}

/** Removes `item` from `view`; true if it was there. Keeps the order of the others. */
export function removeFromView(view: NodeId[], item: NodeId): boolean {
  const index = view.indexOf(item);
  if (index < 0) return false;
  view.splice(index, 1);
  return true;
}

/** Up to `count` distinct random elements of `items`, excluding `excluded`. Does not mutate. */
export function sampleView(rng: Rng, items: readonly NodeId[], count: number, excluded: readonly NodeId[] = []): NodeId[] {
  const pool = items.filter((item) => !excluded.includes(item));
  const taken = Math.min(Math.max(count, 0), pool.length);
  // Partial Fisher–Yates: only the first `taken` positions are drawn.
  for (let i = 0; i < taken; i++) {
    const j = i + rng.int(pool.length - i);
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
  }
  return pool.slice(0, taken);
}

/** One random element of `items` not in `excluded`, or null if there is none. */
export function pickFromView(rng: Rng, items: readonly NodeId[], excluded: readonly NodeId[] = []): NodeId | null {
  const pool = items.filter((item) => !excluded.includes(item));
  return pool.length === 0 ? null : rng.pick(pool);
}

/** True if `view` holds no element twice. */
export function isDuplicateFree(view: readonly NodeId[]): boolean {
  return new Set(view).size === view.length;
}
