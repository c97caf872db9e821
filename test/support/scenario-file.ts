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

/**
 * A random layout that chaos searches found reds in (fuzz-298): four meshes of mixed roles (one
 * of six registries), two bridges, no observer, the full profile, 120 virtual s.
 */
export function fourMeshesTwoBridges(): Scenario {
  const mesh = (meshId: string, roles: Record<string, number>) => ({ meshId, roles });
  return scenarioOf({
    name: 'fuzz-298',
    profile: 'full',
    topology: {
      meshes: [
        mesh('mesh-a', { registry: 6 }),
        mesh('mesh-b', { compute: 8, broker: 11 }),
        mesh('mesh-c', { gateway: 6, compute: 12, registry: 2 }),
        mesh('mesh-d', { gateway: 6, compute: 10, registry: 12, broker: 10 }),
      ],
      bridges: 2,
      observer: false,
    },
    bootSpacingMs: 50,
    durationMs: 120_000,
    healWindowMs: 30_000,
  });
}
