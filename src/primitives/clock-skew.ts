/**
 * ClockSkew: one node's WALL clock jumps by `skewMs` (its monotonic clock, and with it every
 * protocol timer, is untouched). Sign: positive = the victim's clock runs ahead, negative =
 * behind. Default: magnitude drawn from {5 s, 60 s}, sign drawn; the battery overrides a
 * positive `skewMs` (ahead). `durationMs` (default 40 s, at least heartbeat 5 s + 1 s) is how
 * long the skew lasts: longer than TTL + pruner, so a pruner that judges by wall time shows.
 *
 * Evidence (spans only, after apply):
 *  - the victim's mesh.heartbeat shows clockSkewMs = (its last pre-apply clockSkewMs) + skewMs,
 *    plus the jumps other clock_skew events on it made after that heartbeat (another skew's
 *    revert between that heartbeat and this apply);
 *  - no false staleness, watched for digest 2 s + TTL 30 s + pruner 5 s = 37 s: a
 *    mesh.staleness.pruned naming the victim, from anyone while the victim is up (a victim
 *    BEHIND looks stale to a peer judging by the sender's wall time) unless that pruner was
 *    itself disturbed in the staleness window before, or the victim was before the skew
 *    (named by another chaos event or idled out of a connection — then real silence explains
 *    it), or one BY the victim
 *    naming a running peer that stayed its active-view neighbour since apply (a victim AHEAD
 *    sees everyone's wall time as old), is a failed_assertion.
 * Deadline: watch (digest 2 s + TTL 30 s + pruner 5 s) + slack 5 s = 42 s. A timeout names
 * the heartbeat it waited for and what the victim's last heartbeat showed instead.
 * Revert (after `durationMs`): jump back by −skewMs. Jumps are relative, so it composes.
 * Must not judge by the harness's view of the clock: the heartbeat span is the evidence.
 */
import { assert } from '../sim/assert.js';
import { disturbed, emitted, failedAssertion, incarnationStartSeq, nameOf, passed, prunedIncludes, spansOf } from './evidence.js';
import { deadlineOf, FAULT_LENGTH_MS_MAX, group, msOf, paramOf, timer, type DeadlineTerm, type PrimitiveSpec } from './schema.js';
import { sharedMeshes } from './partition-pair.js';
import { otherCutWindows, othersCutEveryPathBeforePrune } from './reach.js';
import { pickNodes } from './targets.js';
import { stalenessWindowMs, T, type Timers } from './timing.js';
import type { ChaosWorld, Detector, Fault, ParamValue, Primitive } from './types.js';
import type { SimRng } from '../sim/rng.js';
import type { SpanRecord } from '../sim/telemetry/index.js';

export const CLOCK_SKEW_DURATION_MS = 40_000;
const SKEW_MAGNITUDES_MS = [5_000, 60_000] as const;
const DURATION_MIN_MS = T.heartbeatIntervalMs + 1_000;
/** Largest jump a schedule may ask for: one day either way. */
export const CLOCK_SKEW_MS_MAX = 86_400_000;

export const clockSkewSpec: PrimitiveSpec = {
  name: 'clock_skew',
  substrateEvidence: 'heartbeats (the skew shows in them) and the staleness pruner',
  params: [
    {
      name: 'skewMs',
      unit: 'ms',
      min: -CLOCK_SKEW_MS_MAX,
      max: CLOCK_SKEW_MS_MAX,
      nonZero: true,
      default: null,
      draw: { kind: 'signed-choice', magnitudes: SKEW_MAGNITUDES_MS },
      // Skew shrinks toward ±1 s.
      explore: { min: -120_000, max: 120_000, step: 1_000, nonZero: true },
      doc: 'wall-clock jump: positive = the node runs ahead, negative = behind',
    },
    {
      name: 'durationMs',
      unit: 'ms',
      min: DURATION_MIN_MS,
      max: FAULT_LENGTH_MS_MAX,
      default: CLOCK_SKEW_DURATION_MS,
      draw: { kind: 'fixed' },
      // The duration shrinks toward its floor (heartbeat 5 s + 1 s).
      explore: { min: DURATION_MIN_MS, max: 60_000, step: 500 },
      doc: 'how long the skew lasts (at least heartbeat 5 s + 1 s, so a heartbeat shows it)',
    },
  ],
  targets: { min: 1, max: 1, shape: 'node', kills: false },
  faultLengthMs: (p) => p.durationMs,
  deadline: (_p, t) => [group('watch', watchTerms(t)), timer('slack', t.slackMs)],
};

/** How long no false prune may follow the skew: a digest interval, the staleness TTL and a pruner interval. */
function watchTerms(t: Timers): readonly DeadlineTerm[] {
  return [timer('digest', t.digestIntervalMs), timer('TTL', t.stalenessTtlMs), timer('pruner', t.prunerIntervalMs)];
}

