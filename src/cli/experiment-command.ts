/**
 * `meshsim experiment FILE.json [--seeds A..B] [--workers N] [--shard i/n] [--point K] [--json]
 * [--report F.html]`: every point of the experiment file × every seed, on worker threads
 * (SPEC §10.5). With --json, stdout is one JSON line per (point, seed) in task order, then a
 * last line `{"type":"summary",...}` with mean/min/max per point per metric; without it, failed
 * runs are printed as they come, then the summary as text tables. A progress bar goes to stderr
 * on a terminal only. Exit 0 when every run passed, 1 when any failed, 2 on bad usage or a bad
 * file (one line naming the field).
 */
import { settingsAdvice } from '../scenario/advice.js';
import { readJsonFile } from '../io/json-input.js';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { parseExperimentJson, pointLabel, type Experiment } from '../experiment/experiment-file.js';
import { EXPERIMENT_RUNS_MAX, experimentRunCount, runExperiment } from '../experiment/run-experiment.js';
import { LEFT_OUT_METRIC, RUN_METRICS_MAX } from '../experiment/run-metrics.js';
import { ExperimentSummary, metricNames, type PointSummary } from '../experiment/summary.js';
import { scenarioOfPoint, type ExperimentTask } from '../experiment/worker.js';
import { renderReportHtml } from '../report/html.js';
import { experimentReportData } from '../report/report-data.js';
import { testsGridOf, type TestCell } from '../report/tests-grid.js';
import { TaskOutOfMemory } from '../sweep/ordered-pool.js';
import { Progress, seedsPerMin } from '../sweep/progress.js';
import { parseSeedRange } from '../sweep/shard.js';
import { EXIT_FAIL, EXIT_OUTPUT, EXIT_PASS, fail, quoted } from './errors.js';
import { thisMachine, workerHeapPlan, workerOutOfMemory, workerYoungGenerationMb } from './memory-guard.js';
import { parsePoolOptions } from './pool-options.js';
import { table } from './format.js';
import { inputFile, printWritten, writablePath, writeHtml } from './report-output.js';
import { replayLine } from './replay-line.js';

interface ExperimentOptionValues {
  readonly seeds?: string;
  readonly workers?: string;
  readonly shard?: string;
  readonly point?: string;
  readonly json?: boolean;
  readonly report?: string;
}

const FILE_BYTES_MAX = 1_000_000;

export function registerExperiment(program: Command): void {
  program
    .command('experiment')
    .description('run every point of an experiment file (axes over scenario fields) × seeds and summarise the metrics (exit 0 all pass, 1 any fail, 2 bad usage, 3 report not written, 4 a worker\'s heap filled)')
    .argument('<file.json>', 'experiment file: { "base": scenario name or object, "axes": { "field.path": [values] }, "seeds": "A..B" }')
    .option('--seeds <A..B>', "seed range, inclusive (default: the file's seeds)")
    .option('--workers <n>', 'worker threads (default: the available cores)')
    .option('--shard <i/n>', 'run only shard i of n of the point × seed runs (strided, disjoint; the n shards cover every run)')
    .option('--point <k>', 'run only point k (1-based, as numbered in the output)')
    .option('--json', 'one JSON line per (point, seed), then a summary line')
    .option('--report <file.html>', 'write a self-contained HTML report with the Experiment charts and the Tests grid')
    .action(async (file: string, options: ExperimentOptionValues) => {
      process.exitCode = await experimentAction(file, options);
    });
}

function loadExperiment(path: string): Experiment {
  const read = readJsonFile(path, 'experiment file', FILE_BYTES_MAX);
  if (!read.ok) return fail(read.error);
  const parsed = parseExperimentJson(read.value, basename(path).replace(/\.json$/, '').replace(/[^A-Za-z0-9._-]/g, '-') || 'experiment');
  return parsed.ok ? parsed.experiment : fail(`${path}: ${parsed.error}`);
}

