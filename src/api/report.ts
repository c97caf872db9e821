/** `meshsim/report`: the self-contained HTML report and OTLP/JSON export of a finished run. */
export { otlpJsonOfRun, renderReportHtml, runReportData, type ReportData, type RunReportOptions } from '../report/index.js';
/**
 * The Topology tab's data (`ReportData.run.topology`) is changes and keyframes; `topologyStateAt`
 * decodes a snapshot's state. `recordTopology`, called from `RunOptions.onStart`, records it as
 * the run goes, for runs that do not keep the spans it is made of (above 1,000 nodes).
 */
export { recordTopology, topologyStateAt, type EncodedTopology, type TopologyKeyframe, type TopologyRecorder, type TopologyState } from '../report/index.js';
