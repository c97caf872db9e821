/**
 * `meshsim/property`: fast-check arbitraries for topologies and chaos schedules, and the chaos
 * property check (run a generated case, judge it, shrink a failure to a replayable schedule);
 * and random whole layouts (scenario files) under random chaos (`checkLayouts`).
 */
export { caseArb, eventArb, scheduleArb, swarmArb, topologyArb, type GeneratedCase, type GeneratedEvent, type ScheduleOptions, type SwarmConfig, type TopologyOptions } from '../property/arbitraries.js';
export { checkChaos, formatFailure, seedFileOf, type ChaosPropertyOptions, type ChaosPropertyResult } from '../property/check.js';
/**
 * Schedule files (seeds/*.json, `meshsim replay`, `meshsim run --schedule`): a counterexample
 * (`ChaosPropertyResult.counterexample`, or `seedFileOf`) as the file's text the CLI reads back
 * (`formatScheduleFile`; `JSON.stringify` of the object is not that format), a file's JSON
 * checked (`parseScheduleJson`), and a schedule run in process (`runScheduleFile`).
 */
export { formatScheduleFile, parseScheduleJson, type ScheduleEntry, type ScheduleFile, type ScheduleParse } from '../property/schedule.js';
export { runScheduleFile, type ScheduleRun, type ScheduleRunOptions } from '../property/replay.js';
/** The nodes a topology plans for a seed, in boot order: the names a schedule's targets use. */
export { plannedNodes } from '../scenario/topology.js';
export {
  checkLayouts,
  formatLayoutFailure,
  layoutCaseArb,
  layoutScheduleOf,
  runLayoutCase,
  settingsArb,
  splitOnly,
  type LayoutCase,
  type LayoutOptions,
  type LayoutPropertyOptions,
  type LayoutPropertyResult,
} from '../property/layouts.js';
