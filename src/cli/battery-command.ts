/**
 * `meshsim battery`: run every named scenario (or the `--scenarios` chosen) over seeds 1..N,
 * with `--chaos N` random primitives on top of every run if asked (each run is then
 * `meshsim run --scenario S --seed K --chaos N`, its replay command),
 * print one line per run and the scenarios × seeds grid (or one JSON object with `--json`),
 * optionally write the HTML report's Tests grid; exit 0 when every run passed, 1 otherwise, 3 when
 * the report could not be written. With --json each cell carries its run's trace digest.
 * A simulator crash is a failed cell with its replay command, not the end of the battery.
 * Runs are sequential in this process; wall time is measured here, never in the core.
 */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { renderReportHtml } from '../report/html.js';
import { testsReportData } from '../report/report-data.js';
import { crashCell, gridCounts, testCellOf, testsGridOf, type TestCell, type TestsGrid } from '../report/tests-grid.js';
import { allScenarios, findScenario } from '../catalog/registry.js';
import { runScenario } from '../scenario/runner.js';
import { runReplay } from '../scenario/replay-ref.js';
import { replayLine } from './replay-line.js';
import { runEndsEarly, type Scenario } from '../scenario/scenario.js';
import { parseDuration } from './duration.js';
import { withChaos } from '../catalog/chaos-scenarios.js';
import { parseChaosCount } from './run-extras.js';
import { EXIT_FAIL, EXIT_OUTPUT, EXIT_PASS, fail, quoted } from './errors.js';
import { table } from './format.js';
import { printWritten, writablePath, writeHtml, type Written } from './report-output.js';

interface BatteryOptionValues {
  readonly seeds: string;
  readonly scenarios?: string;
  readonly duration?: string;
  readonly chaos?: string;
  readonly report?: string;
  readonly json?: boolean;
}

export interface BatteryRequest {
  readonly scenarios: readonly Scenario[];
  readonly seeds: readonly string[];
  readonly durationMs?: number;
  /** Random chaos primitives added to every run (`--chaos N`). */
  readonly chaos?: number;
  readonly reportPath?: string;
  readonly json: boolean;
}

const SEEDS_MAX = 1000;

export function registerBattery(program: Command): void {
  program
    .command('battery')
    .description('run every named scenario over seeds 1..N and print the scenarios × seeds grid (exit 0 all pass, 1 any fail, 2 bad usage, 3 report not written)')
    .option('--seeds <n>', 'number of seeds per scenario (seeds 1..N)', '1')
    .option('--scenarios <names>', 'comma-separated scenario names (default: every scenario in `meshsim list`)')
    .option('--duration <time>', "main phase length for every run (default: each scenario's)")
    .option('--chaos <n>', 'add n random chaos primitives to every run, as `meshsim run --chaos n` does')
    .option('--report <file.html>', 'write a self-contained HTML report with the Tests grid')
    .option('--json', 'print exactly one JSON object instead of the text output')
    .action((options: BatteryOptionValues) => {
      process.exitCode = batteryAction(parseBatteryRequest(options));
    });
}

export function parseBatteryRequest(options: BatteryOptionValues): BatteryRequest {
  const n = /^[0-9]+$/.test(options.seeds) ? Number(options.seeds) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > SEEDS_MAX) fail(`--seeds: expected a whole number from 1 to ${SEEDS_MAX}, got ${quoted(options.seeds)}`);
  const scenarios =
    options.scenarios === undefined
      ? allScenarios()
      : options.scenarios
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map((name) => findScenario(name) ?? fail(`--scenarios: unknown scenario ${quoted(name)} (run \`meshsim list\`)`));
  if (scenarios.length === 0) fail('--scenarios: no scenario named');
  let durationMs: number | undefined;
  if (options.duration !== undefined) {
    const parsed = parseDuration(options.duration);
    durationMs = parsed.ok ? parsed.ms : fail(`--duration: ${parsed.error}`);
    // A chaos scenario whose event the shorter main phase leaves out would pass with no fault applied.
    for (const scenario of scenarios) {
      const late = runEndsEarly(scenario, durationMs);
      if (late !== null) fail(`--duration ${durationMs}ms: ${scenario.name}: ${late}`);
    }
  }
  return {
    scenarios,
    seeds: Array.from({ length: n }, (_, i) => String(i + 1)),
    durationMs,
    ...(options.chaos === undefined ? {} : { chaos: parseChaosCount(options.chaos) }),
    reportPath: options.report === undefined ? undefined : writablePath('--report', options.report),
    json: options.json === true,
  };
}

