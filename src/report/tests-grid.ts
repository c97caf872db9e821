/**
 * The Tests tab's data: a grid of scenarios × seeds with each cell's verdict and the command
 * that replays it. Built from run reports (a battery, a sweep, or a single run); computes no
 * verdicts of its own.
 */
import { shownViolations, type RunReport } from '../scenario/runner.js';

export interface TestCell {
  readonly scenario: string;
  readonly seed: string;
  readonly verdict: 'pass' | 'fail';
  readonly replay: string;
  /** The first few violations as `check: message`. */
  readonly violations: readonly string[];
  /** Violations the run found beyond those in `violations` (listed in its report or not); absent when none. */
  readonly violationsMore?: number;
  readonly virtualMs: number;
  /**
   * Chaos events passed / total, those unobserved (every node that could show one was down or
   * under another fault) and those skipped for want of a fitting target (each absent when none),
   * when the run had chaos.
   */
  readonly chaos: { readonly passed: number; readonly events: number; readonly unobserved?: number; readonly skipped?: number } | null;
}

export interface TestsGrid {
  /** Rows, in first-appearance order. */
  readonly scenarios: readonly string[];
  /** Columns, in seed order (a shard's runs come strided: first appearance is no order). */
  readonly seeds: readonly string[];
  readonly cells: readonly TestCell[];
}

const VIOLATIONS_SHOWN = 5;

/** `replay` is the command line that reproduces the run (the CLI spells it from `report.replay`). */
export function testCellOf(report: RunReport, replay: string): TestCell {
  const chaos = report.chaos as { passed?: unknown; events?: unknown; unobserved?: unknown; skipped?: unknown } | undefined;
  const skipped = typeof chaos?.skipped === 'number' && chaos.skipped > 0 ? { skipped: chaos.skipped } : {};
  const unobserved = typeof chaos?.unobserved === 'number' && chaos.unobserved > 0 ? { unobserved: chaos.unobserved } : {};
  return {
    scenario: report.scenario,
    seed: report.seed,
    verdict: report.verdict,
    replay,
    ...shownViolations(report, VIOLATIONS_SHOWN),
    virtualMs: report.virtualMs,
    chaos: chaos !== undefined && typeof chaos.events === 'number' && typeof chaos.passed === 'number' ? { passed: chaos.passed, events: chaos.events, ...unobserved, ...skipped } : null,
  };
}

/** A compact result line (e.g. a sweep's JSON line): a cell's fields, chaos null or absent without chaos. */
export type TestCellLine = Omit<TestCell, 'chaos'> & { readonly chaos?: TestCell['chaos'] };

/** A cell from a compact result line; the line may carry more fields (they are dropped). */
export function testCellOfLine(line: TestCellLine): TestCell {
  const { scenario, seed, verdict, replay, virtualMs } = line;
  const skipped = (line.chaos?.skipped ?? 0) > 0 ? { skipped: line.chaos!.skipped } : {};
  const unobserved = (line.chaos?.unobserved ?? 0) > 0 ? { unobserved: line.chaos!.unobserved } : {};
  const chaos = line.chaos === undefined || line.chaos === null ? null : { passed: line.chaos.passed, events: line.chaos.events, ...unobserved, ...skipped };
  const violations = line.violations.slice(0, VIOLATIONS_SHOWN);
  const more = line.violations.length - violations.length + (line.violationsMore ?? 0);
  return { scenario, seed, verdict, replay, violations, ...(more > 0 ? { violationsMore: more } : {}), virtualMs, chaos };
}

/** A crashed run (an assertion inside the simulator) is a failed cell. */
export function crashCell(scenario: string, seed: string, replay: string, message: string): TestCell {
  return { scenario, seed, verdict: 'fail', replay, violations: [`crash: ${message}`], virtualMs: 0, chaos: null };
}

export function testsGridOf(cells: readonly TestCell[]): TestsGrid {
  return {
    scenarios: [...new Set(cells.map((c) => c.scenario))],
    seeds: [...new Set(cells.map((c) => c.seed))].sort(bySeed),
    cells,
  };
}

export function gridCounts(grid: TestsGrid): { passed: number; failed: number } {
  const passed = grid.cells.filter((c) => c.verdict === 'pass').length;
  return { passed, failed: grid.cells.length - passed };
}

/** Decimal seeds without leading zeros, compared as numbers of any length. */
function bySeed(x: string, y: string): number {
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A cell's chaos counts in words: `passed/events`, then the unobserved and skipped when any. */
export function chaosCellText(chaos: NonNullable<TestCell['chaos']>): string {
  const unobserved = chaos.unobserved === undefined ? '' : `, ${chaos.unobserved} unobserved`;
  const skipped = chaos.skipped === undefined ? '' : `, ${chaos.skipped} skipped`;
  return `${chaos.passed}/${chaos.events}${unobserved}${skipped}`;
}
