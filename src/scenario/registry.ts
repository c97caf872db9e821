/**
 * The registry of named scenarios (`meshsim list`). Names are part of the product (SPEC §6).
 */
import { CHAOS_BATTERY } from './chaos-scenarios.js';
import { CHAOS_VARIANTS, WORKLOAD_SCENARIOS } from './workload-scenarios.js';
import { defaultScenario, gossipMeshToMesh, gossipSwarmForms, meshFiveTypesPresent } from './mesh-scenarios.js';
import type { Scenario } from './scenario.js';

const SCENARIOS: Scenario[] = [defaultScenario, meshFiveTypesPresent, gossipSwarmForms, gossipMeshToMesh, ...CHAOS_BATTERY, ...WORKLOAD_SCENARIOS, ...CHAOS_VARIANTS];

/** Add scenarios (used by the chaos battery module). Names must be unique. */
export function registerScenarios(more: readonly Scenario[]): void {
  for (const s of more) {
    if (SCENARIOS.some((x) => x.name === s.name)) throw new Error(`duplicate scenario name ${s.name}`);
    SCENARIOS.push(s);
  }
}

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function allScenarios(): readonly Scenario[] {
  return SCENARIOS;
}
