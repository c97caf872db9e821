/**
 * Which nodes the trace shows under a chaos event, for the workloads that must leave them alone.
 */
import type { SpanQuery } from '../sim/telemetry/query.js';

/**
 * Nodes (names) a chaos event is acting on at `atMs`: applied by then, and not yet both
 * detected as passed (or unobserved) and reverted (the engine's own notion of a faulted node, read from its
 * spans; an event that failed keeps its targets for the rest of the run). Every primitive
 * counts, those that cut nothing too (a full disk, a skewed clock): each one's detector still
 * needs its target running. A workload that picks nodes to act on (grow-shrink's leavers)
 * leaves these alone, and so does a failure entry (scenario/workload.ts). It reads only the
 * engine's spans, so the workloads below the chaos engine can ask it.
 */
export function underChaosAt(query: SpanQuery, atMs: number): Set<string> {
  const detected = new Set(query.find({ name: 'chaos.primitive.detected', untilMs: atMs }).filter((s) => s.attrs.result === 'passed' || s.attrs.result === 'unobserved').map((s) => s.parentSpanId));
  const reverted = new Set(query.find({ name: 'chaos.primitive.reverted', untilMs: atMs }).map((s) => s.parentSpanId));
  const out = new Set<string>();
  for (const applied of query.find({ name: 'chaos.primitive.applied', untilMs: atMs })) {
    if (detected.has(applied.spanId) && reverted.has(applied.spanId)) continue;
    for (const t of String(applied.attrs.targets).split(',')) if (t !== '') out.add(t);
  }
  return out;
}
