/**
 * Failure-detection model seen by the mesh (SPEC §10.2). Goal: under deadPeer 'close' a
 * crashed node's peers learn of it from the network one link latency after the crash — the
 * node substrate reports mesh.peer.disconnected{reason: reset} and HyParView drops the
 * neighbour (mesh.gossip.neighbor_down) at once — while under 'silent', or when the host
 * vanishes, nobody hears anything within a second; a run stays a pure function of its seed.
 * Method: the default scenario for 20 s with one extension that kills the non-observer node
 * holding the most connections at 12 s (and restarts it when the main phase ends); the test
 * reads which peers were connected from the network at the kill and what they emitted from the
 * run's spans.
 */
import { describe, expect, it } from 'vitest';
import { findScenario } from '../src/catalog/registry.js';
import { runScenario } from '../src/scenario/runner.js';
import type { RunContext, RunExtension, Scenario } from '../src/scenario/scenario.js';
import type { DeadPeer, KillMode } from '../src/sim/network/index.js';

const KILL_AT_MS = 12_000;
const DURATION_MS = 20_000;

interface Killed {
  victim: string;
  /** Peers with an open connection to the victim at the kill, by name, sorted. */
  connected: string[];
  /** Largest one-way latency + jitter from the victim to any of them, ms. */
  reachMs: number;
}

function run(deadPeer: DeadPeer, mode: KillMode, seed = '11') {
  const base = findScenario('default')!;
  const killed: Killed = { victim: '', connected: [], reachMs: 0 };
  const killer = (ctx: RunContext): RunExtension => {
    const { cluster } = ctx;
    return {
      start: () => {
        cluster.scheduler.at(KILL_AT_MS, () => {
          const connectionsOf = (id: string) => cluster.network.endpointOf(id)?.connections() ?? [];
          const candidates = cluster.livePlans().filter((p) => p.role !== 'observer');
          const victim = candidates.reduce((a, b) => (connectionsOf(b.nodeId).length > connectionsOf(a.nodeId).length ? b : a));
          const remotes = [...new Set(connectionsOf(victim.nodeId).map((c) => c.remote))];
          killed.victim = victim.nodeId;
          killed.connected = remotes.map((r) => cluster.nameOf(r)).sort();
          for (const r of remotes) {
            const link = cluster.network.link(victim.nodeId, r);
            killed.reachMs = Math.max(killed.reachMs, link.latencyMs + link.jitterMs);
          }
          cluster.host(victim.nodeId).kill(mode);
        });
      },
      finish: () => {
        if (killed.victim !== '' && cluster.host(killed.victim).status === 'stopped') cluster.host(killed.victim).start();
      },
      violations: () => [],
      report: () => ({}),
    };
  };
  const scenario: Scenario = { ...base, network: { ...base.network, deadPeer }, extensions: [...(base.extensions ?? []), killer] };
  const { report, cluster } = runScenario(scenario, seed, { durationMs: DURATION_MS });
  const q = cluster.telemetry.query;
  /** Who emitted `name` about the victim in [kill, kill + withinMs], by name, sorted. */
  const heard = (name: 'mesh.peer.disconnected' | 'mesh.gossip.neighbor_down', withinMs: number, attrs: { reason?: string } = {}): string[] => {
    const spans = q.find({ name, sinceMs: KILL_AT_MS, untilMs: KILL_AT_MS + withinMs, attrs: { peerId: killed.victim, ...attrs } });
    return [...new Set(spans.map((s) => s.node))].sort();
  };
  return { report, killed, heard };
}

describe('the mesh hears a crash through the network', () => {
  it("under close every connected peer reports the victim lost within one link latency, and HyParView drops it at once", () => {
    const { report, killed, heard } = run('close', 'crash');
    expect(report.verdict, JSON.stringify(report.violations)).toBe('pass');
    expect(killed.connected.length).toBeGreaterThanOrEqual(2);
    expect(heard('mesh.peer.disconnected', killed.reachMs, { reason: 'reset' })).toEqual(killed.connected);
    expect(heard('mesh.gossip.neighbor_down', killed.reachMs).length).toBeGreaterThan(0);
  });

  it('under silent, and for a vanished host under close, nobody hears anything within a second', () => {
    for (const [deadPeer, mode] of [['silent', 'crash'], ['close', 'vanish']] as const) {
      const { killed, heard } = run(deadPeer, mode);
      expect(killed.connected.length).toBeGreaterThanOrEqual(2);
      expect(heard('mesh.peer.disconnected', 1_000), `${deadPeer}/${mode}`).toEqual([]);
    }
  });

  it('the same seed gives the same trace digest; the model changes it', () => {
    const a = run('close', 'crash').report.traceDigest;
    expect(run('close', 'crash').report.traceDigest).toBe(a);
    expect(run('silent', 'crash').report.traceDigest).not.toBe(a);
  });
});
