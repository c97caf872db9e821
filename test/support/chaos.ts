/**
 * Helpers for chaos tests: run a battery scenario (optionally with a broken node variant), read
 * its single chaos event back from the report, and assert the green outcome over seeds.
 */
import { expect } from 'vitest';
import type { ChaosEventReport } from '../../src/primitives/engine.js';
import type { NodeVariant } from '../../src/mesh/config.js';
import { findScenario } from '../../src/catalog/registry.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { chaosWorldOf } from '../../src/primitives/world.js';
import type { ChaosWorld } from '../../src/primitives/types.js';
import type { Cluster } from '../../src/scenario/cluster.js';
import { runScenario, type RunReport } from '../../src/scenario/runner.js';
import type { Scenario } from '../../src/scenario/scenario.js';
import { replayLine } from '../../src/cli/replay-line.js';

export interface ChaosRun {
  readonly report: RunReport;
  readonly events: readonly ChaosEventReport[];
}

export function chaosLog(report: RunReport): ChaosEventReport[] {
  return ((report.chaos as { log?: ChaosEventReport[] } | undefined)?.log ?? []) as ChaosEventReport[];
}

export function scenarioNamed(name: string): Scenario {
  const s = findScenario(name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

/** Run a named scenario; `variant` turns a repair path off on every node (a test double). */
export function runChaos(name: string, seed: string, variant?: NodeVariant, patch: Partial<Scenario> = {}): ChaosRun {
  const base = scenarioNamed(name);
  const scenario: Scenario = { ...base, ...patch, ...(variant ? { variantOf: () => variant } : {}) };
  const { report } = runScenario(scenario, seed);
  return { report, events: chaosLog(report) };
}

/** A readable failure message: the verdicts and violations plus the replay command. */
export function explain(run: ChaosRun): string {
  const lines = run.events.map((e) => `#${e.id} ${e.primitive} [${e.targets.join(',')}] → ${e.verdict} ${e.message ?? ''} (waited ${e.waitedMs} ms)`);
  return [...lines, ...run.report.violations.map((v) => `${v.check}: ${v.message}`), `replay: ${replayLine(run.report.replay)}`].join('\n');
}

/**
 * Run `scenario` for each seed; the run and its one chaos event must pass, and each of
 * `evidenceNames` must appear in the event's evidence. Returns the runs for further checks.
 */
export function expectGreen(scenario: string, seeds: readonly string[], evidenceNames: readonly string[]): ChaosRun[] {
  return seeds.map((seed) => {
    const run = runChaos(scenario, seed);
    expect(run.report.verdict, explain(run)).toBe('pass');
    expect(run.events).toHaveLength(1);
    expect(run.events[0].verdict, explain(run)).toBe('passed');
    for (const name of evidenceNames) expect(run.events[0].evidence.some((e) => e.includes(name)), `${name} in ${run.events[0].evidence.join(' ')}`).toBe(true);
    return run;
  });
}

/** A chaos world over a run's cluster with no engine behind it: for reading the spans as the detectors do. */
export function worldOf(cluster: Cluster): ChaosWorld {
  return chaosWorldOf(cluster, { probe: () => null, isFaulted: () => false, isProtected: () => false });
}

/** `worldOf` an unstarted cluster whose trace a case writes by hand, every node read as running. */
export function runningWorldOf(cluster: Cluster): ChaosWorld {
  return { ...worldOf(cluster), status: () => 'running' };
}

/** A named scenario (or one from a scenario file's JSON, `scenarioOf`) with `count` random chaos events for `seed`, as `meshsim run --scenario NAME|FILE --chaos COUNT --seed SEED` (every node with `variant`, if given). */
export function runRandomChaos(scenario: string | Scenario, count: number, seed: string, variant?: NodeVariant): { report: RunReport; cluster: Cluster; log: ChaosEventReport[] } {
  const base = typeof scenario === 'string' ? scenarioNamed(scenario) : scenario;
  const { report, cluster } = runScenario(withChaos(variant ? { ...base, variantOf: () => variant } : base, { random: { count } }), seed);
  return { report, cluster, log: chaosLog(report) };
}

/** The chaos event `pick` finds in `run`; it must have passed, and the whole run too. */
export function passedEvent(run: { report: RunReport; log: readonly ChaosEventReport[] }, pick: (e: ChaosEventReport) => boolean): ChaosEventReport {
  const event = run.log.find(pick);
  expect(event, 'the chaos event the case is about').toBeDefined();
  expect(event!.verdict, event!.message).toBe('passed');
  expect(run.report.verdict, explain({ report: run.report, events: run.log })).toBe('pass');
  return event!;
}

/**
 * `scenario` on the network model before acknowledgements restarted their sender's idle timer
 * (`NetworkConfig.acksRestartIdle` false). For chaos cases found by search on that model: on the
 * default one their seeds no longer show the situation they pin.
 */
export function withoutAckIdleRestart(scenario: Scenario): Scenario {
  return { ...scenario, network: { ...scenario.network, acksRestartIdle: false } };
}
