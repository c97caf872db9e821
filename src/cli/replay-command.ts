/**
 * `meshsim replay <file> [--json] [--found-variant] [--report FILE.html] [--otlp FILE]`: replays
 * a schedule file (seeds/<name>.json or a counterexample a property printed): its seed, base
 * scenario, topology and decoded chaos schedule. Prints the run summary (or one JSON object)
 * plus whether the verdict matches the file's `expect`. A replay checks that expectation, so
 * the exit code follows it: 0 when the verdict matches `expect` (with --found-variant: `fail`),
 * 1 when it does not, 2 for a malformed file (one line naming the file and the problem), 3 when
 * an output file could not be written. --found-variant replays with the broken node variant the
 * counterexample was found with (`found.variant`).
 */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { runScheduleFile, scheduleScenario } from '../property/replay.js';
import { loadScheduleFile } from '../property/schedule.js';
import { MeshsimInputError } from '../io/input-error.js';
import { settingsAdvice } from '../scenario/advice.js';
import { nodeCount } from '../scenario/topology.js';
import { EXIT_FAIL, EXIT_OUTPUT, EXIT_PASS, UsageError, fail } from './errors.js';
import { guardHeap, heapWatch, thisMachine, v8HeapSource } from './memory-guard.js';
import { formatRunText, runJson } from './format.js';
import { addReportOptions, inputFile, parseReportOutputs, printWritten, writeRunOutputs, type ReportOptionValues } from './report-output.js';
import { replayLine } from './replay-line.js';

interface ReplayOptionValues extends ReportOptionValues {
  readonly json?: boolean;
  readonly foundVariant?: boolean;
}

export function registerReplay(program: Command): void {
  const replay = program
    .command('replay')
    .description('replay a schedule file, e.g. a saved counterexample in seeds/ (exit 0 verdict matches its expect, 1 it does not, 2 bad file, 3 output not written, 4 out of memory)')
    .argument('<file>', 'schedule file (JSON)')
    .option('--json', 'print exactly one JSON object instead of the text summary')
    .option('--found-variant', 'replay with the node variant recorded under found.variant (the bug it was found with)');
  addReportOptions(replay).action((path: string, options: ReplayOptionValues) => {
    process.exitCode = replayAction(path, options);
  });
}

function replayAction(path: string, options: ReplayOptionValues): number {
  const loaded = loadScheduleFile(path);
  if (!loaded.ok) fail(loaded.error);
  const file = loaded.file;
  const outputs = parseReportOutputs(options, inputFile('the schedule file', path));
  const variant = options.foundVariant === true ? (file.found?.variant ?? fail(`${path}: no found.variant to replay with`)) : undefined;
  const replayRef = { kind: 'schedule-replay', schedule: path, ...(options.foundVariant === true ? { foundVariant: true } : {}) } as const;
  const replay = replayLine(replayRef);
  const given = { ...(variant === undefined ? {} : { variant }), ...(loaded.base === undefined ? {} : { base: loaded.base }) };
  const built = scheduleScenario(file, given);
  if (!built.ok) fail(`${path}: ${built.error}`);
  // As `meshsim run` does: a schedule over a scenario file can ask for any size.
  const childExit = guardHeap(built.scenario);
  if (childExit !== null) return childExit;
  for (const note of settingsAdvice(built.scenario)) process.stderr.write(`meshsim: note: ${note}\n`);
  const machine = thisMachine();
  const watch = heapWatch(nodeCount(built.scenario.topology), { source: v8HeapSource(), machineBytes: machine.totalMemBytes, contained: machine.contained === true });
  const startMs = performance.now();
  let run: ReturnType<typeof runScheduleFile>;
  try {
    run = runScheduleFile(file, { ...given, replay: replayRef, onProgress: (p) => watch.check(p) });
  } catch (e) {
    if (e instanceof UsageError) throw e; // the heap watch stopped the run: one line, exit 4
    if (e instanceof MeshsimInputError) fail(e.message); // a chaos config the run cannot carry out: bad input
    return reportCrash(replay, options.json === true, e);
  } finally {
    watch.stop();
  }
  if (!run.ok) fail(`${path}: ${run.error}`);
  const wallMs = performance.now() - startMs;
  const { report } = run.outcome;
  const result = { report, description: `schedule ${file.name}`, wallMs, replay };
  // With the broken variant it was found with, a counterexample is expected to fail still.
  const expect = variant === undefined ? file.expect : 'fail';
  const matches = report.verdict === expect;
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ ...runJson(result), schedule: file.name, expect, matchesExpect: matches })}\n`);
  } else {
    process.stdout.write(formatRunText(result));
    process.stdout.write(`expect: ${expect} (${matches ? 'matches' : 'DOES NOT match'})\n`);
  }
  // Titled by the schedule, not its base scenario: every replay of seeds/ read "meshsim default seed 1".
  const written = writeRunOutputs(run.outcome, outputs, { replay, description: result.description, title: `meshsim replay ${file.name} (${result.report.scenario} seed ${result.report.seed})` });
  if (!printWritten(written, options.json === true) && matches) return EXIT_OUTPUT;
  return matches ? EXIT_PASS : EXIT_FAIL;
}

/**
 * The simulator threw: a bug it found (an assertion), reported as a failed replay with its
 * replay command, like `meshsim run` does; the stack goes to stderr for whoever fixes it.
 */
function reportCrash(replay: string, json: boolean, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ verdict: 'fail', violations: [{ check: 'crash', message }], replay, matchesExpect: false })}\n`);
  else process.stdout.write(`verdict: FAIL (the simulator crashed)\n  crash: ${message}\nreplay: ${replay}\n`);
  if (error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAIL;
}
