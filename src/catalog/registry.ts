/**
 * The registry of named scenarios (`meshsim list`). Names are part of the product (SPEC §6).
 */
import { CHAOS_BATTERY } from './chaos-scenarios.js';
import { CHAOS_VARIANTS, WORKLOAD_SCENARIOS } from './workload-scenarios.js';
import { defaultScenario, gossipMeshToMesh, gossipSwarmForms, meshFiveTypesPresent } from './mesh-scenarios.js';
import { assert } from '../sim/assert.js';
import type { Scenario } from '../scenario/scenario.js';

const SCENARIOS: readonly Scenario[] = [defaultScenario, meshFiveTypesPresent, gossipSwarmForms, gossipMeshToMesh, ...CHAOS_BATTERY, ...WORKLOAD_SCENARIOS, ...CHAOS_VARIANTS];
assert(new Set(SCENARIOS.map((s) => s.name)).size === SCENARIOS.length, 'scenario names must be unique');

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function allScenarios(): readonly Scenario[] {
  return SCENARIOS;
}
