/**
 * A mesh on a network that loses packets passes when it recovers, and fails only for what the
 * loss does not explain. Goal: two meshes of 100 gateways and two bridges at 30 % loss (every
 * link, every packet), protocol profile, pass on seeds whose reds were the simulator's and the
 * checks' own: seeds 1 and 2 failed on a neighbour lost to a dial whose five handshake attempts
 * were all lost (`churn-without-cause … dial-timeout`), seed 3 on a connection its dialer kept
 * alive 14 s after its peer's close was lost (`cross-layer-connection-wanted`). Method: the
 * scenario file as a user would write it, run whole; the verdict and the run's own evidence that
 * loss was at work (packets lost, resets sent by running endpoints, failed dials).
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioJson } from '../src/scenario/scenario-json.js';
import type { RunMetrics } from '../src/scenario/metrics.js';
import { runScenario } from '../src/scenario/runner.js';

const LOSSY_200 = {
  name: 'lossy-200-30pct',
  profile: 'protocol',
  topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 100 } }, { meshId: 'mesh-b', roles: { gateway: 100 } }], bridges: 2, observer: false },
  bootSpacingMs: 5,
  durationMs: 60_000,
  healWindowMs: 60_000,
  network: { lossPct: 30 },
  workload: [{ kind: 'broadcast', sender: 'random', fromMs: 20_000, everyMs: 1_000, count: 30 }],
};

describe('a mesh at 30 % loss', () => {
  it.each(['1', '2', '3'])('seed %s passes, with loss, resets and failed dials in its trace', (seed) => {
    const parsed = parseScenarioJson(LOSSY_200);
    if (!parsed.ok) throw new Error(parsed.error);
    const { report, cluster } = runScenario(parsed.scenario, seed);
    expect(report.verdict, report.violations.map((v) => `${v.check}: ${v.message}`).join('\n')).toBe('pass');
    const stats = cluster.network.stats;
    expect(stats.packetsLost / stats.packetsSent).toBeGreaterThan(0.25);
    expect(stats.resetsSent).toBeGreaterThan(0);
    expect(stats.dialFailures).toBeGreaterThan(0);
    // Every broadcast sent once the boot was over (the workload's and the probes) reached every
    // subscriber it owed: Plumtree's repairs and the transport's retransmissions carry it.
    const after = report.metrics.broadcasts.filter((b) => b.sentAtMs >= 20_000);
    expect(after.length).toBeGreaterThanOrEqual(30);
    for (const b of after) expect(b.reached, `${b.probeId} at ${b.sentAtMs} ms`).toBe(b.expected);
  });
});
