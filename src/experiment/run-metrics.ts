/**
 * The numbers an experiment keeps of one run: flattened numeric leaves of the run report, named
 * by their dotted path. `pass` is 1 or 0 (its mean over seeds is the pass rate); then `events`,
 * `connections`, `nodes.live`, `probes.*`, `views.<topic>.mean` (above VIEW_TOPICS_MAX topics
 * `views.min`, `views.mean`, `views.max` instead), the chaos counters, and every numeric leaf of
 * the report's `metrics` object (SPEC §10.4), whatever it holds, so a metric added to the run
 * report shows up here without a change. Arrays are skipped (per-broadcast
 * and per-node lists would be hundreds of columns; their aggregates are objects). Keys come
 * back sorted, so the output does not depend on object key order. Pure.
 */
import type { RunReport } from '../scenario/runner.js';

/**
 * Most metrics kept per run; beyond this the flattening stops (a report should aggregate), and
 * how many numeric leaves it left out is the metric LEFT_OUT_METRIC, so that no cut is silent.
 */
export const RUN_METRICS_MAX = 256;
/** The count of numeric leaves the flattening left out past RUN_METRICS_MAX (absent when none). */
export const LEFT_OUT_METRIC = 'metricsLeftOut';
/**
 * Most topics whose views are a metric each. A run of 1,024 meshes had 1,025 of them, which
 * filled RUN_METRICS_MAX before the `metrics` object (reliability, hops, RMR) was read: every
 * broadcast metric was left out of the experiment without a word.
 */
export const VIEW_TOPICS_MAX = 50;
const DEPTH_MAX = 8;

export type RunMetrics = Readonly<Record<string, number>>;

export function runMetrics(report: RunReport): RunMetrics {
  const out = new Map<string, number>();
  out.set('pass', report.verdict === 'pass' ? 1 : 0);
  out.set('events', report.events);
  out.set('connections', report.connections);
  out.set('nodes.live', report.nodes.live);
  out.set('probes.sent', report.probes.sent);
  out.set('probes.deliveries', report.probes.deliveries);
  const topics = Object.keys(report.views).sort();
  if (topics.length <= VIEW_TOPICS_MAX) {
    for (const topic of topics) out.set(`views.${topic}.mean`, report.views[topic].mean);
  } else {
    // Over every subscriber of every topic: the least and largest view, and the mean weighted
    // by subscribers (of the topics' two-decimal means, so within 0.005 of the exact one).
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let subscribers = 0;
    for (const topic of topics) {
      const v = report.views[topic];
      if (v.subscribers === 0) continue;
      min = Math.min(min, v.min);
      max = Math.max(max, v.max);
      sum += v.mean * v.subscribers;
      subscribers += v.subscribers;
    }
    if (subscribers > 0) {
      out.set('views.min', min);
      out.set('views.mean', Math.round((sum / subscribers) * 1000) / 1000);
      out.set('views.max', max);
    }
  }
  const leftOut = { count: 0 };
  const chaos = report.chaos as Record<string, unknown> | undefined;
  if (chaos !== undefined) flatten(chaos, 'chaos', out, 1, leftOut);
  if (report.metrics !== undefined) flatten(report.metrics, 'metrics', out, 1, leftOut);
  if (leftOut.count > 0) out.set(LEFT_OUT_METRIC, leftOut.count);
  return Object.fromEntries([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function flatten(value: unknown, prefix: string, out: Map<string, number>, depth: number, leftOut: { count: number }): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return;
    if (out.size < RUN_METRICS_MAX) out.set(prefix, value);
    else leftOut.count++;
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > DEPTH_MAX) return;
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields).sort()) flatten(fields[key], `${prefix}.${key}`, out, depth + 1, leftOut);
}
