/**
 * Unobserved events. Goal: a detection that would pass on no evidence span at all — every node
 * that could show the fault excused as down or under another fault — is reported as unobserved,
 * neither passed nor failed, outside the flake budget, with its targets free again after the
 * revert. Method: random layouts under heavy chaos where the layout property's cases had such
 * passes, read through the run's report, its text summary, the HTML cell and a sweep's line.
 */
import { describe, expect, it } from 'vitest';
import { formatRunText } from '../../src/cli/format.js';
import { chaosReportOf } from '../../src/primitives/engine.js';
import { chaosCellText, testCellOf } from '../../src/report/tests-grid.js';
import runSeed from '../../src/sweep/worker.js';
import { runRandomChaos } from '../support/chaos.js';
import { scenarioOf } from '../support/scenario-file.js';

/** One mesh of three gateways, protocol profile, no observer (a layout-property case, fast-check seed 77). */
const THREE_GATEWAYS = {
  name: 'random-layout',
  profile: 'protocol',
  bootSpacingMs: 20,
  durationMs: 150_000,
  healWindowMs: 30_000,
  topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 3 } }], bridges: 0, observer: false },
};

describe('a pass with no evidence span is unobserved', () => {
  it('kills whose two survivors were under other events when the detector looked (three gateways, seed 76262, --chaos 22)', () => {
    const run = runRandomChaos(scenarioOf(THREE_GATEWAYS), 22, '76262');
    const kills = run.log.filter((e) => e.primitive === 'kill_node');
    // #2 at 29.0 s: both other gateways under a lossy_link till 33.1 s; #3 at 42.1 s: both
    // survivors taken by a slow_link 2.5 s later, before anything was due; #6 at 78.8 s: both
    // under the slow_link of 69.9-89.9 s.
    expect(kills.map((e) => [e.id, e.verdict])).toEqual([
      [2, 'unobserved'],
      [3, 'unobserved'],
      [6, 'unobserved'],
    ]);
    for (const k of kills) {
      expect(k.evidence).toEqual([]);
      const others = run.log.filter((e) => e !== k && e.atMs <= k.atMs + k.waitedMs && (e.revertedAtMs ?? Infinity) > k.atMs + k.waitedMs);
      const survivors = ['gateway-7914bff2', 'gateway-c026ba63', 'gateway-fb707af3'].filter((g) => !k.targets.includes(g));
      expect(survivors.every((s) => others.some((e) => e.targets.includes(s))), `#${k.id}`).toBe(true);
    }
    // Every other event was judged on evidence, and the run passes: the budget (0 %) is a share
    // of the judged events, and the kills' targets were free again for later events.
    expect(run.log.filter((e) => e.primitive !== 'kill_node').every((e) => e.verdict === 'passed' && e.evidence.length > 0)).toBe(true);
    expect(run.report.verdict, run.report.violations.map((v) => v.message).join('\n')).toBe('pass');
    expect(chaosReportOf(run.report)).toMatchObject({ events: 10, passed: 7, unobserved: 3, failedTimeout: 0, failedAssertion: 0 });
    expect(run.log.some((e) => e.atMs > 78_838 && e.targets.includes('gateway-fb707af3'))).toBe(true);
    // What a user reads: the summary, the HTML report's cell.
    expect(formatRunText({ report: run.report, description: 'a layout', wallMs: 1, replay: 'replay' })).toContain('chaos events (10: 7 passed, 0 not passed, 3 unobserved (every node that could show it was down or under another fault), 12 skipped (no fitting target when due))');
    const cell = testCellOf(run.report, 'replay');
    expect(cell.chaos).toEqual({ passed: 7, events: 10, unobserved: 3, skipped: 12 });
    expect(chaosCellText(cell.chaos!)).toBe('7/10, 3 unobserved, 12 skipped');
  });

  it('a burst whose survivors later events all took before it was due (full profile, seed 99986, --chaos 14)', () => {
    const run = runRandomChaos(
      scenarioOf({
        name: 'random-layout',
        profile: 'full',
        bootSpacingMs: 0,
        durationMs: 150_000,
        healWindowMs: 60_000,
        topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 2, compute: 3 } }], bridges: 1, observer: false },
        network: { lossPct: 10, latencyMs: 5, jitterMs: 10 },
      }),
      14,
      '99986',
    );
    const burst = run.log[0];
    // At 20.5 s it took three of the mesh's five; the gateway left was firewalled 3.3 s later,
    // the compute left 15.2 s later and the bridge clock-skewed 16.2 s later.
    expect(burst).toMatchObject({ primitive: 'burst_kill', verdict: 'unobserved', evidence: [] });
    expect(run.log.slice(1, 4).map((e) => [e.primitive, e.targets[0]])).toEqual([
      ['firewall_inbound', 'gateway-d1dd2bc7'],
      ['firewall_inbound', 'compute-0396fcf3'],
      ['clock_skew', 'bridge-60628ed7'],
    ]);
    expect(run.report.verdict, run.report.violations.map((v) => v.message).join('\n')).toBe('pass');
  });

  it('a sweep line counts them', () => {
    const line = runSeed({ scenario: 'three-gateways.json', file: THREE_GATEWAYS, seed: '76262', chaos: 22 });
    expect(line.chaos).toMatchObject({ events: 10, passed: 7, unobserved: 3 });
  });
});