async function experimentAction(path: string, options: ExperimentOptionValues): Promise<number> {
  const experiment = loadExperiment(path);
  const seedText = options.seeds ?? (experiment.seeds === null ? null : `${experiment.seeds.from}..${experiment.seeds.to}`);
  if (seedText === null) fail(`${path}: no seeds (set "seeds": "A..B" in the file or pass --seeds)`);
  const range = parseSeedRange(seedText);
  if (!range.ok) fail(range.error);
  const { shard, workers } = parsePoolOptions(options);
  let points = experiment.points;
  if (options.point !== undefined) {
    const k = Number(options.point);
    if (!/^\d+$/.test(options.point) || k < 1 || k > points.length) fail(`--point must be an integer from 1 to ${points.length} (got ${quoted(options.point)})`);
    points = [points[k - 1]];
  }
  const runs = experimentRunCount(points.length, range.value, shard);
  if (runs > EXPERIMENT_RUNS_MAX) fail(`${runs} runs (points × seeds) is more than ${EXPERIMENT_RUNS_MAX}; split it with --shard`);
  const reportPath = options.report === undefined ? undefined : writablePath('--report', options.report, inputFile('the experiment file', path));

  const json = options.json === true;
  const summary = new ExperimentSummary((point) => experiment.points[point - 1].values);
  const cells: TestCell[] = [];
  const progress = new Progress(runs, process.stderr, process.stderr.isTTY === true, 'runs');
  const replay = (point: number, seed: string): string => replayLine({ kind: 'experiment-point', experiment: path, point, seed });
  const machine = thisMachine();
  const scenarios = points.map((p) => scenarioOfPoint(p.base));
  // Settings that work against each other (scenario/advice.ts), one line per note with the
  // points that have it: a latency axis over LAN graft timers would print the same note per point.
  const advice = new Map<string, number[]>();
  const pointNumber = (i: number): number => (options.point === undefined ? i + 1 : Number(options.point));
  scenarios.forEach((s, i) => {
    for (const note of settingsAdvice(s)) advice.set(note, [...(advice.get(note) ?? []), pointNumber(i)]);
  });
  for (const [note, at] of advice) process.stderr.write(`meshsim: note: point${at.length === 1 ? '' : 's'} ${at.join(', ')}: ${note}\n`);
  const heap = workerHeapPlan(scenarios, Math.min(workers, runs), machine);
  if (heap.kind === 'refuse') fail(heap.message);
  if (heap.kind === 'limit') process.stderr.write(`${heap.note}\n`);
  const heapMb = heap.kind === 'limit' ? heap.heapMb : undefined;
  const youngMb = workerYoungGenerationMb(scenarios, machine) ?? undefined;
  await runExperiment({
    points,
    seeds: range.value,
    shard,
    workers,
    ...(heapMb === undefined ? {} : { heapMb }),
    ...(youngMb === undefined ? {} : { youngMb }),
    onLine: (line, done) => {
      progress.tick(done, line.verdict !== 'pass');
      summary.add(line);
      const values = experiment.points[line.point - 1].values;
      if (reportPath !== undefined) {
        // The run line's metrics carry its chaos counts (chaos.events, …) when it had chaos.
        const events = line.metrics['chaos.events'];
        const passed = line.metrics['chaos.passed'];
        const skipped = line.metrics['chaos.skipped'] ?? 0;
        const unobserved = line.metrics['chaos.unobserved'] ?? 0;
        const chaos = events === undefined || passed === undefined ? null : { passed, events, ...(unobserved > 0 ? { unobserved } : {}), ...(skipped > 0 ? { skipped } : {}) };
        const more = line.violationsMore === undefined ? {} : { violationsMore: line.violationsMore };
        cells.push({ scenario: `#${line.point} ${pointLabel(experiment.axes, values)}`, seed: line.seed, verdict: line.verdict, replay: replay(line.point, line.seed), violations: line.violations, ...more, virtualMs: 0, chaos });
      }
      if (json) {
        const at = Object.fromEntries(experiment.axes.map((a, i) => [a.path, values[i]]));
        const more = line.violationsMore === undefined ? {} : { violationsMore: line.violationsMore };
        process.stdout.write(`${JSON.stringify({ type: 'run', point: line.point, at, seed: line.seed, verdict: line.verdict, traceDigest: line.traceDigest, violations: line.violations, ...more, metrics: line.metrics, replay: replay(line.point, line.seed) })}\n`);
      } else if (line.verdict !== 'pass') {
        progress.end();
        process.stdout.write(`FAIL point ${line.point} (${pointLabel(experiment.axes, values)}) seed ${line.seed}: ${line.violations[0] ?? 'failed'}\n  replay: ${replay(line.point, line.seed)}\n`);
      }
    },
  }).catch((e: unknown) => {
    if (!(e instanceof TaskOutOfMemory)) throw e;
    progress.end();
    const task = e.task as ExperimentTask;
    throw workerOutOfMemory(`point ${task.point} seed ${task.seed}`, heapMb ?? null);
  });
  progress.end();
  const wallMs = progress.elapsedMs();
  const shardText = shard === undefined ? null : `${shard.index}/${shard.count}`;
  const pointSummaries = summary.points();
  if (json) {
    const head = { type: 'summary', experiment: experiment.name, base: experiment.baseName, axes: experiment.axes.map((a) => a.path), seedRange: seedText, shard: shardText };
    process.stdout.write(`${JSON.stringify({ ...head, runs: summary.runs, passed: summary.passed, failed: summary.runs - summary.passed, workers, wallMs: Math.round(wallMs), points: pointSummaries })}\n`);
  } else {
    process.stdout.write(formatExperimentSummary(experiment, pointSummaries, { seeds: seedText, shard: shardText, workers, wallMs, runs: summary.runs, passed: summary.passed }));
  }
  const leftOut = Math.max(0, ...pointSummaries.map((p) => p.metrics[LEFT_OUT_METRIC]?.max ?? 0));
  if (leftOut > 0) process.stderr.write(`meshsim: note: runs kept their first ${RUN_METRICS_MAX} metrics and left out up to ${leftOut} more (metric ${LEFT_OUT_METRIC})\n`);
  if (reportPath !== undefined) {
    const seeds = `${seedText}${shardText === null ? '' : ` shard ${shardText}`}`;
    const section = {
      name: experiment.name,
      description: experiment.description,
      base: experiment.baseName,
      seeds,
      axes: experiment.axes.map((a) => ({ path: a.path, values: a.values })),
      metrics: metricNames(pointSummaries),
      points: pointSummaries,
    };
    const html = renderReportHtml(experimentReportData(`meshsim experiment: ${experiment.name} seeds ${seeds}`, section, testsGridOf(cells)));
    if (!printWritten(writeHtml(reportPath, html), json) && summary.passed === summary.runs) return EXIT_OUTPUT;
  }
  return summary.passed === summary.runs ? EXIT_PASS : EXIT_FAIL;
}

