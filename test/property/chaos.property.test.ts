/**
 * Property-based chaos on the correct node. Goal: under any generated schedule (1–3 meshes,
 * faults from every implemented primitive at absolute times with generated targets and
 * parameters) the safety checks hold throughout and, after every fault is reverted and the
 * heal window has passed, the liveness checks hold; and with one fault at a time, every chaos
 * detection passes too.
 * Method: checkChaos (fast-check) with a small default budget for CI — MESHSIM_PROP_RUNS,
 * MESHSIM_PROP_SEED, MESHSIM_PROP_PATH and MESHSIM_PROP_FULL=1 for long searches. A failure
 * prints the fast-check seed and path, the shrunk decoded schedule and one replay command,
 * and writes the counterexample (to MESHSIM_PROP_SAVE, e.g. seeds, or the temp dir).
 */
import { describe, expect, it } from 'vitest';
import { checkChaos } from '../../src/property/check.js';
import { implementedPrimitives } from '../../src/primitives/registry.js';
import { reportFailure, settings } from './settings.js';

describe('chaos properties on the correct node', () => {
  it('swarm schedules with overlapping faults: safety throughout, liveness after heal', () => {
    const env = settings({ numRuns: 6, seed: 42 });
    const result = checkChaos({ ...env, name: 'property-mesh-swarm', pool: implementedPrimitives(), swarm: true, overlap: 'per-node', judge: 'mesh' });
    expect(result.ok, reportFailure(result, env)).toBe(true);
  });

  it('one fault at a time: safety, liveness and every detection pass', () => {
    const env = settings({ numRuns: 6, seed: 7 });
    const result = checkChaos({ ...env, name: 'property-chaos-serial', pool: implementedPrimitives(), overlap: 'none', judge: 'chaos' });
    expect(result.ok, reportFailure(result, env)).toBe(true);
  });
});
