/**
 * The Tests tab's data: a grid of scenarios × seeds with each cell's verdict and the command
 * that replays it. Built from run reports (a battery, a sweep, or a single run); computes no
 * verdicts of its own.
 */
import type { RunReport } from '../scenario/runner.js';

export interface TestCell {
  readonly scenario: string;
  readonly seed: string;
  readonly verdict: 'pass' | 'fail';
  readonly replay: string;
  /** The first few violations as `check: message`. */
  readonly violations: readonly string[];
  readonly virtualMs: number;
  /** Chaos events passed / total, when the run had chaos. */
  readonly chaos: { readonly passed: number; readonly events: number } | null;
}

export interface TestsGrid {
  /** Rows, in first-appearance order. */
  readonly scenarios: readonly string[];
  /** Columns, in first-appearance order. */
  readonly seeds: readonly string[];
  readonly cells: readonly TestCell[];
}

const VIOLATIONS_SHOWN = 5;

/** `replay` is the command line that reproduces the run (the CLI spells it from `report.replay`). */
export function testCellOf(report: RunReport, replay: string): TestCell {
  const chaos = report.chaos as { passed?: unknown; events?: unknown } | undefined;
  return {
    scenario: report.scenario,
    seed: report.seed,
    verdict: report.verdict,
    replay,
    violations: report.violations.slice(0, VIOLATIONS_SHOWN).map((v) => `${v.check}: ${v.message}`),
    virtualMs: report.virtualMs,
    chaos: chaos !== undefined && typeof chaos.events === 'number' && typeof chaos.passed === 'number' ? { passed: chaos.passed, events: chaos.events } : null,
  };
}

/** A compact result line (e.g. a sweep's JSON line): a cell's fields, with chaos absent instead of null. */
export type TestCellLine = Omit<TestCell, 'chaos'> & { readonly chaos?: NonNullable<TestCell['chaos']> };

/** A cell from a compact result line; the line may carry more fields (they are dropped). */
export function testCellOfLine(line: TestCellLine): TestCell {
  const { scenario, seed, verdict, replay, virtualMs } = line;
  const chaos = line.chaos === undefined ? null : { passed: line.chaos.passed, events: line.chaos.events };
  return { scenario, seed, verdict, replay, violations: line.violations.slice(0, VIOLATIONS_SHOWN), virtualMs, chaos };
}

/** A crashed run (an assertion inside the simulator) is a failed cell. */
export function crashCell(scenario: string, seed: string, replay: string, message: string): TestCell {
  return { scenario, seed, verdict: 'fail', replay, violations: [`crash: ${message}`], virtualMs: 0, chaos: null };
}

export function testsGridOf(cells: readonly TestCell[]): TestsGrid {
  return {
    scenarios: [...new Set(cells.map((c) => c.scenario))],
    seeds: [...new Set(cells.map((c) => c.seed))],
    cells,
  };
}

export function gridCounts(grid: TestsGrid): { passed: number; failed: number } {
  const passed = grid.cells.filter((c) => c.verdict === 'pass').length;
  return { passed, failed: grid.cells.length - passed };
}
