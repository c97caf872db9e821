/**
 * What reproduces a run, as data: the scenario (a registered name or a file path) and seed, a
 * schedule file, or an experiment point. Layers below the command line return this; only the
 * CLI turns it into a command line (src/cli/replay-line.ts), so the command's spelling has one
 * home. Must not hold or build command text.
 */
export type ReplayRef = RunReplay | ScheduleRunReplay | ScheduleFileReplay | ExperimentPointReplay;

/** `run --scenario S --seed N`: a scenario by registered name or file path, and a seed. */
export interface RunReplay {
  readonly kind: 'run';
  /** A registered scenario name or a scenario file's path, as given. */
  readonly scenario: string;
  readonly seed: string;
  /** Main-phase override, ms; absent when the scenario's own length was used. */
  readonly durationMs?: number;
  /** Random chaos primitives added on top (`--chaos N`). */
  readonly chaos?: number;
  readonly traceLevel?: 'info' | 'trace';
}

/** `run --schedule FILE`: a schedule file run as a scenario (the file holds the seed). */
export interface ScheduleRunReplay {
  readonly kind: 'schedule-run';
  readonly schedule: string;
  readonly durationMs?: number;
  readonly chaos?: number;
  readonly traceLevel?: 'info' | 'trace';
}

/** `replay FILE`: a saved schedule replayed against its expectation. */
export interface ScheduleFileReplay {
  readonly kind: 'schedule-replay';
  readonly schedule: string;
  /** Replay with the broken node variant the counterexample was found with. */
  readonly foundVariant?: boolean;
}

/** One (point, seed) of an experiment file. */
export interface ExperimentPointReplay {
  readonly kind: 'experiment-point';
  readonly experiment: string;
  readonly point: number;
  readonly seed: string;
}

/** The replay of a run of `scenario` for `seed`, with `--chaos` when given (optional fields only when given). */
export function runReplay(scenario: string, seed: string, durationMs?: number, chaos?: number): RunReplay {
  return { kind: 'run', scenario, seed, ...(durationMs === undefined ? {} : { durationMs }), ...(chaos === undefined ? {} : { chaos }) };
}
