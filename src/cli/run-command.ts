/**
 * `meshsim run`: resolve the scenario (registry name or JSON file), the seed (given, or picked
 * from crypto randomness and printed first) and the options; run it; print the text summary or
 * one JSON object; exit 0 on pass, 1 on a failed run, 3 when an output file could not be
 * written (after the verdict), 4 when the heap fills up (memory-guard.ts). Wall time is measured here, around
 * runScenario, because the core never reads a clock.
 *
 * Extending: new `run` options are declared in `registerRun` and parsed in `parseRunRequest`;
 * other subcommands (replay, sweep) can reuse `executeRun` and the formatters.
 */
import { performance } from 'node:perf_hooks';
import { Option, type Command } from 'commander';
import { findScenario } from '../catalog/registry.js';
import { keepsPerPairSpans, runScenario, type RunOutcome, type RunProgress } from '../scenario/runner.js';
import type { Cluster } from '../scenario/cluster.js';
import { recordTopology } from '../report/report-data.js';
import { OtlpStream, otlpStreamBatch } from '../report/otlp.js';
import type { TopologyRecorder } from '../report/topology-snapshots.js';
import type { Scenario } from '../scenario/scenario.js';
import { parseDuration } from './duration.js';
import { openOutputStream } from './output-file.js';
import { EXIT_FAIL, EXIT_OUTPUT, EXIT_PASS, UsageError, fail, quoted } from './errors.js';
import { MeshsimInputError } from '../io/input-error.js';
import { guardHeap, heapWatch, thisMachine, v8HeapSource } from './memory-guard.js';
import { nodeCount } from '../scenario/topology.js';
import { settingsAdvice } from '../scenario/advice.js';
import { type CliRunResult, formatRunText, runJson } from './format.js';
import { isScenarioPath, loadScenarioFile } from './scenario-file.js';
import { processProbe, progressMode, runProgressLine, type ProgressLine } from './run-progress.js';
import { parseSeed, pickSeed } from './seed.js';
import { applyRunExtras, failIfRunEndsEarly, replayOfRequest } from './run-extras.js';
import { TRACE_LEVELS, type CliTraceLevel, type RunRequest } from './run-request.js';
import { replayLine } from './replay-line.js';
import { addReportOptions, inputFile, parseReportOutputs, printWritten, wantsOutputs, writeRunOutputs, type ReportOptionValues } from './report-output.js';

export const DEFAULT_SCENARIO = 'default';
/**
 * Longest main phase recorded at --trace-level trace, ms: every frame and message is a span
 * (about 490 000 spans and 450 MB per virtual hour on the default layout), so a day of it would
 * exhaust the heap.
 */
export const TRACE_DURATION_MS_MAX = 7_200_000;

/** Raw option values as commander hands them over. */
interface RunOptionValues extends ReportOptionValues {
  /** Absent when not given (so `--scenario default --schedule F` can be refused). */
  readonly scenario?: string;
  readonly seed?: string;
  readonly duration?: string;
  readonly traceLevel?: CliTraceLevel;
  readonly json?: boolean;
  readonly schedule?: string;
  readonly chaos?: string;
  readonly progress?: boolean;
}

export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description('run a scenario for a seed and print a summary (exit 0 pass, 1 fail, 2 bad usage, 3 output not written, 4 out of memory)')
    .option('--scenario <name|file>', `scenario name (see \`meshsim list\`) or a JSON scenario file (default: ${DEFAULT_SCENARIO})`)
    .option('--seed <n>', 'seed, a non-negative integer (default: picked at random and printed)')
    .option('--duration <time>', "main phase length: 90s, 5m, 2h, 1500ms or seconds (default: the scenario's)")
    .addOption(new Option('--trace-level <level>', 'record per-message TRACE spans too (default: the scenario\'s, usually info)').choices(TRACE_LEVELS))
    .option('--json', 'print exactly one JSON object instead of the text summary')
    .option('--progress', 'off a terminal too, write a progress line to stderr every 10 s of wall time (for logs of long runs)')
    .option('--schedule <file>', 'run a schedule file (seed, base scenario, topology, decoded chaos events), e.g. one from seeds/')
    .option('--chaos <n>', 'add n random chaos primitives, fired at seeded times in the main phase');
  addReportOptions(run)
    .action((options: RunOptionValues) => {
      process.exitCode = runAction(parseRunRequest(options));
    });
}

export function parseRunRequest(options: RunOptionValues): RunRequest {
  if (options.schedule !== undefined && options.scenario !== undefined) fail('--scenario cannot be combined with --schedule (the file names its base scenario)');
  const scenarioRef = options.scenario ?? DEFAULT_SCENARIO;
  const scenario = resolveScenario(scenarioRef);
  let seed: string;
  const seedPicked = options.seed === undefined;
  if (options.seed === undefined) {
    seed = pickSeed();
  } else {
    const parsed = parseSeed(options.seed);
    seed = parsed.ok ? parsed.seed : fail(parsed.error);
  }
  let durationMs: number | undefined;
  if (options.duration !== undefined) {
    const parsed = parseDuration(options.duration);
    durationMs = parsed.ok ? parsed.ms : fail(`--duration: ${parsed.error}`);
  }
  const outputs = parseReportOutputs(options, [...inputFile('the scenario file', isScenarioPath(scenarioRef) ? scenarioRef : undefined), ...inputFile('the schedule file', options.schedule)]);
  const traced = options.traceLevel === 'trace' ? (durationMs ?? scenario.durationMs) : 0;
  if (traced > TRACE_DURATION_MS_MAX) fail(`--trace-level trace records every message: at most ${TRACE_DURATION_MS_MAX / 3_600_000} h of main phase (got ${traced} ms; shorten it with --duration)`);
  const request = applyRunExtras({ scenario, scenarioRef, seed, seedPicked, durationMs, traceLevel: options.traceLevel, json: options.json === true, ...(options.progress === true ? { progress: true } : {}), outputs }, options);
  failIfRunEndsEarly(request.scenario, request.durationMs);
  return request;
}

