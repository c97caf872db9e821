/**
 * WedgeNode: a node stops processing for `durationMs` (inbound work and timers queue up), then
 * resumes. Slow is not dead: a wedge shorter than the idle timeout must not look like a death.
 *
 * Evidence (spans after apply):
 *  - contradiction, at any poll: some other node emits mesh.peer.disconnected{peerId: victim,
 *    reason: idle-timeout} or {cause: dead-path} (silence taken for death, by its transport or
 *    by its peer table at a redial; and the neighbor_down that follows) or a
 *    mesh.staleness.pruned naming the victim — it judged the slow node dead (failed_assertion).
 *    Other disconnects and neighbor_downs are churn, not judgments of death, and so are
 *    silences that began before the wedge or that another chaos event explains (see judgedDead);
 *  - recovery: after the unwedge (apply + durationMs) the victim emits mesh.heartbeat again
 *    and delivers a probe sent after the unwedge (mesh.probe.delivered on the victim, and on
 *    every other healthy subscriber but those other chaos events had cut off from the probe's
 *    origin, which is a node they had not cut off from the victim where there is one — where
 *    there is none, the victim is excused from that probe, and owed the next re-send; a topic
 *    with no other healthy subscriber to send from is left out), and a pruner interval + digest
 *    interval have passed
 *    since the unwedge without any contradiction (a pruner that would judge the gap has run).
 * Deadline: wedge duration + digest 2 s + pruner 5 s + probe round 5 s + slack 5 s, with the
 * default timers (the run's own, timing.ts).
 * Revert (after `durationMs`): unwedge (a no-op unless the node is still wedged).
 */
import type { SpanRecord } from '../sim/telemetry/index.js';
import { DirectedProbe, victimFirst } from './directed-probe.js';
import { emitted, failedAssertion, isSilenceDeath, meshesOf, nameOf, passed, peerLetGoFirst, prunedIncludes } from './evidence.js';
import { isCutDuring, otherCutWindows, othersCutOff } from './reach.js';
import { deadlineOf, drawParam, FAULT_LENGTH_MS_MAX, paramOf, paramTerm, timer, type PrimitiveSpec } from './schema.js';
import { pickNodes } from './targets.js';
import { probeRoundMs, T, type Timers } from './timing.js';
import type { ChaosWorld, Detector, Fault, Primitive } from './types.js';

/** Default wedge lengths drawn from this range, ms: well below the idle timeout. */
export const WEDGE_DURATION_MS_MIN = 1_000;
export const WEDGE_DURATION_MS_MAX = 10_000;
/** How far below the first silence a peer takes for death a drawn wedge ends at the latest, ms. */
const WEDGE_MARGIN_MS = 2_000;

/**
 * The longest wedge drawn for a run with these timers: below the silence a peer's transport
 * takes for death (idle timeout − keep-alive: the victim's last packet may be a keep-alive period
 * old at the wedge) and the one its pruner does (staleness TTL − digest interval), less a margin;
 * 10 s with the default timers, 3 s with a 10 s idle timeout and a 5 s keep-alive. Never below
 * the shortest wedge: with timers that leave no room, a 1 s wedge looks dead and the detector says so.
 */
export function wedgeDrawMaxMs(t: Timers): number {
  const quiet = Math.min(t.idleTimeoutMs - t.keepAliveMs, t.stalenessTtlMs - t.digestIntervalMs) - WEDGE_MARGIN_MS;
  return Math.max(WEDGE_DURATION_MS_MIN, Math.min(WEDGE_DURATION_MS_MAX, quiet));
}

export const wedgeNodeSpec: PrimitiveSpec = {
  name: 'wedge_node',
  substrateEvidence: 'heartbeats and the staleness pruner',
  params: [
    {
      name: 'durationMs',
      unit: 'ms',
      min: 1,
      max: FAULT_LENGTH_MS_MAX,
      default: WEDGE_DURATION_MS_MIN,
      draw: { kind: 'range', min: WEDGE_DURATION_MS_MIN, max: WEDGE_DURATION_MS_MAX },
      explore: { min: 1_000, max: 10_000, step: 500 },
      doc: 'how long the node processes nothing (near the idle timeout it looks dead, and the detector says so; drawn shorter when the run\'s timers are shorter)',
    },
  ],
  targets: { min: 1, max: 1, shape: 'node', kills: false },
  faultLengthMs: (p) => p.durationMs,
  deadline: (p, t) => [paramTerm('wedge duration', p.durationMs), timer('digest', t.digestIntervalMs), timer('pruner', t.prunerIntervalMs), timer('probe round', probeRoundMs(t)), timer('slack', t.slackMs)],
};

export function wedgeDeadlineMs(durationMs: number, timers: Timers = T): number {
  return deadlineOf(wedgeNodeSpec, { durationMs }, timers).ms;
}

export const wedgeNode: Primitive = {
  name: 'wedge_node',
  spec: wedgeNodeSpec,
  choose: (world, rng, overrides) => {
    const targets = pickNodes(world, rng, 1);
    if (targets === null) return null;
    return { targets, params: { durationMs: drawParam(wedgeNodeSpec.params[0], overrides, (lo, hi) => rng.rangeInclusive(lo, Math.min(hi, wedgeDrawMaxMs(world.timers)))) } };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.process.wedge(id);
  },
  revert: (world, fault) => {
    for (const id of fault.targets) world.process.unwedge(id);
  },
  revertPolicy: (fault) => ({ afterMs: durationOf(fault) }),
  detector: (world, fault, appliedAtMs) => wedgeDetector(world, fault, appliedAtMs),
};

