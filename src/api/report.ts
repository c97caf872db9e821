/** `meshsim/report`: the self-contained HTML report and OTLP/JSON export of a finished run. */
export { otlpJsonOfRun, renderReportHtml, runReportData, type ReportData, type RunReportOptions } from '../report/index.js';