export const clockSkew: Primitive = {
  name: 'clock_skew',
  spec: clockSkewSpec,
  choose: (world, rng, overrides) => {
    const targets = pickNodes(world, rng, 1);
    if (targets === null) return null;
    return { targets, params: { skewMs: skewParam(overrides, rng), durationMs: durationParam(overrides) } };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.clock.jump(id, skewOf(fault));
  },
  revert: (world, fault) => {
    for (const id of fault.targets) world.clock.jump(id, -skewOf(fault));
  },
  revertPolicy: (fault) => ({ afterMs: paramOf(clockSkewSpec, fault, 'durationMs') }),
  detector: (world, fault, appliedAtMs) => clockSkewDetector(world, fault, appliedAtMs),
};

function skewParam(overrides: Readonly<Record<string, ParamValue>> | undefined, rng: SimRng): number {
  const v = overrides?.skewMs;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v !== 0) return v;
  const magnitudeMs = rng.pick(SKEW_MAGNITUDES_MS);
  return rng.chance(1, 2) ? magnitudeMs : -magnitudeMs;
}

function durationParam(overrides: Readonly<Record<string, ParamValue>> | undefined): number {
  const v = overrides?.durationMs;
  return typeof v === 'number' && Number.isSafeInteger(v) ? Math.max(v, DURATION_MIN_MS) : CLOCK_SKEW_DURATION_MS;
}

function skewOf(fault: Fault): number {
  return paramOf(clockSkewSpec, fault, 'skewMs');
}

export function clockSkewDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number): Detector {
  const victim = fault.targets[0];
  const q = world.spans;
  const before = q.last({ name: 'mesh.heartbeat', node: nameOf(world, victim), untilMs: appliedAtMs - 1 });
  const expectedSkewMs = Number(before?.attrs.clockSkewMs ?? 0) + othersJumpsMs(world, victim, before?.seq ?? -1) + skewOf(fault);
  const name = nameOf(world, victim);
  const watchMs = msOf(watchTerms(world.timers));
  const deadline = deadlineOf(clockSkewSpec, {}, world.timers);
  const watchedUntilMs = appliedAtMs + watchMs;
  // What the last poll waited for, in words (the timeout's message).
  let missing = `a mesh.heartbeat of ${name} showing clockSkewMs ${expectedSkewMs}`;
  return {
    evidence: `${name}'s mesh.heartbeat shows clockSkewMs ${expectedSkewMs}; no mesh.staleness.pruned of it, or by it of a live neighbour, for ${watchMs} ms`,
    deadlineFormula: deadline.formula,
    deadlineMs: deadline.ms,
    missing: () => missing,
    poll: (nowMs) => {
      const waitedMs = nowMs - appliedAtMs;
      const falsePrune = falseStaleness(world, fault, victim, appliedAtMs);
      if (falsePrune !== undefined) return failedAssertion(waitedMs, falsePrune.message, [falsePrune.span]);
      const heartbeat = emitted(world, victim, 'mesh.heartbeat', appliedAtMs, { clockSkewMs: expectedSkewMs });
      if (heartbeat === undefined) {
        // Asked only while the skew is not shown: what the victim's heartbeats show instead.
        const last = q.last({ name: 'mesh.heartbeat', node: name, sinceMs: appliedAtMs });
        missing = `a mesh.heartbeat of ${name} showing clockSkewMs ${expectedSkewMs} (${last === undefined ? 'none since the skew' : `its last, at ${last.endMs} ms, shows ${String(last.attrs.clockSkewMs)}`})`;
        return null;
      }
      if (waitedMs < watchMs) {
        missing = `the watch for false staleness (until ${watchedUntilMs} ms)`;
        return null;
      }
      return passed(waitedMs, [heartbeat]);
    },
  };
}

/**
 * The wall-clock jumps other clock_skew events made on `victim` after its heartbeat `sinceSeq`
 * (the last before this apply) and before this apply, from the chaos spans: each apply +skewMs,
 * each revert −skewMs. Called when the detector is made, right after this event's own applied
 * span (the last one), which is left out. The default layout's `--chaos 20` seed 123: a skew of
 * +60 s on a node was reverted at 50.5 s, 0.4 s after its heartbeat still showing +60 s, and the
 * same node was skewed +60 s again at 53.2 s; the heartbeats then showed +60 s, not +120 s.
 */
