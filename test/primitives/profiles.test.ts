/**
 * Chaos in the `protocol` profile (SPEC §10.1: no heartbeats, digests, pruner or disk writes).
 * Goal: a primitive whose evidence reads the full profile's substrate says so in its spec, and
 * exactly those cannot be judged without it; random and soak draws in the protocol profile
 * leave them out (the full profile draws from the whole pool, as before), and an explicit event
 * of one is refused with one line naming what its evidence needs. Method: each primitive fired
 * once, by hand, on the 18-node layout in the protocol profile (two seeds); the random draw of
 * 40 events in each profile; an explicit clock_skew.
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/catalog/registry.js';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { ChaosConfigError, type ChaosEventReport } from '../../src/primitives/engine.js';
import { specOf } from '../../src/primitives/registry.js';
import { PRIMITIVE_NAMES, type PrimitiveName } from '../../src/primitives/types.js';
import { runScenario, type RunReport } from '../../src/scenario/runner.js';

const base = findScenario('default')!;
const protocol = { ...base, profile: 'protocol' as const, durationMs: 90_000 };
const logOf = (report: RunReport): readonly ChaosEventReport[] => (report.chaos as { log: ChaosEventReport[] }).log;
const needsSubstrate = (p: PrimitiveName): boolean => specOf(p).substrateEvidence !== undefined;

describe('chaos in the protocol profile', () => {
  it('the primitives that do not read the substrate are judged there and pass; the others are refused', () => {
    const judged: string[] = [];
    for (const primitive of PRIMITIVE_NAMES) {
      const scenario = withChaos(protocol, { events: [{ atMs: 20_000, primitive }] });
      if (needsSubstrate(primitive)) {
        expect(() => runScenario(scenario, '1'), primitive).toThrow(new ChaosConfigError(`${primitive} cannot be judged in the protocol profile: its evidence is the full profile's ${specOf(primitive).substrateEvidence} (SPEC §10.1)`));
        continue;
      }
      for (const seed of ['1', '2']) {
        const { report } = runScenario(scenario, seed);
        expect([primitive, seed, logOf(report).map((e) => e.verdict)]).toEqual([primitive, seed, ['passed']]);
      }
      judged.push(primitive);
    }
    expect(judged.sort()).toEqual(['burst_kill', 'flap_link', 'kill_node', 'lossy_link', 'nat_shift', 'partition_pair', 'slow_link']);
  });

  it('random draws leave out what the profile cannot judge; the full profile draws from every primitive', () => {
    const drawn = (scenario: typeof base): Set<PrimitiveName> => {
      const chaotic = withChaos({ ...scenario, durationMs: 400_000 }, { random: { count: 40 }, flakeBudgetPct: 100 });
      return new Set(logOf(runScenario(chaotic, '4').report).map((e) => e.primitive));
    };
    const inProtocol = drawn(protocol);
    expect([...inProtocol].filter(needsSubstrate)).toEqual([]);
    expect(inProtocol.size).toBeGreaterThanOrEqual(5);
    expect([...drawn(base)].filter(needsSubstrate).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('a soak whose whole pool needs the substrate is refused', () => {
    const soak = withChaos(protocol, { soak: { pool: ['clock_skew', 'disk_full'], intervalMs: 10_000 } });
    expect(() => runScenario(soak, '1')).toThrow('no primitive of the soak pool (clock_skew, disk_full) can be judged in the protocol profile');
  });
});
