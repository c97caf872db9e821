/**
 * Substrate behaviours of SPEC §2.3 that no other check covered, read from the spans the nodes
 * emit and timed against the run's configuration (never against the node's own numbers):
 * - heartbeat: while a node runs outside fault periods, `mesh.heartbeat` comes every
 *   heartbeat interval (the first one interval after `mesh.node.ready`);
 * - bridge heartbeat: with every heartbeat a bridge emits `mesh.bridge.per_mesh_heartbeat` for
 *   each mesh it joins besides its own;
 * - cross-mesh detection: every connection between nodes of different meshes is followed, at
 *   the receiving end of the peer's Hello, by `mesh.cross.peer_connected` within a dial timeout;
 * - seed dialing: retries of one round count 1, 2, …, each waits at least
 *   min(base·2^min(attempt, expMax), max) ms (computed here from the configuration) before the
 *   next, and a round gives up at exactly the attempt limit.
 * Fault periods (chaos spans, see churn.ts) excuse late heartbeats and missing Hellos of the
 * nodes they targeted. Heartbeats and Hellos exist only in the `full` profile; seed dialing is
 * part of both.
 */
import { MESH_NODE_DEFAULTS, seedRetryDelayMs, type MeshNodeConfig } from '../../mesh/config.js';
import { retransmitTimeoutMs, type NetworkConfig } from '../../sim/network/index.js';
import type { SpanRecord } from '../../sim/telemetry/index.js';
import type { Violation } from '../checker.js';
import type { Cluster } from '../cluster.js';
import { excused, faultPeriods, type FaultPeriod } from './churn.js';

/** Timer slack: virtual timers fire on time, so only rounding is allowed, ms. */
const TIMER_SLACK_MS = 10;

export function checkSubstrate(cluster: Cluster): Violation[] {
  const config: MeshNodeConfig = { ...MESH_NODE_DEFAULTS, ...cluster.options.node, variant: {} };
  const faults = faultPeriods(cluster);
  if (cluster.options.profile === 'protocol') return seedBackoff(cluster, config);
  return [...heartbeats(cluster, config, faults), ...crossMesh(cluster, faults), ...seedBackoff(cluster, config)];
}

function heartbeats(cluster: Cluster, config: MeshNodeConfig, faults: readonly FaultPeriod[]): Violation[] {
  const q = cluster.telemetry.query;
  const endMs = cluster.scheduler.nowMs;
  const intervalMs = config.heartbeatIntervalMs;
  const out: Violation[] = [];
  for (const plan of cluster.plans) {
    const beats = q.find({ name: 'mesh.heartbeat', node: plan.name }).map((s) => s.endMs);
    const perMesh = q.find({ name: 'mesh.bridge.per_mesh_heartbeat', node: plan.name });
    const life = [...q.find({ name: 'mesh.node.ready', node: plan.name }), ...q.find({ name: 'mesh.node.stopping', node: plan.name })].sort((a, b) => a.seq - b.seq);
    for (const [i, ready] of life.entries()) {
      if (ready.name !== 'mesh.node.ready') continue;
      const untilMs = life[i + 1]?.endMs ?? endMs;
      let lastMs = ready.endMs;
      for (const t of [...beats.filter((b) => b > ready.endMs && b <= untilMs), untilMs]) {
        const late = t - lastMs > intervalMs + TIMER_SLACK_MS;
        if (late && !excused(faults, lastMs, t, [plan.name])) out.push(v('heartbeat-cadence', `${plan.name} had no mesh.heartbeat from ${lastMs} to ${t} ms (every ${intervalMs} ms)`));
        lastMs = t;
      }
    }
    if (plan.role !== 'bridge') continue;
    const others = plan.meshIds.filter((m) => m !== plan.meshId);
    const perMeshAt = new Map<number, Set<string>>();
    for (const s of perMesh) perMeshAt.set(s.endMs, (perMeshAt.get(s.endMs) ?? new Set()).add(String(s.attrs.meshId)));
    for (const t of beats) {
      const missing = others.filter((m) => !perMeshAt.get(t)?.has(m));
      if (missing.length > 0) out.push(v('bridge-heartbeat', `${plan.name} heartbeat at ${t} ms without per-mesh heartbeat for ${missing.join(', ')}`));
    }
  }
  return out;
}

/** Lost copies in a row of a Hello that `helloBoundMs` allows for on a network that loses packets. */
const HELLO_LOSSES = 3;

/**
 * How long after a cross-mesh connection opens its end may wait for the peer's Hello, ms: the
 * dial timeout, and on a network whose links lose packets, HELLO_LOSSES lost copies of it in a
 * row, each resent after the retransmission timeout, which doubles per loss
 * (sim/network/connection.ts, rtoMs). A random layout with drawn settings (fast-check seed
 * 20010: 10 % loss, a 500 ms RTO floor, a 2 s dial timeout) lost the observer's Hello twice,
 * 3 s of backoff against a bound of the dial timeout alone. Four losses in a row (1 in 10,000 at
 * 10 % loss) still read red: the check cannot tell them from a Hello never sent.
 */
