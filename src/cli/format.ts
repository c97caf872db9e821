/**
 * Output of `meshsim run`: the compact text summary (a few aligned tables) and the one JSON
 * object of `--json`. Both are adapters over the run report; this module computes nothing
 * about the mesh itself and must not print (the caller writes the strings).
 */
import type { TrafficRow } from '../mesh/traffic.js';
import { chaosReportOf } from '../primitives/engine.js';
import type { RunMetrics, Spread } from '../scenario/metrics.js';
import { notListedLines, type RunOutcome, type RunReport } from '../scenario/runner.js';
import type { TopologyRecorder } from '../report/topology-snapshots.js';
import type { OtlpSummary } from '../report/otlp.js';
import type { OutputWrite } from './output-file.js';

/** A finished CLI run: the simulator's report plus what only the CLI knows. */
export interface CliRunResult {
  readonly report: RunReport;
  readonly description: string;
  /** Wall time around runScenario, ms (measured by the CLI, never by the core). */
  readonly wallMs: number;
  /** The exact command that reproduces this run. */
  readonly replay: string;
  /** The run's cluster and trace, kept when reports or OTLP files are written from it. */
  readonly outcome?: RunOutcome;
  /** The run's topology, recorded as it ran when an HTML report is written. */
  readonly topology?: TopologyRecorder;
  /** The OTLP file written as the run went (a run that keeps no per-pair spans): what it holds, and whether it was written. */
  readonly otlpStreamed?: OtlpStreamed;
}

export interface OtlpStreamed {
  readonly summary: OtlpSummary & { readonly bytes: number };
  readonly write: OutputWrite;
}

export function speedup(result: CliRunResult): number {
  return result.wallMs > 0 ? result.report.virtualMs / result.wallMs : 0;
}

/**
 * A speed-up as printed: whole below 10× would read 0× for a run slower than real time (a
 * 5,000-node burst: 74 virtual s in 55 minutes), so two significant digits there.
 */
export function speedupText(x: number): string {
  return `${x >= 10 ? Math.round(x) : Number(x.toPrecision(2))}x`;
}

/** A speed-up in `--json`: one decimal from 1×, two significant digits below (never 0 for a slow run). */
function jsonSpeedup(x: number): number {
  return x >= 1 ? round(x, 1) : Number(x.toPrecision(2));
}

/** The `--json` object: the report with wall time, speed-up and the CLI's replay command. */
export function runJson(result: CliRunResult): Record<string, unknown> {
  const { seed, scenario, verdict, ...rest } = result.report;
  return {
    seed,
    scenario,
    verdict,
    ...rest,
    wallMs: round(result.wallMs, 1),
    speedup: jsonSpeedup(speedup(result)),
    replay: result.replay,
  };
}

/** The text summary; the `seed:` line is printed by the caller before the run starts. */
export function formatRunText(result: CliRunResult): string {
  const { report } = result;
  const out: string[] = [];
  out.push(`scenario: ${report.scenario} (${result.description})`);
  out.push('');
  out.push(
    table([
      ['nodes', `${report.nodes.total} (${report.nodes.live} live)`],
      ['connections', String(report.connections)],
      ['broadcasts', `${report.probes.sent}${(report.workload?.skippedBroadcasts ?? 0) > 0 ? ` (${report.workload!.skippedBroadcasts} more found no running sender and were skipped)` : ''}`],
      ['deliveries', String(report.probes.deliveries)],
      ['events', String(report.events)],
      ['spans', String(report.spans)],
      ['virtual time', `${(report.virtualMs / 1000).toFixed(3)} s`],
      ['wall time', `${(result.wallMs / 1000).toFixed(3)} s`],
      ['speed-up', speedupText(speedup(result))],
      ['trace digest', report.traceDigest],
    ], ['l', 'l']),
  );
  out.push(...viewLines(report.views));
  out.push(...metricsLines(report));
  out.push('', 'spans by name');
  const names = Object.keys(report.spansByName).sort();
  out.push(names.length === 0 ? '  (none)' : table(names.map((n) => [n, String(report.spansByName[n])]), ['l', 'r']));
  out.push(...chaosLines(report));
  out.push('');
  if (report.verdict === 'pass') {
    out.push('verdict: pass');
  } else {
    const notListed = Object.entries(report.violationsNotListed ?? {});
    const listed = report.violations.length;
    const total = listed + notListed.reduce((sum, [, n]) => sum + n, 0);
    out.push(`verdict: FAIL (${total} violation${total === 1 ? '' : 's'}${total > listed ? `; ${listed} listed` : ''})`);
    for (const v of report.violations) out.push(`  ${v.check}: ${v.message}`);
    for (const line of notListedLines(notListed)) out.push(`  ${line}`);
  }
  out.push(`seed: ${report.seed}`);
  out.push(`replay: ${result.replay}`);
  return out.join('\n') + '\n';
}