/** Runs every scenario × seed in order; `onCell` sees each result (and its trace digest; null for a crash) as it lands. */
export function runBattery(
  request: Pick<BatteryRequest, 'scenarios' | 'seeds' | 'durationMs' | 'chaos'>,
  onCell: (cell: TestCell, wallMs: number, traceDigest: string | null) => void = () => {},
): TestsGrid {
  const cells: TestCell[] = [];
  for (const named of request.scenarios) {
    const scenario = request.chaos === undefined ? named : withChaos(named, { random: { count: request.chaos } });
    for (const seed of request.seeds) {
      const replay = replayLine(runReplay(scenario.name, seed, request.durationMs, request.chaos));
      const startMs = performance.now();
      let cell: TestCell;
      let traceDigest: string | null = null;
      try {
        const { report } = runScenario(scenario, seed, { durationMs: request.durationMs });
        cell = testCellOf(report, replay);
        traceDigest = report.traceDigest;
      } catch (e) {
        cell = crashCell(scenario.name, seed, replay, e instanceof Error ? e.message : String(e));
      }
      cells.push(cell);
      onCell(cell, performance.now() - startMs, traceDigest);
    }
  }
  return testsGridOf(cells);
}

function batteryAction(request: BatteryRequest): number {
  const digests = new Map<TestCell, string | null>();
  const grid = runBattery(request, (cell, wallMs, traceDigest) => {
    digests.set(cell, traceDigest);
    if (!request.json) process.stdout.write(`${cell.verdict === 'pass' ? 'pass' : 'FAIL'}  ${cell.scenario} seed ${cell.seed} (${(wallMs / 1000).toFixed(1)} s wall)\n`);
  });
  const { passed, failed } = gridCounts(grid);
  let written: Written = { notes: [], errors: [] };
  if (request.reportPath !== undefined) {
    const chaos = request.chaos === undefined ? '' : ` with --chaos ${request.chaos}`;
    written = writeHtml(request.reportPath, renderReportHtml(testsReportData(`meshsim battery: ${grid.scenarios.length} scenarios × ${grid.seeds.length} seeds${chaos}`, grid)));
  }
  if (request.json) {
    process.stdout.write(`${JSON.stringify({ scenarios: grid.scenarios, seeds: grid.seeds, ...(request.chaos === undefined ? {} : { chaos: request.chaos }), passed, failed, cells: grid.cells.map((c) => ({ ...c, traceDigest: digests.get(c) ?? null })) })}\n`);
  } else {
    const chaos = request.chaos === undefined ? '' : ` (every run with --chaos ${request.chaos})`;
    process.stdout.write(`\n${formatGrid(grid)}\n\n${passed} passed, ${failed} failed${chaos}\n`);
    for (const c of grid.cells.filter((x) => x.verdict === 'fail')) process.stdout.write(`replay: ${c.replay}\n`);
  }
  if (!printWritten(written, request.json) && failed === 0) return EXIT_OUTPUT;
  return failed === 0 ? EXIT_PASS : EXIT_FAIL;
}

export function formatGrid(grid: TestsGrid): string {
  const byKey = new Map(grid.cells.map((c) => [`${c.scenario}\u0000${c.seed}`, c.verdict]));
  const rows = [['scenario', ...grid.seeds.map((s) => `seed ${s}`)], ...grid.scenarios.map((sc) => [sc, ...grid.seeds.map((s) => (byKey.get(`${sc}\u0000${s}`) === 'fail' ? 'FAIL' : 'pass'))])];
  return table(rows, ['l', ...grid.seeds.map(() => 'r' as const)]);
}