export function helloBoundMs(config: NetworkConfig): number {
  const { link } = config;
  if (link.lossNum === 0) return config.dialTimeoutMs;
  const rttMaxMs = 2 * (link.latencyMs + link.jitterMs);
  let resendMs = 0;
  for (let losses = 1; losses <= HELLO_LOSSES; losses++) resendMs += retransmitTimeoutMs(config, rttMaxMs, losses);
  return config.dialTimeoutMs + resendMs;
}

function crossMesh(cluster: Cluster, faults: readonly FaultPeriod[]): Violation[] {
  const q = cluster.telemetry.query;
  const boundMs = helloBoundMs(cluster.network.config);
  const endMs = cluster.scheduler.nowMs;
  const meshOf = new Map(cluster.plans.map((p) => [p.nodeId, p.meshId]));
  const byName = new Map(cluster.plans.map((p) => [p.name, p]));
  const out: Violation[] = [];
  for (const s of q.find({ name: 'mesh.peer.connected' })) {
    const self = byName.get(s.node);
    const peer = String(s.attrs.peerId);
    if (self === undefined || meshOf.get(peer) === undefined || meshOf.get(peer) === self.meshId) continue;
    if (s.endMs + boundMs > endMs || excused(faults, s.endMs, s.endMs + boundMs, [s.node, cluster.nameOf(peer)])) continue;
    const closed = q.find({ name: 'mesh.peer.disconnected', node: s.node, sinceMs: s.endMs, untilMs: s.endMs + boundMs, attrs: { peerId: peer } });
    if (closed.length > 0) continue; // gone before its Hello could arrive
    // An acceptor's end of a handshake its dialer gave up: an Initial resent late reached the
    // acceptor after (or just before) the dial timed out, and the dialer never opened its end to
    // send a Hello on (300 ms a hop at 3 % loss, a random layout, seed 6656: a compute's dial
    // failed at 11.110 s and the bridge took its Initial in at 11.270 s). The dialer's spans say so.
    if (s.attrs.direction === 'inbound' && q.find({ name: 'mesh.peer.dial_failed', node: cluster.nameOf(peer), sinceMs: s.endMs - boundMs, untilMs: s.endMs + boundMs, attrs: { peerId: self.nodeId } }).length > 0) continue;
    const seen = q.find({ name: 'mesh.cross.peer_connected', node: s.node, sinceMs: s.endMs, untilMs: s.endMs + boundMs, attrs: { peerId: peer } });
    if (seen.length === 0) out.push(v('cross-mesh-detected', `${s.node} connected to ${cluster.nameOf(peer)} of mesh ${meshOf.get(peer)} at ${s.endMs} ms but saw no cross-mesh Hello within ${boundMs} ms`));
  }
  return out;
}

function seedBackoff(cluster: Cluster, config: MeshNodeConfig): Violation[] {
  const q = cluster.telemetry.query;
  const out: Violation[] = [];
  const rounds = new Map<string, SpanRecord[]>();
  for (const s of [...q.find({ name: 'mesh.seed.retry' }), ...q.find({ name: 'mesh.seed.giveup' }), ...q.find({ name: 'mesh.node.ready' })].sort((a, b) => a.seq - b.seq)) {
    if (s.name === 'mesh.node.ready') {
      for (const key of [...rounds.keys()]) if (key.startsWith(`${s.node}|`)) rounds.delete(key); // a restart starts afresh
      continue;
    }
    const key = `${s.node}|${String(s.attrs.peerId)}`;
    const prev = rounds.get(key) ?? [];
    const attempt = Number(s.name === 'mesh.seed.retry' ? s.attrs.attempt : s.attrs.attempts);
    const last = prev[prev.length - 1];
    const lastAttempt = last === undefined ? 0 : Number(last.attrs.attempt);
    const who = `${s.node} → seed ${cluster.nameOf(String(s.attrs.peerId))}`;
    if (attempt === 1) {
      rounds.set(key, [s]);
    } else if (attempt !== lastAttempt + 1) {
      out.push(v('seed-backoff', `${who}: attempt ${attempt} follows attempt ${lastAttempt}`));
      rounds.set(key, [s]);
      continue;
    } else {
      const waitedMs = s.endMs - last.endMs;
      const needMs = seedRetryDelayMs(config, lastAttempt);
      if (waitedMs < needMs) out.push(v('seed-backoff', `${who}: attempt ${attempt} ${waitedMs} ms after attempt ${lastAttempt}, backoff is ${needMs} ms`));
      rounds.set(key, [...prev, s]);
    }
    if (s.name === 'mesh.seed.giveup') {
      if (attempt !== config.seedAttemptsMax) out.push(v('seed-backoff', `${who}: gave up after ${attempt} attempts, the limit is ${config.seedAttemptsMax}`));
      rounds.delete(key);
    } else if (attempt >= config.seedAttemptsMax) {
      out.push(v('seed-backoff', `${who}: retry ${attempt} at or past the limit ${config.seedAttemptsMax}`));
    }
  }
  return out;
}

function v(check: string, message: string): Violation {
  return { check, message };
}
