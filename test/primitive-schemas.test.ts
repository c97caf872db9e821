/**
 * Primitive specs (src/primitives/schema.ts) are the one home of what a primitive knows.
 * Goal: the spec agrees with the primitive's own behaviour (what `choose` draws validates, the
 * detector's deadline is the spec's), with what property tests generate, with the docs, and
 * the validator refuses each kind of bad parameter with one line naming the field.
 * Method: boot the default cluster, let each primitive choose a fault and build its detector;
 * sample the explored ranges; compare docs/primitives.md with the rendered tables; feed the
 * validator a table of broken faults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIMITIVE_SHAPES } from '../src/property/shapes.js';
import { implementedPrimitives, killingPrimitives, primitiveByName, specOf } from '../src/primitives/registry.js';
import { deadlineOf, formulaOf, paramValues, validateFault } from '../src/primitives/schema.js';
import { DOC_BEGIN, DOC_END, renderSpecTables } from '../src/primitives/schema-doc.js';
import type { ChaosWorld, PrimitiveName } from '../src/primitives/types.js';
import { T } from '../src/primitives/timing.js';
import { Cluster } from '../src/scenario/cluster.js';
import { DEFAULT_TOPOLOGY } from '../src/scenario/topology.js';
import { worldOf } from './support/chaos.js';

const DOC = readFileSync(join(import.meta.dirname, '..', 'docs', 'primitives.md'), 'utf8');

describe('each primitive agrees with its own spec', () => {
  const cluster = new Cluster({ seed: '7', topology: DEFAULT_TOPOLOGY });
  cluster.boot();
  cluster.scheduler.runFor(15_000);
  const world: ChaosWorld = worldOf(cluster);

  it.each(implementedPrimitives())('%s: its chosen fault validates and its detector uses the spec deadline', (name) => {
    const primitive = primitiveByName(name);
    const fault = primitive.choose(world, cluster.rng.fork(`schema:${name}`));
    expect(fault, `${name} found no target on a healthy default cluster`).not.toBeNull();
    const checked = validateFault(primitive.spec, fault!.targets, fault!.params, 'fault');
    expect(checked).toMatchObject({ ok: true });
    const detector = primitive.detector(world, fault!, cluster.scheduler.nowMs);
    const deadline = deadlineOf(primitive.spec, paramValues(primitive.spec, fault!.params));
    expect(detector.deadlineMs).toBe(deadline.ms);
    expect(detector.deadlineFormula).toBe(deadline.formula);
    const policy = primitive.revertPolicy(fault!);
    const lengthMs = primitive.spec.faultLengthMs(paramValues(primitive.spec, fault!.params));
    expect(policy === 'after-detection' ? 0 : policy.afterMs).toBe(lengthMs);
  });

  it.each(implementedPrimitives())('%s: every generated parameter set is one the validator accepts', (name) => {
    const shape = PRIMITIVE_SHAPES[name];
    const spec = specOf(name);
    for (const params of fc.sample(shape.params, { numRuns: 50, seed: 3 })) {
      const targets = Array.from({ length: shape.targetsMax }, (_, i) => `node-${i}`);
      expect(validateFault(spec, targets, params, 'e'), JSON.stringify(params)).toMatchObject({ ok: true });
    }
  });

  it('exactly the primitives whose spec kills are the killing ones (the report reads kills from the host itself)', () => {
    expect(killingPrimitives()).toEqual(['burst_kill', 'kill_node', 'restart_node']);
  });
});

describe('docs/primitives.md', () => {
  it('holds the tables rendered from the specs (node scripts/primitives-doc.mjs rewrites them)', () => {
    const begin = DOC.indexOf(DOC_BEGIN);
    const end = DOC.indexOf(DOC_END);
    expect(begin).toBeGreaterThan(0);
    expect(DOC.slice(begin, end + DOC_END.length)).toBe(renderSpecTables());
  });

  it.each(implementedPrimitives())('%s: its section names every parameter and states the spec deadline', (name) => {
    const start = DOC.indexOf(`(\`${name}\`)\n`);
    expect(start, `no section for ${name}`).toBeGreaterThan(0);
    const next = DOC.indexOf('\n## ', start);
    const section = DOC.slice(start, next < 0 ? undefined : next).replace(/\s+/g, ' ');
    const spec = specOf(name);
    for (const p of spec.params) expect(section, `${name} section does not mention ${p.name}`).toContain(`\`${p.name}\``);
    const deadline = section.slice(section.indexOf('**Deadline.**'));
    const formula = formulaOf(spec.deadline(Object.fromEntries(spec.params.map((p) => [p.name, 0])), T));
    expect(deadline).toContain(formula);
  });
});

describe('validateFault refuses bad parameters with one line naming the field', () => {
  const cases: [PrimitiveName, unknown[], Record<string, unknown>, RegExp][] = [
    ['kill_node', ['a'], { durationMs: 5 }, /unknown field e\.params\.durationMs for kill_node \(it takes no parameters\)/],
    ['wedge_node', ['a'], { durationMS: 5 }, /unknown field e\.params\.durationMS for wedge_node \(allowed: durationMs\)/],
    ['clock_skew', ['a'], { skewMs: '5000' }, /e\.params\.skewMs must be an integer in .*, got "5000"/],
    ['clock_skew', ['a'], { skewMs: true }, /e\.params\.skewMs must be an integer/],
    ['clock_skew', ['a'], { skewMs: 1.5 }, /e\.params\.skewMs must be an integer/],
    ['clock_skew', ['a'], { skewMs: 0 }, /not 0, got 0/],
    ['clock_skew', ['a'], {}, /e\.params\.skewMs is required for clock_skew/],
    ['restart_node', ['a'], { downtimeMs: -1 }, /e\.params\.downtimeMs must be an integer in \[0, 600000\] ms, got -1/],
    ['slow_link', ['a', 'b'], { latencyMs: -500 }, /e\.params\.latencyMs must be an integer in \[0, 60000\] ms, got -500/],
    ['lossy_link', ['a', 'b'], { lossPct: 250 }, /e\.params\.lossPct must be an integer in \[0, 100\] %, got 250/],
    ['flap_link', ['a', 'b'], { flaps: 1e9, downMs: 1, upMs: 1 }, /e\.params\.flaps must be an integer in \[1, 50\], got 1000000000/],
    ['flap_link', ['a', 'b'], { flaps: 50, downMs: 20_000, upMs: 0 }, /flap_link would last 1000000 ms, more than the 600000 ms/],
    ['partition_pair', ['a', 'a'], {}, /e\.targets\[1\] names a twice/],
    ['partition_pair', ['a'], {}, /e\.targets: partition_pair takes 2 targets \(got 1\)/],
    ['burst_kill', ['a', 'b', 'c'], { count: 5 }, /e\.params\.count must equal the number of targets \(3\), got 5/],
    ['burst_kill', ['a', 'b', 'c', 'd', 'e', 'f'], {}, /takes 2-5 targets \(got 6\)/],
    ['disk_full', ['a'], { durationMs: 'x'.repeat(10_000) }, /got "x{70,80}…$/],
  ];

  it.each(cases)('%s %j %j', (name, targets, params, pattern) => {
    const r = validateFault(specOf(name), targets, params, 'e');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(pattern);
    expect(r.error).not.toContain('\n');
    expect(r.error.length).toBeLessThan(300);
  });

  it('fills what a schedule may omit: defaults, and counts from the targets', () => {
    expect(validateFault(specOf('flap_link'), ['a', 'b'], {}, 'e')).toEqual({ ok: true, values: { flaps: 4, downMs: 2_000, upMs: 2_000 } });
    expect(validateFault(specOf('burst_kill'), ['a', 'b', 'c', 'd'], {}, 'e')).toEqual({ ok: true, values: { count: 4 } });
  });
});
