/**
 * Which node pairs could reach each other, and when, read from the chaos spans of a run
 * (`chaos.primitive.applied{name,targets}` and its child `chaos.primitive.reverted`).
 *
 * A scenario whose assertion is a rate (digests per window) uses it to ask for the rate only
 * over the time the pairs were reachable, so background chaos that isolates a node for most of
 * the window does not fail the run, while a mesh that stops gossiping between reachable nodes
 * still does. It reads spans only and must not look at the network or the nodes.
 */
import type { PrimitiveName } from '../primitives/types.js';
import type { SpanQuery } from '../sim/telemetry/query.js';

/**
 * What a primitive cuts, as far as reaching a peer goes: `node` — every pair with a target;
 * `link` — the pair of its two targets; `subset` — every pair across the targets' boundary;
 * `none` — nothing (the node stays reachable). Conservative: slow and lossy links count as cut.
 */
export const REACH_CUT: Readonly<Record<PrimitiveName, 'node' | 'link' | 'subset' | 'none'>> = {
  kill_node: 'node',
  restart_node: 'node',
  burst_kill: 'node',
  wedge_node: 'node',
  nat_shift: 'node',
  firewall_inbound: 'node',
  partition_pair: 'link',
  flap_link: 'link',
  slow_link: 'link',
  lossy_link: 'link',
  partition_subset: 'subset',
  disk_full: 'none',
  clock_skew: 'none',
};

/** After a revert, a node needs this long to rejoin and gossip again, ms (guess: dial + Join + one 2 s digest tick + slack). */
export const REJOIN_ALLOWANCE_MS = 5_000;

export interface CutWindow {
  readonly cut: 'node' | 'link' | 'subset';
  /** Node names. */
  readonly targets: ReadonlySet<string>;
  readonly fromMs: number;
  /** Revert time plus the rejoin allowance; Infinity if never reverted. */
  readonly untilMs: number;
}

/** Every chaos event of the run that cuts reachability, with its window. */
export function cutWindows(query: SpanQuery): CutWindow[] {
  const reverted = new Map(query.find({ name: 'chaos.primitive.reverted' }).map((s) => [s.parentSpanId, s.endMs]));
  const out: CutWindow[] = [];
  for (const applied of query.find({ name: 'chaos.primitive.applied' })) {
    const cut = REACH_CUT[String(applied.attrs.name) as PrimitiveName] ?? 'node'; // unknown name: assume the worst
    if (cut === 'none') continue;
    const revertedAtMs = reverted.get(applied.spanId);
    out.push({
      cut,
      targets: new Set(String(applied.attrs.targets).split(',').filter((t) => t !== '')),
      fromMs: applied.endMs,
      untilMs: revertedAtMs === undefined ? Infinity : revertedAtMs + REJOIN_ALLOWANCE_MS,
    });
  }
  return out;
}

/** Whether a chaos window separates nodes `a` and `b` (names) at `atMs`. */
export function isCut(windows: readonly CutWindow[], a: string, b: string, atMs: number): boolean {
  for (const w of windows) {
    if (atMs < w.fromMs || atMs >= w.untilMs) continue;
    const inA = w.targets.has(a);
    const inB = w.targets.has(b);
    if (w.cut === 'node' && (inA || inB)) return true;
    if (w.cut === 'link' && inA && inB) return true;
    if (w.cut === 'subset' && inA !== inB) return true;
  }
  return false;
}

/**
 * The share of (receiver, origin) pair-time in [0, windowMs) during which the pair could reach
 * each other, sampled every `stepMs`: 1 in a run without chaos.
 */
export function reachableShare(query: SpanQuery, receivers: readonly string[], origins: readonly string[], windowMs: number, stepMs = 100): number {
  const windows = cutWindows(query);
  if (windows.length === 0) return 1;
  let reachable = 0;
  let total = 0;
  for (let t = 0; t < windowMs; t += stepMs) {
    for (const r of receivers) {
      for (const o of origins) {
        if (o === r) continue;
        total++;
        if (!isCut(windows, r, o, t)) reachable++;
      }
    }
  }
  return total === 0 ? 1 : reachable / total;
}
