/**
 * The share of time node pairs could reach each other, from the chaos spans of a run (the cut
 * windows of src/primitives/reach.ts).
 *
 * A scenario whose assertion is a rate (digests per window) uses it to ask for the rate only
 * over the time the pairs were reachable, so background chaos that isolates a node for most of
 * the window does not fail the run, while a mesh that stops gossiping between reachable nodes
 * still does. It reads spans only and must not look at the network or the nodes.
 */
import { cutWindows, isCut, type CutWindow } from '../primitives/reach.js';
import type { SpanQuery } from '../sim/telemetry/query.js';

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

/** Link faults that let some packets through while they last: a retransmission may land. */
const PASSES_SOME = new Set(['slow_link', 'lossy_link', 'flap_link']);

/**
 * Whether a chaos event dropped what node `from` sent node `to` (names) over one connection at
 * `atMs`, and went on dropping everything through `throughMs` (reverted only after it), so no
 * retransmission could land in between. `toEndInbound`: `to`'s end of the connection is one it
 * accepted, the only kind an inbound firewall on `to` drops (the wire's firewall is stateful,
 * src/sim/network/wire.ts). A slowed link drops nothing, and a lossy or flapping one lets
 * packets through between its losses or in its up phases: none of them counts.
 */
export function sendCut(windows: readonly CutWindow[], from: string, to: string, toEndInbound: boolean, atMs: number, throughMs: number): boolean {
  return windows.some((w) => {
    if (atMs < w.fromMs || w.revertedAtMs <= throughMs || PASSES_SOME.has(w.name)) return false;
    if (w.name === 'firewall_inbound') return toEndInbound && w.targets.has(to);
    return isCut([w], from, to, atMs);
  });
}
