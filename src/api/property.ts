/**
 * `meshsim/property`: fast-check arbitraries for topologies and chaos schedules, and the chaos
 * property check (run a generated case, judge it, shrink a failure to a replayable schedule);
 * and random whole layouts (scenario files) under random chaos (`checkLayouts`).
 */
export { caseArb, eventArb, scheduleArb, swarmArb, topologyArb, type GeneratedCase, type GeneratedEvent } from '../property/arbitraries.js';
export { checkChaos, seedFileOf, type ChaosPropertyOptions, type ChaosPropertyResult } from '../property/check.js';
export {
  checkLayouts,
  formatLayoutFailure,
  layoutCaseArb,
  runLayoutCase,
  type LayoutCase,
  type LayoutOptions,
  type LayoutPropertyOptions,
  type LayoutPropertyResult,
} from '../property/layouts.js';
