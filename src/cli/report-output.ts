/**
 * The `--otlp FILE` and `--report FILE.html` options shared by `run` (and `replay`): declare
 * them, check the targets BEFORE the run (a typo should not cost a whole run), and write the
 * OTLP JSON and the self-contained HTML report after it (output-file.ts: whole or not at all).
 * Returns one note line per file written and one error line per file that could not be;
 * `printWritten` prints them after the verdict, so a full disk never hides the run's result.
 */
import type { Command } from 'commander';
import { writeOtlpOfRun } from '../report/otlp.js';
import { renderReportHtml } from '../report/html.js';
import { runReportData } from '../report/report-data.js';
import { testCellOf, testsGridOf, type TestsGrid } from '../report/tests-grid.js';
import type { RunOutcome } from '../scenario/runner.js';
import type { TopologyRecorder } from '../report/topology-snapshots.js';
import { oneLine } from './errors.js';
import type { OtlpStreamed } from './format.js';
import { openOutputStream, writablePath, writeOutputFile, type OtherFile } from './output-file.js';

export { writablePath } from './output-file.js';

export interface ReportOptionValues {
  readonly otlp?: string;
  readonly report?: string;
}

/** Validated output paths (absent = not asked for). */
export interface ReportOutputs {
  readonly otlpPath?: string;
  readonly reportPath?: string;
}

export function addReportOptions(command: Command): Command {
  return command
    .option('--otlp <file>', 'write the run\'s spans as OTLP/JSON (ExportTraceServiceRequest) to FILE')
    .option('--report <file.html>', 'write a self-contained HTML report (Timeline, Chaos, Tests, Topology) to FILE');
}

/** The output paths, checked (`writablePath`): neither may be one of `inputs` (the run's input files), nor the other. */
export function parseReportOutputs(options: ReportOptionValues, inputs: readonly OtherFile[] = []): ReportOutputs {
  const otlpPath = options.otlp === undefined ? undefined : writablePath('--otlp', options.otlp, inputs);
  const reportOthers: OtherFile[] = otlpPath === undefined ? [...inputs] : [...inputs, ['the --otlp file', otlpPath]];
  return {
    ...(otlpPath === undefined ? {} : { otlpPath }),
    ...(options.report === undefined ? {} : { reportPath: writablePath('--report', options.report, reportOthers) }),
  };
}

/** The input file a command names as `what` (a scenario or schedule file), for `writablePath`'s check; none for a registered name. */
export function inputFile(what: string, path: string | undefined): OtherFile[] {
  return path === undefined ? [] : [[what, path]];
}

export function wantsOutputs(outputs: ReportOutputs): boolean {
  return outputs.otlpPath !== undefined || outputs.reportPath !== undefined;
}

/** What writing the outputs gave: a note per file written, an error line per file that could not be. */
export interface Written {
  readonly notes: readonly string[];
  readonly errors: readonly string[];
}

/** Write what was asked for; `tests` defaults to a 1 × 1 grid of this run. */
export function writeRunOutputs(
  outcome: RunOutcome,
  outputs: ReportOutputs,
  context: {
    readonly replay: string;
    readonly description: string;
    /** The report's title (default: the scenario and seed). */
    readonly title?: string;
    readonly tests?: TestsGrid;
    readonly topology?: TopologyRecorder;
    /** The OTLP file, when it was written as the run went (executeRun). */
    readonly otlpStreamed?: OtlpStreamed;
  },
): Written {
  const notes: string[] = [];
  const errors: string[] = [];
  // Files written from memory lack the spans the run did not keep; a streamed OTLP file has them all.
  const lacking: string[] = [];
  const streamed = context.otlpStreamed;
  if (outputs.otlpPath !== undefined && streamed !== undefined) {
    const s = streamed.summary;
    if (streamed.write.ok) notes.push(`otlp: ${outputs.otlpPath} (${s.spans} spans, ${s.resources} resources, ${kib(s.bytes)}; written as the run went)`);
    else errors.push(`--otlp: ${streamed.write.error}`);
  } else if (outputs.otlpPath !== undefined) {
    // In pieces: the whole document of a large chaos run is more than a string can hold.
    const file = openOutputStream(outputs.otlpPath);
    const s = writeOtlpOfRun(outcome.cluster.telemetry, (chunk) => file.write(chunk));
    const w = file.close();
    if (w.ok) {
      notes.push(`otlp: ${outputs.otlpPath} (${s.spans} spans, ${s.resources} resources, ${kib(s.bytes)})`);
      lacking.push('the OTLP file');
    } else errors.push(`--otlp: ${w.error}`);
  }
  if (outputs.reportPath !== undefined) {
    const tests = context.tests ?? testsGridOf([testCellOf(outcome.report, context.replay)]);
    const html = renderReportHtml(runReportData(outcome, { replay: context.replay, description: context.description, tests, topology: context.topology, ...(context.title === undefined ? {} : { title: context.title }) }));
    const w = writeOutputFile(outputs.reportPath, html);
    if (w.ok) {
      notes.push(`report: ${outputs.reportPath} (${kib(Buffer.byteLength(html))})`);
      lacking.push('the report');
    } else errors.push(`--report: ${w.error}`);
  }
  const dropped = outcome.report.spansNotRetained;
  if (lacking.length > 0 && dropped > 0) {
    notes.push(`${dropped} per-pair and per-message spans were not kept in memory at this size and are left out of ${lacking.join(' and ')} (the trace digest and spansByName count them)`);
  }
  return { notes, errors };
}

/** Write an HTML report file. */
export function writeHtml(path: string, html: string): Written {
  const w = writeOutputFile(path, html);
  return w.ok ? { notes: [`report: ${path} (${kib(Buffer.byteLength(html))})`], errors: [] } : { notes: [], errors: [`--report: ${w.error}`] };
}

/**
 * Prints the notes (on stderr with --json, so stdout stays one JSON document) and each error as
 * one `meshsim:` line on stderr. True when every file was written.
 */
export function printWritten(written: Written, json: boolean): boolean {
  (json ? process.stderr : process.stdout).write(written.notes.map((n) => `${n}\n`).join(''));
  for (const e of written.errors) process.stderr.write(`meshsim: ${oneLine(e)}\n`);
  return written.errors.length === 0;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
