/**
 * Two `meshsim run` options that change what runs: `--schedule FILE` (a hand-written or saved
 * schedule file: its seed, base scenario, topology, variant and decoded chaos events) and
 * `--chaos N` (N random primitives from the chaos stream on top of the scenario, drawn from
 * the implemented primitives). Both are applied to an already parsed request, and both show up
 * in the replay command. Problems are usage errors (one line, exit 2). Must not print.
 */
import { scheduleScenario } from '../property/replay.js';
import { loadScheduleFile } from '../property/schedule.js';
import { withChaos } from '../catalog/chaos-scenarios.js';
import { fail, quoted } from './errors.js';
import type { RunRequest } from './run-command.js';

export interface RunExtrasValues {
  readonly seed?: string;
  readonly schedule?: string;
  readonly chaos?: string;
}

const CHAOS_COUNT_MAX = 1_000;

/** `--scenario` with `--schedule` is refused by the caller (it alone knows whether --scenario was given). */
export function applyRunExtras(request: RunRequest, options: RunExtrasValues): RunRequest {
  let out = request;
  if (options.schedule !== undefined) {
    if (options.seed !== undefined) fail('--seed cannot be combined with --schedule (the schedule names the nodes of its own seed)');
    const loaded = loadScheduleFile(options.schedule);
    if (!loaded.ok) fail(loaded.error);
    const built = scheduleScenario(loaded.file);
    if (!built.ok) fail(`${options.schedule}: ${built.error}`);
    // --duration shortens the main phase: an event it leaves out would silently never fire.
    const late = request.durationMs === undefined ? -1 : loaded.file.schedule.findIndex((e) => e.atMs >= request.durationMs!);
    if (late >= 0) fail(`${options.schedule}: schedule[${late}].atMs ${loaded.file.schedule[late].atMs} is not inside --duration ${request.durationMs}ms`);
    out = { ...out, scenario: built.scenario, seed: loaded.file.seed, seedPicked: false, scheduleRef: options.schedule };
  }
  if (options.chaos !== undefined) {
    const text = options.chaos.trim();
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > CHAOS_COUNT_MAX) fail(`--chaos must be an integer from 1 to ${CHAOS_COUNT_MAX} (got ${quoted(options.chaos)})`);
    const count = Number(text);
    out = { ...out, scenario: withChaos(out.scenario, { random: { count } }), chaosCount: count };
  }
  return out;
}

/** The replay command for a request with these options (`base` is the plain run's). */
export function replayWithExtras(request: RunRequest, base: string): string {
  const head = request.scheduleRef === undefined ? base : `npx meshsim run --schedule ${request.scheduleRef}${request.durationMs === undefined ? '' : ` --duration ${request.durationMs}ms`}`;
  return request.chaosCount === undefined ? head : `${head} --chaos ${request.chaosCount}`;
}
