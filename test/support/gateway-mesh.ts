/**
 * The scenario tests of joining and grafting run at: one mesh of `n` gateways in the protocol
 * profile, booting 5 ms apart, no probes, a 10 s heal window. `fields` adds the rest of the
 * scenario file (duration, workload, node settings) or overrides these.
 */
import type { Scenario } from '../../src/scenario/scenario.js';
import { scenarioOf } from './scenario-file.js';

export function gatewayMeshScenario(name: string, n: number, fields: Record<string, unknown>): Scenario {
  return scenarioOf({
    name,
    profile: 'protocol',
    topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: n } }], bridges: 0, observer: false },
    bootSpacingMs: 5,
    healWindowMs: 10_000,
    probeIntervalMs: 0,
    ...fields,
  });
}
