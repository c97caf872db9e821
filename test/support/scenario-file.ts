/**
 * A scenario from the JSON of a scenario file (SPEC §10.3), as a test writes one inline; a file
 * the parser refuses throws with the parser's message.
 */
import type { Scenario } from '../../src/scenario/scenario.js';
import { parseScenarioJson } from '../../src/scenario/scenario-json.js';

export function scenarioOf(json: Record<string, unknown>): Scenario {
  const parsed = parseScenarioJson(json);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

/**
 * The layout of the tests of nodes first on a topic and of concurrent faults: meshes `mesh-a`,
 * `mesh-b`, … of `gateways[i]` gateways each, `bridges` bridges joining them, no observer,
 * nodes booting 5 ms apart, a 30 s heal window.
 */
export function withoutObserver(name: string, profile: 'protocol' | 'full', gateways: readonly number[], bridges: number, durationMs: number): Scenario {
  const meshes = gateways.map((n, i) => ({ meshId: `mesh-${String.fromCharCode(97 + i)}`, roles: { gateway: n } }));
  return scenarioOf({
    name,
    profile,
    topology: { meshes, ...(bridges > 0 ? { bridges } : {}), observer: false },
    bootSpacingMs: 5,
    durationMs,
    healWindowMs: 30_000,
  });
}
