/**
 * Shared settings of the property tests: small by default so CI stays fast (≤ 10 nodes, one
 * or two meshes, faults in the first minute), the full ranges with MESHSIM_PROP_FULL=1, and
 * runs/seed/path from the environment (src/property/env.ts).
 */
import { join } from 'node:path';
import type { ChaosPropertyResult } from '../../src/property/check.js';
import { formatFailure, saveCounterexample, seedFileOf } from '../../src/property/check.js';
import { propertyEnv, type PropertyEnv } from '../../src/property/env.js';
import type { ScheduleOptions, TopologyOptions } from '../../src/property/arbitraries.js';
import { tmpdir } from 'node:os';
import { replayLine } from '../../src/cli/replay-line.js';

export function settings(defaults: { numRuns: number; seed: number }): PropertyEnv & ScheduleOptions & TopologyOptions {
  const env = propertyEnv(defaults);
  return env.full ? env : { ...env, meshesMax: 2, perRoleMax: 1, bridgesMax: 1, endMs: 60_000, eventsMax: 8 };
}

/**
 * The failure text for a property that should have held: the counterexample is written to
 * MESHSIM_PROP_SAVE (as a seed file expecting `fail`) or to the temp dir, and the text names
 * that file in its replay command.
 */
export function reportFailure(result: ChaosPropertyResult, env: PropertyEnv): string {
  if (result.counterexample === null) return 'property held';
  const dir = env.saveDir ?? tmpdir();
  const path = join(dir, `${result.counterexample.name}.json`);
  saveCounterexample(path, { ...result.counterexample, expect: 'fail' });
  return formatFailure(result, replayLine({ kind: 'schedule-replay', schedule: path }));
}

export { seedFileOf };
