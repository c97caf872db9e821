/**
 * Everything the HTML report shows, as plain JSON-ready data: the run (timeline, chaos rows,
 * topology snapshots, all read from the trace stream) and/or a tests grid. The report is an
 * adapter over the trace; this module judges nothing and reads no clock.
 */
import { chaosReportOf } from '../primitives/engine.js';
import type { Cluster } from '../scenario/cluster.js';
import { notListedLines, type RunOutcome } from '../scenario/runner.js';
import { chaosRowsOf, type ChaosRow } from './chaos-events.js';
import type { ExperimentSection } from './experiment-data.js';
import type { TestsGrid } from './tests-grid.js';
import { timelineOf, type TimelineData } from './timeline.js';
import { layoutNodes, type MeshGroup, type NodePlace } from './topology-layout.js';
import { encodeTopology, TOPOLOGY_SPANS, TopologyRecorder, type EncodedTopology, type TopologyNode } from './topology-snapshots.js';

export interface RunSection {
  readonly scenario: string;
  readonly description: string;
  readonly seed: string;
  readonly verdict: 'pass' | 'fail';
  /** The command line that reproduces the run, when the caller gave one. */
  readonly replay: string | null;
  readonly virtualMs: number;
  readonly spans: number;
  /** Per-pair and per-message spans the run did not keep in memory (above 1,000 nodes, or past its budget): the Timeline cannot show them. */
  readonly spansNotKept: number;
  readonly traceDigest: string;
  /** The violations listed, as `check: message`, then a line per check with more found and not listed. */
  readonly violations: readonly string[];
  /** Violations found, listed or not (a section built without it counts `violations`). */
  readonly violationsFound?: number;
  readonly nodes: readonly (TopologyNode & { readonly place: NodePlace })[];
  readonly groups: readonly MeshGroup[];
  readonly chaos: readonly ChaosRow[];
  /** Chaos events that found no fitting target when due and were not applied (absent when none): `--chaos 30` on three nodes applies a few. */
  readonly chaosSkipped?: number;
  readonly timeline: TimelineData;
  readonly topology: EncodedTopology;
}

export interface ReportData {
  readonly title: string;
  readonly run: RunSection | null;
  readonly tests: TestsGrid | null;
  /** An experiment's points and metrics (the Experiment tab); absent in run and battery reports. */
  readonly experiment?: ExperimentSection;
}

export interface RunReportOptions {
  /** The command line that reproduces the run, shown with the verdict (default: none shown; the CLI passes its own). */
  readonly replay?: string;
  readonly description?: string;
  /** The page's title (default: `meshsim <scenario> seed <seed>`). */
  readonly title?: string;
  /** A tests grid to show alongside (default: none). */
  readonly tests?: TestsGrid | null;
  /** The topology as recorded during the run (`recordTopology`); default: read from the spans the run kept. */
  readonly topology?: TopologyRecorder;
}

export function runReportData(outcome: RunOutcome, options: RunReportOptions = {}): ReportData {
  const { report, cluster } = outcome;
  const records = cluster.telemetry.records;
  const nodes = topologyNodesOf(cluster);
  const names = new Map(nodes.map((n) => [n.nodeId, n.name]));
  const chaosReport = chaosReportOf(report);
  const log = chaosReport?.log ?? [];
  const skipped = chaosReport?.skipped ?? 0;
  const chaos = chaosRowsOf(records, names, log);
  const { places, groups } = layoutNodes(nodes);
  const replay = options.replay ?? null;
  return {
    title: options.title ?? `meshsim ${report.scenario} seed ${report.seed}`,
    run: {
      scenario: report.scenario,
      description: options.description ?? '',
      seed: report.seed,
      verdict: report.verdict,
      replay,
      virtualMs: report.virtualMs,
      spans: report.spans,
      spansNotKept: report.spansNotRetained,
      traceDigest: report.traceDigest,
      violations: [...report.violations.map((v) => `${v.check}: ${v.message}`), ...notListedLines(Object.entries(report.violationsNotListed ?? {}))],
      violationsFound: report.violations.length + Object.values(report.violationsNotListed ?? {}).reduce((sum, n) => sum + n, 0),
      nodes: nodes.map((n, i) => ({ ...n, place: places[i] })),
      groups,
      chaos,
      ...(skipped > 0 ? { chaosSkipped: skipped } : {}),
      timeline: timelineOf(records, nodes, chaos, names, report.virtualMs),
      topology: options.topology?.encoded() ?? encodeTopology(records, nodes),
    },
    tests: options.tests ?? null,
  };
}

/**
 * Records the topology of a run from its first span: call it from `RunOptions.onStart` and pass
 * the recorder to `runReportData`. A run above 1,000 nodes (or past its budget of per-pair spans)
 * keeps no neighbour changes in memory, and a Topology tab read from the kept spans alone would
 * show its links missing, or frozen where the budget ran out.
 */
export function recordTopology(cluster: Cluster): TopologyRecorder {
  const recorder = new TopologyRecorder(topologyNodesOf(cluster));
  for (const name of TOPOLOGY_SPANS) cluster.telemetry.listen(name, (r) => recorder.observe(r));
  return recorder;
}

function topologyNodesOf(cluster: Cluster): TopologyNode[] {
  return cluster.plans.map((p) => ({ name: p.name, nodeId: p.nodeId, role: p.role, meshId: p.meshId, topics: p.meshIds }));
}

/** A report with only the Tests grid (battery, sweep). */
export function testsReportData(title: string, tests: TestsGrid): ReportData {
  return { title, run: null, tests };
}

/** An experiment's report: the Experiment tab, and its runs as the Tests grid (point × seed). */
export function experimentReportData(title: string, experiment: ExperimentSection, tests: TestsGrid): ReportData {
  return { title, run: null, tests, experiment };
}