interface RunTotals {
  readonly seeds: string;
  readonly shard: string | null;
  readonly workers: number;
  readonly wallMs: number;
  readonly runs: number;
  readonly passed: number;
}

/** The summary as text: a header, then per metric a table of its mean/min/max at every point. */
export function formatExperimentSummary(experiment: Experiment, points: readonly PointSummary[], t: RunTotals): string {
  const rate = Math.round(seedsPerMin(t.runs, t.wallMs) * 10) / 10;
  const out = [
    `experiment: ${experiment.name} (base ${experiment.baseName}) ${points.length} point${points.length === 1 ? '' : 's'} × seeds ${t.seeds}${t.shard === null ? '' : ` shard ${t.shard}`} on ${t.workers} worker${t.workers === 1 ? '' : 's'}`,
    `  runs: ${t.runs}  passed: ${t.passed}  failed: ${t.runs - t.passed}  wall: ${(t.wallMs / 1000).toFixed(1)} s  ${rate} runs/min`,
  ];
  const axisHeads = experiment.axes.length === 0 ? ['point'] : experiment.axes.map((a) => a.path);
  for (const metric of metricNames(points)) {
    out.push('', `${metric} (over seeds)`);
    const rows = points
      .filter((p) => p.metrics[metric] !== undefined)
      .map((p) => {
        const m = p.metrics[metric];
        const at = experiment.axes.length === 0 ? ['base'] : p.values.map((v) => JSON.stringify(v));
        return [...at, String(m.n), num(m.mean), num(m.min), num(m.max)];
      });
    out.push(table([[...axisHeads, 'seeds', 'mean', 'min', 'max'], ...rows], [...axisHeads.map(() => 'l' as const), 'r', 'r', 'r', 'r']));
  }
  return `${out.join('\n')}\n`;
}

function num(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
}
