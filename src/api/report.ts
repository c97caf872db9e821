/** `meshsim/report`: the self-contained HTML report and OTLP/JSON export of a finished run. */
export { otlpJsonOfRun, renderReportHtml, runReportData, type ReportData, type RunReportOptions } from '../report/index.js';
/**
 * The Topology tab's data (`ReportData.run.topology`) is changes and keyframes; `topologyStateAt`
 * decodes a snapshot's state. `recordTopology`, called from `RunOptions.onStart`, records it as
 * the run goes, for runs that do not keep the spans it is made of (above 1,000 nodes).
 */
export { recordTopology, topologyStateAt, type EncodedTopology, type TopologyKeyframe, type TopologyRecorder, type TopologyState } from '../report/index.js';
/**
 * OTLP/JSON written as a run goes, started from `RunOptions.onStart`: every span, for runs that do
 * not keep per-pair and per-message spans in memory (above 1,000 nodes), whose `otlpJsonOfRun`
 * leaves those out. `meshsim run --otlp` uses it for such runs.
 */
export { OtlpStream } from '../report/index.js';
/**
 * `otlpJsonOfRun`'s document handed to a writer in pieces (a file, a socket), for a finished run
 * whose spans serialize to more than one string can hold: a 10,000-node chaos run keeps 1.4 M
 * spans. `meshsim run --otlp` writes runs it holds in memory through it.
 */
export { writeOtlpOfRun } from '../report/index.js';