export function resolveScenario(ref: string): Scenario {
  if (isScenarioPath(ref)) return loadScenarioFile(ref);
  return findScenario(ref) ?? fail(`unknown scenario ${quoted(ref)} (run \`meshsim list\` to see the scenarios)`);
}

/** Runs the request and measures wall time; a crash inside the simulator is left to the caller. */
export function executeRun(request: RunRequest, progress: ProgressLine = { end: () => {} }): CliRunResult {
  const startMs = performance.now();
  let outcome: RunOutcome;
  // A report's topology is recorded as the run goes: a large run does not keep the spans it is made of.
  let topology: TopologyRecorder | undefined;
  // A run that keeps no per-pair spans writes its OTLP file as it goes, every span in it.
  const otlpPath = request.outputs?.otlpPath;
  const file = otlpPath === undefined || keepsPerPairSpans(request.scenario) ? null : openOutputStream(otlpPath);
  const exported: { otlp: OtlpStream | null } = { otlp: null }; // set by onStart
  const wantsTopology = request.outputs?.reportPath !== undefined;
  const onStart =
    !wantsTopology && file === null
      ? undefined
      : (cluster: Cluster): void => {
          if (wantsTopology) topology = recordTopology(cluster);
          if (file !== null) exported.otlp = new OtlpStream(cluster.telemetry, (chunk) => file.write(chunk), otlpStreamBatch(cluster.plans.length));
        };
  try {
    outcome = runScenario(request.scenario, request.seed, { durationMs: request.durationMs, traceLevel: request.traceLevel, onProgress: progress.onProgress, onStart });
  } catch (e) {
    file?.abort(); // no half-written trace of a run that has no result
    throw e;
  } finally {
    progress.end();
  }
  const wallMs = performance.now() - startMs;
  const otlpStreamed = file === null || exported.otlp === null ? undefined : { summary: exported.otlp.finish(), write: file.close() };
  // The cluster (whole trace) is kept only when files are written from it: sweeps run many.
  const keep = request.outputs !== undefined && wantsOutputs(request.outputs);
  return {
    report: outcome.report,
    description: request.scenario.description,
    wallMs,
    replay: replayFor(request),
    ...(keep ? { outcome, topology } : {}),
    ...(otlpStreamed === undefined ? {} : { otlpStreamed }),
  };
}

/** The exact command that reproduces a request (file scenarios replay by path). */
export function replayFor(request: RunRequest): string {
  return replayLine(replayOfRequest(request));
}

function runAction(request: RunRequest): number {
  // A run that cannot fit is refused here; one that needs a larger heap runs in a child Node.
  const childExit = guardHeap(request.scenario);
  if (childExit !== null) return childExit;
  // Printed before the run so the seed is known even if the run never finishes.
  if (!request.json) process.stdout.write(`seed: ${request.seed}\n`);
  for (const note of settingsAdvice(request.scenario)) process.stderr.write(`meshsim: note: ${note}\n`);
  const machine = thisMachine();
  const watch = heapWatch(nodeCount(request.scenario.topology), { source: v8HeapSource(), machineBytes: machine.totalMemBytes, contained: machine.contained === true });
  const line = runProgressLine(process.stderr, progressMode(process.stderr, request.progress === true), processProbe(() => watch.liveHeap()));
  const onProgress = (p: RunProgress): void => {
    watch.check(p);
    line.onProgress?.(p);
  };
  let result: CliRunResult;
  try {
    result = executeRun(request, { end: line.end, onProgress });
  } catch (e) {
    if (e instanceof UsageError) throw e; // the heap watch stopped the run: one line, exit 4
    if (e instanceof MeshsimInputError) fail(e.message); // a chaos config the run cannot carry out: bad input
    return reportCrash(request, e);
  } finally {
    watch.stop();
  }
  process.stdout.write(request.json ? `${JSON.stringify(runJson(result))}\n` : formatRunText(result));
  if (request.outputs !== undefined && result.outcome !== undefined) {
    const written = writeRunOutputs(result.outcome, request.outputs, { replay: result.replay, description: result.description, topology: result.topology, otlpStreamed: result.otlpStreamed });
    // The verdict and replay command are out already: a file that cannot be written only changes the exit code.
    if (!printWritten(written, request.json) && result.report.verdict === 'pass') return EXIT_OUTPUT;
  }
  return result.report.verdict === 'pass' ? EXIT_PASS : EXIT_FAIL;
}

/**
 * An exception from the simulator is a bug it found (an assertion), so it is a failed run with
 * a replay command — and, unlike bad usage, its stack goes to stderr for whoever fixes it.
 */
function reportCrash(request: RunRequest, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  const replay = replayFor(request);
  if (request.json) {
    const crash = { seed: request.seed, scenario: request.scenario.name, verdict: 'fail', violations: [{ check: 'crash', message }], replay };
    process.stdout.write(`${JSON.stringify(crash)}\n`);
  } else {
    process.stdout.write(`verdict: FAIL (the simulator crashed)\n  crash: ${message}\nreplay: ${replay}\n`);
  }
  if (error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAIL;
}
