/**
 * Drift guard: the property shapes (src/property/shapes.ts) hand-describe each primitive's
 * parameters. Goal: every parameter a shape generates is one the primitive itself chooses, so
 * generated schedules keep meaning what they say when a primitive changes.
 * Method: boot the default cluster, let each primitive choose a fault from its own stream, and
 * compare parameter names with a sample from the shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIMITIVE_SHAPES } from '../../src/property/shapes.js';
import { implementedPrimitives, primitiveByName } from '../../src/primitives/registry.js';
import type { ChaosWorld } from '../../src/primitives/types.js';
import { Cluster } from '../../src/scenario/cluster.js';
import { DEFAULT_TOPOLOGY } from '../../src/scenario/topology.js';
import { worldOf } from '../support/chaos.js';

describe('property shapes match the primitives', () => {
  const cluster = new Cluster({ seed: '5', topology: DEFAULT_TOPOLOGY });
  cluster.boot();
  cluster.scheduler.runFor(15_000);
  const world: ChaosWorld = worldOf(cluster);

  it.each(implementedPrimitives())('%s', (name) => {
    const fault = primitiveByName(name).choose(world, cluster.rng.fork(`shape:${name}`));
    expect(fault, `${name} found no target on a healthy default cluster`).not.toBeNull();
    const shape = PRIMITIVE_SHAPES[name];
    const [sample] = fc.sample(shape.params, { numRuns: 1, seed: 1 });
    for (const key of Object.keys(sample)) expect(Object.keys(fault!.params), `${name} does not take ${key}`).toContain(key);
    expect(fault!.targets.length).toBeGreaterThanOrEqual(shape.targetsMin);
    expect(fault!.targets.length).toBeLessThanOrEqual(shape.targetsMax);
  });
});