function othersJumpsMs(world: ChaosWorld, victim: string, sinceSeq: number): number {
  const q = world.spans;
  const name = nameOf(world, victim);
  const skews = q.find({ name: 'chaos.primitive.applied', attrs: { name: 'clock_skew' } }).filter((s) => String(s.attrs.targets).split(',').includes(name));
  const own = q.last({ name: 'chaos.primitive.applied' });
  const revertOf = new Map(q.find({ name: 'chaos.primitive.reverted' }).map((r) => [r.parentSpanId, r]));
  let jumpMs = 0;
  for (const applied of skews) {
    const skewMs = Number((JSON.parse(String(applied.attrs.params ?? '{}')) as { skewMs?: unknown }).skewMs);
    assert(Number.isSafeInteger(skewMs), 'a clock_skew applied span names its skewMs');
    if (applied.seq > sinceSeq && applied.spanId !== own?.spanId) jumpMs += skewMs;
    const reverted = revertOf.get(applied.spanId);
    if (reverted !== undefined && reverted.seq > sinceSeq) jumpMs -= skewMs;
  }
  return jumpMs;
}

/**
 * The first prune since apply that judged a live node stale: of the victim, or by the victim.
 * A prune of the victim is not the skew's when, at some digest tick of the pruner's staleness
 * window, other events had cut every overlay path from the victim to the pruner (reach.ts,
 * `othersCutEveryPath`, as `firewall_inbound` asks): its digests could not arrive, whatever its
 * clock said. clock-skew-60s under `--chaos 20`, seed 5135: a `partition_subset` 3.7 s before the
 * skew took every neighbour of the victim, and a gateway outside the cut, as the victim was,
 * pruned it 30.7 s after its last digest got through.
 */
function falseStaleness(world: ChaosWorld, fault: Fault, victim: string, sinceMs: number): { message: string; span: SpanRecord } | undefined {
  const others = otherCutWindows(world, fault, sinceMs);
  const windowMs = stalenessWindowMs(world.timers);
  const cutFromPruner = (pruner: string, atMs: number): boolean => othersCutEveryPathBeforePrune(world, others, sharedMeshes(world, victim, pruner), victim, pruner, atMs);
  if (world.status(victim) !== 'stopped') {
    for (const p of world.nodes) {
      if (p.nodeId === victim) continue;
      const span = spansOf(world, p.nodeId, 'mesh.staleness.pruned', sinceMs).find(
        (s) =>
          prunedIncludes(s, victim) &&
          !disturbed(world, p.nodeId, s.endMs - windowMs, s.endMs) &&
          !disturbed(world, victim, s.endMs - windowMs, sinceMs - 1) &&
          !cutFromPruner(p.nodeId, s.endMs),
      );
      if (span !== undefined) return { message: `${p.name} pruned ${nameOf(world, victim)} as stale while it was alive (clock skewed, not dead)`, span };
    }
  }
  for (const span of spansOf(world, victim, 'mesh.staleness.pruned', sinceMs)) {
    if (disturbed(world, victim, span.endMs - windowMs, sinceMs - 1)) continue;
    for (const id of String(span.attrs.nodeIds ?? '').split(',')) {
      if (disturbed(world, id, span.endMs - windowMs, span.endMs)) continue;
      if (id === '' || !world.nodes.some((p) => p.nodeId === id)) continue;
      if (world.status(id) !== 'running' || world.isFaulted(id)) continue;
      if (stayedNeighbor(world, victim, id, sinceMs, span.endMs)) {
        return { message: `${nameOf(world, victim)} (clock skewed) pruned its live neighbour ${nameOf(world, id)} as stale`, span };
      }
    }
  }
  return undefined;
}

/**
 * Whether, by `node`'s spans, `peer` was in its active view on some topic at `fromMs` and never
 * left it until `untilMs`. Only its incarnation current at `fromMs` counts: a restart empties the
 * views without a neighbor_down (burst-kill-5 under `--chaos 20`, seed 2486: a bridge restarted
 * at 50.0 s, skewed at 75.8 s, pruned at 90.0 s a compute killed at 49.0 s and still down; its
 * earlier incarnation had taken that compute up at 1.5 s, and that was read as a live neighbour).
 */
function stayedNeighbor(world: ChaosWorld, node: string, peer: string, fromMs: number, untilMs: number): boolean {
  const q = world.spans;
  const name = nameOf(world, node);
  const since = incarnationStartSeq(world, name, fromMs);
  for (const topic of world.node(node).meshIds) {
    const up = q.last({ name: 'mesh.gossip.neighbor_up', node: name, untilMs: fromMs, attrs: { peerId: peer, topic } });
    if (up === undefined || up.seq < since) continue;
    const down = q.last({ name: 'mesh.gossip.neighbor_down', node: name, untilMs: untilMs, attrs: { peerId: peer, topic } });
    if (down === undefined || down.seq < up.seq) return true;
  }
  return false;
}
