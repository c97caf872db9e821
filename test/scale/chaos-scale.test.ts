/**
 * Chaos at 1,000 nodes: a small sample of the runs docs/performance.md measures at 10,000 (round
 * 40). Goal: the detectors work at a size where asking every node, or every missing receiver,
 * at every poll is what used to cost a third of the run: every event is applied, detected from
 * the nodes' spans and reverted, and the run passes. Method: two meshes of 500 gateways and two
 * bridges, protocol profile, eight random chaos events (seed 1).
 */
import { describe, expect, it } from 'vitest';
import { withChaos } from '../../src/catalog/chaos-scenarios.js';
import { runScenario } from '../../src/scenario/runner.js';
import { scenarioOf } from '../support/scenario-file.js';

interface ChaosLog { log: { primitive: string; verdict: string; revertedAtMs: number | null; evidence: string[] }[]; passed: number }

describe('chaos at 1,000 nodes', () => {
  it('detects and reverts every event, and the run passes', () => {
    const base = scenarioOf({
      name: 'bridged-1k',
      profile: 'protocol',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 500 } }, { meshId: 'mesh-b', roles: { gateway: 500 } }], bridges: 2, observer: false },
      bootSpacingMs: 5,
      durationMs: 120_000,
      healWindowMs: 30_000,
    });
    const { report } = runScenario(withChaos(base, { random: { count: 8 } }), '1');
    const chaos = report.chaos as ChaosLog;
    expect(report.nodes.total).toBe(1_002);
    expect(chaos.log).toHaveLength(8);
    expect(chaos.log.map((e) => e.verdict)).toEqual(Array(8).fill('passed'));
    for (const e of chaos.log) {
      expect(e.evidence.length, e.primitive).toBeGreaterThan(0); // spans the nodes emitted
      expect(e.revertedAtMs, e.primitive).not.toBeNull();
    }
    expect(chaos.passed).toBe(8);
    expect(report.verdict, report.violations.map((v) => v.message).join('; ')).toBe('pass');
  }, 120_000);
});
