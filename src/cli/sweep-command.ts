/**
 * `meshsim sweep --scenario NAME|FILE --seeds A..B [--chaos N] [--workers N] [--shard i/n]
 * [--duration T] [--json] [--report FILE.html]`: runs every seed of the range (or of one shard
 * of it) on worker threads, a scenario file's runs with heap limits sized as `experiment`'s are. With --json, stdout
 * is one JSON line per seed (in seed order) and a last line `{"type":"summary",...}`; without
 * it, failing seeds are printed as they come and a text summary at the end. A progress bar
 * goes to stderr on a terminal only. Exit 0 when every seed passed, 1 when any failed, 2 on
 * bad usage, 3 when the report could not be written. Seeds are computed by position (a range
 * of millions is never listed).
 */
import type { Command } from 'commander';
import { findScenario } from '../catalog/registry.js';
import { TaskOutOfMemory } from '../sweep/ordered-pool.js';
import { runSweep, type SweepSummary } from '../sweep/pool.js';
import { Progress, seedsPerMin } from '../sweep/progress.js';
import { parseSeedRange, shardSeedList } from '../sweep/shard.js';
import type { SweepTask } from '../sweep/worker.js';
import { parseDuration } from './duration.js';
import { EXIT_FAIL, EXIT_OUTPUT, EXIT_PASS, fail, quoted } from './errors.js';
import { parsePoolOptions } from './pool-options.js';
import { thisMachine, workerHeapPlan, workerOutOfMemory, workerYoungGenerationMb } from './memory-guard.js';
import { failIfRunEndsEarly, parseChaosCount } from './run-extras.js';
import { isScenarioPath, readScenarioFile } from './scenario-file.js';
import { scenarioOfTask } from '../sweep/worker.js';
import { renderReportHtml } from '../report/html.js';
import { testsReportData } from '../report/report-data.js';
import { testCellOfLine, testsGridOf, type TestCell } from '../report/tests-grid.js';
import { inputFile, printWritten, writablePath, writeHtml } from './report-output.js';
import { replayLine } from './replay-line.js';

interface SweepOptionValues {
  readonly scenario: string;
  readonly seeds: string;
  readonly workers?: string;
  readonly shard?: string;
  readonly duration?: string;
  readonly chaos?: string;
  readonly json?: boolean;
  readonly report?: string;
}

/** Most seeds a --report grid holds (one cell each, all kept until the end): a bigger sweep is split with --shard. */
export const REPORT_SEEDS_MAX = 100_000;

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a scenario for a range of seeds on worker threads (exit 0 all pass, 1 any fail, 2 bad usage, 3 report not written, 4 a worker\'s heap filled)')
    .requiredOption('--scenario <name|file>', 'scenario name (see `meshsim list`) or a JSON scenario file')
    .requiredOption('--seeds <A..B>', 'seed range, inclusive, e.g. 1..200')
    .option('--chaos <n>', 'add n random chaos primitives to every seed\'s run, as `meshsim run --chaos n` does')
    .option('--workers <n>', 'worker threads (default: the available cores)')
    .option('--shard <i/n>', 'run only shard i of n (strided, disjoint; the n shards cover the range exactly)')
    .option('--duration <time>', "main phase length for every seed (default: the scenario's)")
    .option('--json', 'one JSON line per seed, then a summary line')
    .option('--report <file.html>', 'write a self-contained HTML report with the Tests grid (scenario × seeds)')
    .action(async (options: SweepOptionValues) => {
      process.exitCode = await sweepAction(options);
    });
}