/** Topics the summary lists one by one; a run with more (1,024 meshes) lists the smallest views. */
export const TOPICS_SHOWN = 50;

/**
 * Active view sizes per topic, in name order with numbers compared as numbers (`m2` before
 * `m10`). Beyond TOPICS_SHOWN topics, the TOPICS_SHOWN with the smallest views (least minimum,
 * then least mean), and what the others span: a run of 1,024 meshes printed 1,024 rows.
 */
export function viewLines(views: RunReport['views']): string[] {
  const all = Object.keys(views).sort(naturalOrder);
  const header = ['topic', 'subscribers', 'min', 'mean', 'max'];
  const row = (t: string): string[] => {
    const v = views[t]!;
    return [t, String(v.subscribers), String(v.min), v.mean.toFixed(2), String(v.max)];
  };
  const align = ['l', 'r', 'r', 'r', 'r'] as const;
  if (all.length <= TOPICS_SHOWN) return ['', 'active view size per topic', table([header, ...all.map(row)], align)];
  const shown = [...all].sort((a, b) => views[a]!.min - views[b]!.min || views[a]!.mean - views[b]!.mean || naturalOrder(a, b)).slice(0, TOPICS_SHOWN);
  const shownSet = new Set(shown);
  let min = Infinity;
  let max = -Infinity;
  for (const t of all) {
    if (shownSet.has(t)) continue;
    min = Math.min(min, views[t]!.min);
    max = Math.max(max, views[t]!.max);
  }
  return [
    '',
    `active view size per topic (${all.length} topics: the ${TOPICS_SHOWN} with the smallest views)`,
    table([header, ...shown.sort(naturalOrder).map(row)], align),
    `  … ${all.length - TOPICS_SHOWN} more, each with views of ${min} to ${max} (every topic: --json)`,
  ];
}

