/**
 * The `--otlp FILE` and `--report FILE.html` options shared by `run` (and `replay`): declare
 * them, check the target directories BEFORE the run (a typo should not cost a whole run), and
 * write the OTLP JSON and the self-contained HTML report after it. Returns one note line per
 * file written; never prints.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { otlpJsonOfRun, summarizeOtlp } from '../report/otlp.js';
import { renderReportHtml } from '../report/html.js';
import { runReportData } from '../report/report-data.js';
import { testCellOf, testsGridOf, type TestsGrid } from '../report/tests-grid.js';
import type { RunOutcome } from '../scenario/runner.js';
import { fail, quoted } from './errors.js';

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

export function parseReportOutputs(options: ReportOptionValues): ReportOutputs {
  return {
    ...(options.otlp === undefined ? {} : { otlpPath: writablePath('--otlp', options.otlp) }),
    ...(options.report === undefined ? {} : { reportPath: writablePath('--report', options.report) }),
  };
}

export function wantsOutputs(outputs: ReportOutputs): boolean {
  return outputs.otlpPath !== undefined || outputs.reportPath !== undefined;
}

/** Write what was asked for; `tests` defaults to a 1 × 1 grid of this run. */
export function writeRunOutputs(
  outcome: RunOutcome,
  outputs: ReportOutputs,
  context: { readonly replay: string; readonly description: string; readonly tests?: TestsGrid },
): string[] {
  const notes: string[] = [];
  if (outputs.otlpPath !== undefined) {
    const json = otlpJsonOfRun(outcome.cluster.telemetry);
    writeFileSync(outputs.otlpPath, json);
    const s = summarizeOtlp(json);
    notes.push(`otlp: ${outputs.otlpPath} (${s.spans} spans, ${s.resources} resources, ${kib(json.length)})`);
  }
  if (outputs.reportPath !== undefined) {
    const tests = context.tests ?? testsGridOf([testCellOf(outcome.report, context.replay)]);
    const html = renderReportHtml(runReportData(outcome, { replay: context.replay, description: context.description, tests }));
    writeFileSync(outputs.reportPath, html);
    notes.push(`report: ${outputs.reportPath} (${kib(Buffer.byteLength(html))})`);
  }
  return notes;
}

/** Write an HTML file; returns the note line. */
export function writeHtml(path: string, html: string): string {
  writeFileSync(path, html);
  return `report: ${path} (${kib(Buffer.byteLength(html))})`;
}

/** The path, if its directory exists and it is not itself a directory; else bad usage. */
export function writablePath(option: string, path: string): string {
  if (path.trim() === '') fail(`${option}: empty file name`);
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${option}: directory ${quoted(dirname(path))} does not exist`);
  if (existsSync(full) && statSync(full).isDirectory()) fail(`${option}: ${quoted(path)} is a directory`);
  return path;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