function durationOf(fault: Fault): number {
  return paramOf(wedgeNodeSpec, fault, 'durationMs');
}

function wedgeDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number): Detector {
  const victim = fault.targets[0];
  const unwedgeAtMs = appliedAtMs + durationOf(fault);
  const settledAtMs = unwedgeAtMs + world.timers.digestIntervalMs + world.timers.prunerIntervalMs;
  let probe: DirectedProbe | null = null;
  let missing = 'the unwedge';
  const waitFor = (what: string): null => {
    missing = what;
    return null;
  };
  return {
    evidence: 'no node emits mesh.peer.disconnected{reason: idle-timeout or cause: dead-path} or mesh.staleness.pruned about the victim; after unwedge it emits mesh.heartbeat and delivers a fresh probe',
    deadlineFormula: deadlineOf(wedgeNodeSpec, { durationMs: 0 }, world.timers).formula,
    deadlineMs: wedgeDeadlineMs(durationOf(fault), world.timers),
    missing: () => missing,
    poll: (nowMs) => {
      const waitedMs = nowMs - appliedAtMs;
      const wrong = judgedDead(world, fault, victim, appliedAtMs);
      if (wrong !== null) return failedAssertion(waitedMs, `${nameOf(world, wrong.node)} treated slow ${nameOf(world, victim)} as dead: ${wrong.span.name}${wrong.span.attrs.reason === undefined ? '' : ` (${String(wrong.span.attrs.reason)})`} at ${wrong.span.endMs} ms`, [wrong.span]);
      // Catching up is judged only once the victim's process runs again.
      if (nowMs < unwedgeAtMs) return null;
      if (world.status(victim) !== 'running') return waitFor(`${nameOf(world, victim)} running again (it is ${world.status(victim)})`);
      const beat = emitted(world, victim, 'mesh.heartbeat', unwedgeAtMs);
      if (beat === undefined) return waitFor(`a mesh.heartbeat of ${nameOf(world, victim)} after the unwedge`);
      probe ??= new DirectedProbe(world, meshesOf(world, victim), { mustReach: [victim], cutOff: othersCutOff(world, fault, appliedAtMs) });
      const r = probe.poll(nowMs);
      if (!r.done) return waitFor(`probe deliveries: ${r.missing.slice(0, 5).join(', ')}`);
      if (nowMs < settledAtMs) return waitFor('a pruner interval and a digest interval without a contradiction');
      return passed(waitedMs, [beat, ...victimFirst(world, victim, r.evidence)]);
    },
  };
}

/**
 * The first span (since `sinceMs`) in which another node judged `victim` dead: its connection
 * idled out (silence taken for death; the view drop follows from it) or its digest was pruned.
 * Other disconnects and view drops are ordinary churn a slow node does not cause: an unused
 * connection closed by either side, a Disconnect sent before the wedge, a full active view
 * making room for a joiner, a Neighbor request timing out (the paper's 500 ms rule).
 */
function judgedDead(world: ChaosWorld, fault: Fault, victim: string, sinceMs: number): { node: string; span: SpanRecord } | null {
  // Silence the wedge can explain starts at apply at the earliest: the victim was sending
  // (keep-alives at least every keep-alive period) until then, so an idle timeout before
  // apply + idle − keep-alive (or a prune before apply + TTL − digest interval) is about a
  // connection or entry that was already silent before the wedge, not a judgement of it.
  // Nor is one whose silence another chaos event explains: it cut the judge off from the victim
  // (a partition, a killed or firewalled judge…) at some time in the silence that ended in it.
  const { idleTimeoutMs, keepAliveMs, stalenessTtlMs, digestIntervalMs } = world.timers;
  const idleSinceMs = sinceMs + Math.max(0, idleTimeoutMs - keepAliveMs);
  const pruneSinceMs = sinceMs + stalenessTtlMs - digestIntervalMs;
  const others = otherCutWindows(world, fault, sinceMs);
  const victimName = nameOf(world, victim);
  const q = world.spans;
  for (const p of world.nodes) {
    if (p.nodeId === victim) continue;
    const explained = (s: SpanRecord, silenceMs: number): boolean => isCutDuring(others, p.name, victimName, s.endMs - silenceMs, s.endMs);
    const disconnect = q
      .find({ name: 'mesh.peer.disconnected', node: p.name, sinceMs: idleSinceMs, attrs: { peerId: victim } })
      .find((s) => isSilenceDeath(s) && !explained(s, idleTimeoutMs) && !peerLetGoFirst(world, p.nodeId, s));
    const prune = q
      .find({ name: 'mesh.staleness.pruned', node: p.name, sinceMs: pruneSinceMs })
      .find((s) => prunedIncludes(s, victim) && !explained(s, stalenessTtlMs + digestIntervalMs));
    const span = disconnect === undefined ? prune : prune === undefined || disconnect.seq < prune.seq ? disconnect : prune;
    if (span !== undefined) return { node: p.nodeId, span };
  }
  return null;
}

