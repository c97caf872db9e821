/**
 * What `meshsim run` is asked to do, once its options are validated: shared by the run command
 * and its extras (--schedule, --chaos), which both read and build it.
 */
import type { Scenario } from '../scenario/scenario.js';
import type { ReportOutputs } from './report-output.js';

export const TRACE_LEVELS = ['info', 'trace'] as const;
export type CliTraceLevel = (typeof TRACE_LEVELS)[number];

/** A validated request to run one scenario once. */
export interface RunRequest {
  readonly scenario: Scenario;
  /** What the user typed for --scenario (a name or a file path); used in the replay command. */
  readonly scenarioRef: string;
  readonly seed: string;
  readonly seedPicked: boolean;
  readonly durationMs?: number;
  readonly traceLevel?: CliTraceLevel;
  readonly json: boolean;
  /** --progress: a progress line every 10 s on stderr even when it is not a terminal. */
  readonly progress?: boolean;
  /** --otlp / --report files to write after the run. */
  readonly outputs?: ReportOutputs;
  /** --schedule FILE: the schedule file this run replays. */
  readonly scheduleRef?: string;
  /** --chaos N: random primitives added to the scenario. */
  readonly chaosCount?: number;
}