async function sweepAction(options: SweepOptionValues): Promise<number> {
  const file = isScenarioPath(options.scenario) ? readScenarioFile(options.scenario).json : undefined;
  if (file === undefined && findScenario(options.scenario) === undefined) fail(`unknown scenario ${quoted(options.scenario)} (run \`meshsim list\` to see the scenarios)`);
  const chaos = options.chaos === undefined ? undefined : parseChaosCount(options.chaos);
  const range = parseSeedRange(options.seeds);
  if (!range.ok) fail(range.error);
  const { shard, workers } = parsePoolOptions(options);
  let durationMs: number | undefined;
  if (options.duration !== undefined) {
    const parsed = parseDuration(options.duration);
    durationMs = parsed.ok ? parsed.ms : fail(`--duration: ${parsed.error}`);
  }
  const reportPath = options.report === undefined ? undefined : writablePath('--report', options.report, inputFile('the scenario file', file === undefined ? undefined : options.scenario));
  const cells: TestCell[] = [];
  const seeds = shardSeedList(range.value, shard);
  if (reportPath !== undefined && seeds.length > REPORT_SEEDS_MAX) fail(`--report holds at most ${REPORT_SEEDS_MAX} seeds (this sweep has ${seeds.length}; split it with --shard)`);
  const json = options.json === true;
  const progress = new Progress(seeds.length);
  // A large scenario file's runs get the heap `meshsim run` would give them, shared by the workers.
  const machine = thisMachine();
  const scenarios = [scenarioOfTask({ scenario: options.scenario, file, chaos })];
  failIfRunEndsEarly(scenarios[0], durationMs);
  const heap = workerHeapPlan(scenarios, Math.min(workers, seeds.length), machine);
  if (heap.kind === 'refuse') fail(heap.message);
  if (heap.kind === 'limit') process.stderr.write(`${heap.note}\n`);
  const heapMb = heap.kind === 'limit' ? heap.heapMb : undefined;
  const youngMb = workerYoungGenerationMb(scenarios, machine) ?? undefined;
  let chaosSkipped = 0;
  let chaosUnobserved = 0;
  const summary = await runSweep({
    scenario: options.scenario,
    seeds,
    workers,
    durationMs,
    ...(file === undefined ? {} : { file }),
    ...(chaos === undefined ? {} : { chaos }),
    ...(heapMb === undefined ? {} : { heapMb }),
    ...(youngMb === undefined ? {} : { youngMb }),
    onLine: (raw, done) => {
      const line = { ...raw, replay: replayLine(raw.replay) };
      progress.tick(done, line.verdict !== 'pass');
      chaosSkipped += line.chaos?.skipped ?? 0;
      chaosUnobserved += line.chaos?.unobserved ?? 0;
      if (reportPath !== undefined) cells.push(testCellOfLine(line));
      if (json) process.stdout.write(`${JSON.stringify({ type: 'seed', ...line })}\n`);
      else if (line.verdict !== 'pass') {
        progress.end();
        process.stdout.write(`FAIL seed ${line.seed}: ${line.violations[0] ?? 'failed'}\n  replay: ${line.replay}\n`);
      }
    },
  }).catch((e: unknown) => {
    if (!(e instanceof TaskOutOfMemory)) throw e;
    progress.end();
    throw workerOutOfMemory(`seed ${(e.task as SweepTask).seed}`, heapMb ?? null);
  });
  progress.end();
  const wallMs = progress.elapsedMs();
  const rate = Math.round(seedsPerMin(summary.seeds, wallMs) * 10) / 10;
  const shardText = shard === undefined ? null : `${shard.index}/${shard.count}`;
  if (json) {
    const failing = summary.failing.map((f) => ({ ...f, replay: replayLine(f.replay) }));
    process.stdout.write(`${JSON.stringify({ type: 'summary', ...summary, ...(chaos === undefined ? {} : { chaos }), failing, seedRange: options.seeds, shard: shardText, wallMs: Math.round(wallMs), seedsPerMin: rate, chaosSkipped, chaosUnobserved })}\n`);
  } else {
    process.stdout.write(formatSummary(summary, chaos, options.seeds, shardText, wallMs, rate, chaosSkipped, chaosUnobserved));
  }
  if (reportPath !== undefined) {
    const grid = testsGridOf(cells);
    const written = writeHtml(reportPath, renderReportHtml(testsReportData(`meshsim sweep: ${options.scenario}${chaos === undefined ? '' : ` --chaos ${chaos}`} seeds ${options.seeds}`, grid)));
    if (!printWritten(written, json) && summary.failed === 0) return EXIT_OUTPUT;
  }
  return summary.failed === 0 ? EXIT_PASS : EXIT_FAIL;
}

function formatSummary(s: SweepSummary, chaos: number | undefined, range: string, shard: string | null, wallMs: number, rate: number, chaosSkipped: number, chaosUnobserved: number): string {
  const lines = [
    `sweep: ${s.scenario}${chaos === undefined ? '' : ` --chaos ${chaos}`} seeds ${range}${shard === null ? '' : ` shard ${shard}`} on ${s.workers} worker${s.workers === 1 ? '' : 's'}`,
    `  seeds: ${s.seeds}  passed: ${s.passed}  failed: ${s.failed}  wall: ${(wallMs / 1000).toFixed(1)} s  ${rate} seeds/min`,
  ];
  if (chaosSkipped > 0) lines.push(`  chaos events skipped (no fitting target when due): ${chaosSkipped}`);
  if (chaosUnobserved > 0) lines.push(`  chaos events unobserved (every node that could show one was down or under another fault): ${chaosUnobserved}`);
  if (s.failing.length > 0) {
    lines.push('  failing seeds:');
    for (const f of s.failing) lines.push(`    ${f.seed}: ${replayLine(f.replay)}`);
    if (s.failingNotListed > 0) lines.push(`    … and ${s.failingNotListed} more (each was printed as it failed)`);
  }
  return `${lines.join('\n')}\n`;
}
