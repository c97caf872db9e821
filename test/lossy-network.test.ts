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
import { withChaos } from '../src/catalog/chaos-scenarios.js';
import { withoutAckIdleRestart } from './support/chaos.js';

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

describe('a live connection under loss is not idled out while its packets are acknowledged', () => {
  // Found by random settings under chaos. Each was red before acknowledgements restarted their
  // sender's idle timer (RFC 9000 §10.1, wire.ts): an end that only sent heard nothing but its
  // peer's keep-alives, and a keep-alive lost with all its retransmissions idled out a live link.
  const cases = [
    {
      // 300 ms a hop at 5 % loss: a broker idled out a compute at 40.3 s, no fault in force.
      file: {
        name: 'wan-82', profile: 'protocol',
        topology: {
          meshes: [
            { meshId: 'mesh-a', roles: { compute: 4, registry: 5, broker: 4 } },
            { meshId: 'mesh-b', roles: { gateway: 1, registry: 9, broker: 4 } },
            { meshId: 'mesh-c', roles: { compute: 10, registry: 6, broker: 3 } },
          ],
          bridges: 3, observer: true,
        },
        bootSpacingMs: 5, durationMs: 180_000, healWindowMs: 60_000,
        network: { latencyMs: 300, jitterMs: 20, lossPct: 5 },
      },
      seed: '47148', chaos: 20,
      red: /churn-without-cause: broker-2e6db675 mesh-a: neighbour compute-227935ab went down at 40316 ms with no fault in force \(connection idle-timeout\)/,
    },
    {
      // A 10 s idle timeout and a 5 s keep-alive with a 500 ms RTO floor: under a lossy_link one
      // registry's keep-alive and its retransmissions were all lost before the timeout.
      file: {
        name: 'knob4-836', profile: 'protocol',
        topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 5, compute: 8, registry: 7 } }], bridges: 0, observer: true },
        bootSpacingMs: 20, durationMs: 180_000, healWindowMs: 60_000,
        node: { hyparview: { activeViewCapacity: 5 }, plumtree: { dispatchTimeoutMs: 50 } },
        network: { rtoMinMs: 500, idleTimeoutMs: 10_000, keepAliveMs: 5_000, deadPeer: 'reset' },
      },
      seed: '67307', chaos: 10,
      red: /lossy_link@10001ms \[registry-66b28568,registry-27e7c1ff\]: registry-66b28568 declared registry-27e7c1ff dead \(idle timeout\) over a lossy link/,
    },
  ];
  it.each(cases)('$file.name passes; red on the model without it', ({ file, seed, chaos, red }) => {
    const parsed = parseScenarioJson(file);
    if (!parsed.ok) throw new Error(parsed.error);
    const chaotic = withChaos(parsed.scenario, { random: { count: chaos } });
    const { report } = runScenario(chaotic, seed);
    expect(report.verdict, report.violations.map((v) => `${v.check}: ${v.message}`).join('\n')).toBe('pass');
    // The model before, and the unused sweep as it was then (it did not wait for a Join's answer,
    // which moves wan-82's events).
    const before = runScenario({ ...withoutAckIdleRestart(chaotic), variantOf: () => ({ sweepUnansweredJoins: true }) }, seed).report;
    expect(before.verdict).toBe('fail');
    expect(before.violations.map((v) => `${v.check}: ${v.message}`).join('\n')).toMatch(red);
  });
});