/** Names in order, with runs of digits compared as numbers: `m2` < `m10` < `mesh-a`. */
export function naturalOrder(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      // By value; equal values written differently (`m01`, `m1`) by length, then as text.
      const byValue = compareDigits(x.replace(/^0+/, ''), y.replace(/^0+/, ''));
      if (byValue !== 0) return byValue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Two digit strings without leading zeros, compared as numbers of any length. */
function compareDigits(x: string, y: string): number {
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The broadcast metrics over the run (SPEC §10.4), and per-node traffic by frame type. */
function metricsLines(report: RunReport): string[] {
  const m: RunMetrics | undefined = report.metrics;
  const out: string[] = [];
  if (m !== undefined && m.summary.broadcasts > 0) {
    const s = m.summary;
    const row = (name: string, v: Spread, digits = 3): string[] => [name, fix(v.min, digits), fix(v.mean, digits), fix(v.max, digits)];
    out.push('', `broadcast metrics (${s.broadcasts} broadcasts)`);
    out.push(table([
      ['metric', 'min', 'mean', 'max'],
      row('reliability', s.reliability),
      row('missed', s.missed, 0),
      row('ldh (hops)', s.ldh, 0),
      row('mean hop', s.meanHop, 2),
      row('rmr', s.rmr, 2),
      row('latency p50 ms', s.latencyP50Ms, 0),
      row('latency p99 ms', s.latencyP99Ms, 0),
    ], ['l', 'r', 'r', 'r']));
    out.push(`overlay at the end: at most ${s.components} component(s) per topic, smallest largest-component share ${(s.largestComponentShare * 100).toFixed(1)}%, ${s.isolated} isolated node(s)`);
  }
  const traffic: readonly TrafficRow[] = report.traffic ?? [];
  if (traffic.length > 0) {
    out.push('', 'traffic per node and second (sent)');
    out.push(table([['frame type', 'frames', 'bytes'], ...traffic.map((r) => [r.frameType, fix(r.framesSentPerSecond, 2), fix(r.bytesSentPerSecond, 0)])], ['l', 'r', 'r']));
  }
  return out;
}

function fix(value: number, digits: number): string {
  return Number.isInteger(value) && digits > 0 ? String(value) : value.toFixed(digits);
}

const CHAOS_EVENTS_SHOWN = 50;
const CHAOS_TARGETS_SHOWN = 3;

/** The run's chaos events with their verdicts (none when the run had no chaos). */
function chaosLines(report: RunReport): string[] {
  const chaos = chaosReportOf(report);
  const log = chaos?.log ?? [];
  // Events that found no fitting target when due are named, so `--chaos 1000` on a short run does not look like 1000 faults.
  const skipped = chaos?.skipped ?? 0;
  if (log.length === 0 && skipped === 0) return [];
  const passed = log.filter((e) => e.verdict === 'passed').length;
  const unobserved = log.filter((e) => e.verdict === 'unobserved').length;
  const skippedText = skipped > 0 ? `, ${skipped} skipped (no fitting target when due)` : '';
  const unobservedText = unobserved > 0 ? `, ${unobserved} unobserved (every node that could show it was down or under another fault)` : '';
  const out = ['', `chaos events (${log.length}: ${passed} passed, ${log.length - passed - unobserved} not passed${unobservedText}${skippedText})`];
  for (const s of chaos?.skippedScheduled ?? []) out.push(`  skipped at ${(s.atMs / 1000).toFixed(3)} s: ${s.primitive} on ${s.targets.join(', ')}: ${s.reason}`);
  if (log.length === 0) return out;
  const shown = log.slice(0, CHAOS_EVENTS_SHOWN);
  const rows = shown.map((e) => {
    const more = e.targets.length > CHAOS_TARGETS_SHOWN ? ` +${e.targets.length - CHAOS_TARGETS_SHOWN}` : '';
    return [`#${e.id}`, `${(e.atMs / 1000).toFixed(3)} s`, e.primitive, `${e.targets.slice(0, CHAOS_TARGETS_SHOWN).join(', ')}${more}`, e.verdict, `${(e.waitedMs / 1000).toFixed(3)} s`];
  });
  out.push(table([['event', 'at', 'primitive', 'targets', 'verdict', 'waited'], ...rows], ['l', 'r', 'l', 'l', 'l', 'r']));
  if (log.length > CHAOS_EVENTS_SHOWN) out.push(`  … ${log.length - CHAOS_EVENTS_SHOWN} more (see --json or --report)`);
  for (const e of shown) if (e.verdict !== 'passed' && e.message !== undefined) out.push(`  #${e.id} ${e.verdict}: ${e.message}`);
  return out;
}

/** Rows as aligned columns, indented by two spaces; `align` per column (default: left, then right). */
export function table(rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(0, ...rows.map((r) => (r[c] ?? '').length)));
  const sideOf = (c: number): 'l' | 'r' => align?.[c] ?? (c === 0 ? 'l' : 'r');
  return rows
    .map((r) => {
      const cells = widths.map((w, c) => (sideOf(c) === 'l' ? (r[c] ?? '').padEnd(w) : (r[c] ?? '').padStart(w)));
      return `  ${cells.join('  ')}`.trimEnd();
    })
    .join('\n');
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
