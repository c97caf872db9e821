/**
 * Public surface of the report adapters: OTLP JSON export, the HTML report (Timeline, Chaos,
 * Tests, Topology) and the data it is built from. Everything here reads the trace stream or
 * run reports; nothing feeds back into a run.
 */
export { OtlpStream, otlpJsonOfRun, summarizeOtlp, writeOtlpOfRun, type OtlpSummary } from './otlp.js';
export { renderReportHtml } from './html.js';
export { recordTopology, runReportData, testsReportData, type ReportData, type RunReportOptions, type RunSection } from './report-data.js';
export { chaosRowsOf, type ChaosRow, type EvidenceRef } from './chaos-events.js';
export { timelineOf, TIMELINE_KINDS, type TimelineData, type TimelineRow } from './timeline.js';
export { crashCell, gridCounts, testCellOf, testCellOfLine, testsGridOf, type TestCell, type TestsGrid } from './tests-grid.js';
export {
  encodeTopology,
  TOPOLOGY_SPANS,
  TopologyRecorder,
  snapshotAt,
  topologySnapshots,
  topologyStateAt,
  type EncodedTopology,
  type TopologyKeyframe,
  type TopologyState,
  type TopologyNode,
  type TopologySnapshot,
} from './topology-snapshots.js';
export { layoutNodes, type MeshGroup, type NodePlace } from './topology-layout.js';
