/**
 * Two `meshsim run` options that change what runs: `--schedule FILE` (a hand-written or saved
 * schedule file: its seed, base scenario, topology, variant and decoded chaos events) and
 * `--chaos N` (N random primitives from the chaos stream on top of the scenario, drawn from
 * the implemented primitives). Both are applied to an already parsed request, and both show up
 * in what replays the run. Problems are usage errors (one line, exit 2). Must not print.
 */
import { scheduleScenario } from '../property/replay.js';
import { loadScheduleFile } from '../property/schedule.js';
import { withChaos } from '../catalog/chaos-scenarios.js';
import { CHAOS_RANDOM_MAX } from '../primitives/engine.js';
import { fail, quoted } from './errors.js';
import type { RunRequest } from './run-request.js';
import type { RunReplay, ScheduleRunReplay } from '../scenario/replay-ref.js';
import { runEndsEarly, type Scenario } from '../scenario/scenario.js';

export interface RunExtrasValues {
  readonly seed?: string;
  readonly schedule?: string;
  readonly chaos?: string;
}


/** `--chaos N` (run and sweep): an integer from 1 to CHAOS_RANDOM_MAX, or a usage failure. */
/**
 * Refuses a `--duration` that ends the run before `scenario` boots every node or sends its
 * workload (`runEndsEarly`); a scenario file was checked against its own durationMs when read.
 */
export function failIfRunEndsEarly(scenario: Scenario, durationMs: number | undefined): void {
  const late = durationMs === undefined ? null : runEndsEarly(scenario, durationMs);
  if (late !== null) fail(`--duration ${durationMs}ms: ${late}`);
}

export function parseChaosCount(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > CHAOS_RANDOM_MAX) fail(`--chaos must be an integer from 1 to ${CHAOS_RANDOM_MAX} (got ${quoted(text)})`);
  return Number(trimmed);
}

/** `--scenario` with `--schedule` is refused by the caller (it alone knows whether --scenario was given). */
export function applyRunExtras(request: RunRequest, options: RunExtrasValues): RunRequest {
  let out = request;
  if (options.schedule !== undefined) {
    if (options.seed !== undefined) fail('--seed cannot be combined with --schedule (the schedule names the nodes of its own seed)');
    const loaded = loadScheduleFile(options.schedule);
    if (!loaded.ok) fail(loaded.error);
    const built = scheduleScenario(loaded.file, loaded.base === undefined ? {} : { base: loaded.base });
    if (!built.ok) fail(`${options.schedule}: ${built.error}`);
    // --duration shortens the main phase: an event it leaves out would silently never fire.
    const late = request.durationMs === undefined ? -1 : loaded.file.schedule.findIndex((e) => e.atMs >= request.durationMs!);
    if (late >= 0) fail(`${options.schedule}: schedule[${late}].atMs ${loaded.file.schedule[late].atMs} is not inside --duration ${request.durationMs}ms`);
    out = { ...out, scenario: built.scenario, seed: loaded.file.seed, seedPicked: false, scheduleRef: options.schedule };
  }
  if (options.chaos !== undefined) {
    const count = parseChaosCount(options.chaos);
    out = { ...out, scenario: withChaos(out.scenario, { random: { count } }), chaosCount: count };
  }
  return out;
}

/** What replays a request with these options: its schedule file, or its scenario and seed. */
export function replayOfRequest(request: RunRequest): ScheduleRunReplay | RunReplay {
  const tail = {
    ...(request.durationMs === undefined ? {} : { durationMs: request.durationMs }),
    ...(request.chaosCount === undefined ? {} : { chaos: request.chaosCount }),
    ...(request.traceLevel === undefined ? {} : { traceLevel: request.traceLevel }),
  };
  if (request.scheduleRef !== undefined) return { kind: 'schedule-run', schedule: request.scheduleRef, ...tail };
  return { kind: 'run', scenario: request.scenarioRef, seed: request.seed, ...tail };
}
