/**
 * PartitionSubset: `size` nodes of one mesh (its own nodes, not bridges or the observer) are cut
 * off from every other node — every link across the cut blocked both ways — for `durationMs`,
 * longer than the idle timeout and the staleness TTL so that both sides notice.
 *
 * Evidence (spans after apply; "side" = inside or outside the cut):
 *  1. both sides notice: every node that, by its spans, held a connection across the cut at
 *     apply emits mesh.peer.disconnected for that peer, and every node that had learned the
 *     digest of a node across the cut emits mesh.staleness.pruned naming it, unless another
 *     event held its last copy up so long that the prune falls due after the repair
 *     (`prunesAfterRepair`);
 *  2. both sides keep working: once (1) holds, a probe on each affected topic from each side
 *     reaches that side's running subscribers before the repair (mesh.probe.delivered); inside
 *     the cut, those its origin reached on the overlay by the nodes' spans when it was sent (see
 *     `deliveredBefore`). A node another chaos event touched in the partition's window (any cut)
 *     is not expected to get it; one another event cut off (a node or subset cut) is not a
 *     probe's origin, and a side whose every probe origin was cut off is not judged;
 *  3. the overlay re-merges after the repair: every running node re-learns the digest of at
 *     least one node across the old cut (mesh.digest.learned), then a probe round on every
 *     affected topic reaches every subscriber, inside the cut as outside (nodes another event
 *     touched excused).
 * A digest learned across the cut while it is fully in place (after the in-flight allowance and
 * before the repair) contradicts the fault: failed_assertion; so does a side that never got a
 * probe through before the repair.
 * Deadline: durationMs + re-merge (seed retry backoff max 30 s + seed check 10 s) + digest
 * interval 2 s + probe round 5 s + slack 5 s. A timeout names what the last poll waited for: a
 * node's disconnect or prune across the cut, the repair, a node's re-learned digest from across
 * the old cut, or the first receivers the closing round still misses.
 * Revert (after durationMs): repair every blocked pair — idempotent.
 */
import type { ProbeRecord } from '../scenario/checker.js';
import { describeSplit, type SplitPart } from '../scenario/overlay-parts.js';
import { BRIDGE_ROLE } from '../scenario/topology.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { appendAll, emitted, failedAssertion, holdsDigest, incarnationStartSeq, restartedSince, meshesOf, MISSING_SHOWN, nameOf, passed, peersConnectedTo, prunedBy } from './evidence.js';
import { heldDigest } from './held-digest.js';
import { cutDialsWait, cutOffFrom, cutOffOverFlight, cutWindows, otherCutWindows, othersTouched, overlayAt, pathExists, probeFlightMs, type CutWindow } from './reach.js';
import { deadlineOf, drawParam, drawRangeLater, ExtensibleDeadline, FAULT_LENGTH_MS_MAX, paramOf, paramTerm, timer, type PrimitiveSpec } from './schema.js';
import { candidates } from './targets.js';
import { inFlightMs, plumtreePassOnMs, probeRoundMs, stalenessWindowMs, T, type Timers } from './timing.js';
import type { ChaosWorld, Detection, Fault, Primitive } from './types.js';

export const SUBSET_SIZE_MIN = 3;
export const SUBSET_SIZE_MAX = 5;
/** Idle timeout 30 s and digest 2 s + TTL 30 s + pruner 5 s both fit, with room for (2). */
export const SUBSET_DURATION_MS_MIN = 50_000;
export const SUBSET_DURATION_MS_MAX = 60_000;

/** How long both sides take to notice a cut with these timers: the idle timeout, or digest + TTL + pruner. */
function noticeMs(t: Timers): number {
  return Math.max(t.idleTimeoutMs, stalenessWindowMs(t));
}

/**
 * The cut lengths drawn for a run with these timers: the default range, moved later by as much as
 * the run's timers take longer to notice a cut than the defaults do, so that a drawn cut is
 * always noticed with the same room for the side probes (a 60 s idle timeout draws 73–83 s).
 */
export function subsetDurationRange(t: Timers): readonly [number, number] {
  return drawRangeLater(partitionSubsetSpec.params[1], Math.max(0, noticeMs(t) - noticeMs(T)));
}

export const partitionSubsetSpec: PrimitiveSpec = {
  name: 'partition_subset',
  substrateEvidence: 'digests and the staleness pruner on each side of the cut',
  params: [
    {
      name: 'size',
      unit: 'count',
      min: SUBSET_SIZE_MIN,
      max: SUBSET_SIZE_MAX,
      default: SUBSET_SIZE_MIN,
      draw: { kind: 'range', min: SUBSET_SIZE_MIN, max: SUBSET_SIZE_MAX },
      equalsTargetCount: true,
      doc: 'nodes cut off; in a schedule it equals the number of targets (omit it to take that)',
    },
    {
      name: 'durationMs',
      unit: 'ms',
      min: 1,
      max: FAULT_LENGTH_MS_MAX,
      default: SUBSET_DURATION_MS_MIN,
      draw: { kind: 'range', min: SUBSET_DURATION_MS_MIN, max: SUBSET_DURATION_MS_MAX },
      // A cut must outlast TTL 30 s + pruner 5 s + digest 2 s for both sides to notice it.
      explore: { min: 40_000, max: 60_000, step: 500 },
      doc: 'how long the cut lasts (shorter than the idle timeout or digest + TTL + pruner, 30 s / 37 s by default, and nobody can notice it; drawn later when the run\'s timers are longer)',
    },
  ],
  targets: { min: SUBSET_SIZE_MIN, max: SUBSET_SIZE_MAX, shape: 'subset', kills: false },
  faultLengthMs: (p) => p.durationMs,
  deadline: (p, t) => [
    paramTerm('durationMs', p.durationMs),
    timer('seed retry max', t.seedRetryMaxMs),
    timer('seed check', t.seedCheckIntervalMs),
    timer('digest', t.digestIntervalMs),
    timer('probe round', probeRoundMs(t)),
    timer('slack', t.slackMs),
  ],
};

export const partitionSubset: Primitive = {
  name: 'partition_subset',
  spec: partitionSubsetSpec,
  choose: (world, rng, overrides) => {
    const size = drawParam(partitionSubsetSpec.params[0], overrides, (lo, hi) => rng.rangeInclusive(lo, hi));
    const meshIds = [...new Set(world.nodes.filter((p) => p.role !== BRIDGE_ROLE).map((p) => p.meshId))].sort();
    const pool = candidates(world);
    const fitting = meshIds.filter((m) => pool.filter((id) => isOwnNode(world, id, m)).length > size);
    if (fitting.length === 0 || size < 1) return null;
    const meshId = rng.pick(fitting);
    const inside = rng.shuffle(pool.filter((id) => isOwnNode(world, id, meshId))).slice(0, size);
    const durationMs = drawParam(partitionSubsetSpec.params[1], overrides, () => rng.rangeInclusive(...subsetDurationRange(world.timers)));
    return { targets: inside.sort((a, b) => world.node(a).index - world.node(b).index), params: { size, durationMs } };
  },
  apply: (world, fault) => forEachCrossing(world, fault, (a, b) => world.links.partition(a, b)),
  revert: (world, fault) => forEachCrossing(world, fault, (a, b) => world.links.repair(a, b)),
  revertPolicy: (fault) => ({ afterMs: durationOf(fault) }),
  detector: (world, fault, appliedAtMs) => subsetDetector(world, fault, appliedAtMs),
};

function subsetDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number) {
  const inside = new Set(fault.targets);
  const all = world.nodes.map((p) => p.nodeId);
  const sides = [all.filter((id) => inside.has(id)), all.filter((id) => !inside.has(id))];
  /** Nodes on the other side of the cut that share a topic with `id` (whose digests it can learn). */
  const across = (id: string): string[] => (inside.has(id) ? sides[1] : sides[0]).filter((o) => meshesOf(world, o).some((m) => meshesOf(world, id).includes(m)));
  const healAtMs = appliedAtMs + durationOf(fault);
  // Who must notice whom, fixed from the spans emitted before apply.
  const mustDisconnect: [string, string][] = [];
  const mustPrune: [string, string][] = [];
  /** Prunes another event's held-up digest pushed past the repair (`prunesAfterRepair`). */
  const heldPastRepair = new Set<readonly [string, string]>();
  for (const v of all) {
    for (const p of peersConnectedTo(world, v, appliedAtMs)) if (inside.has(p) !== inside.has(v)) mustDisconnect.push([p, v]);
    for (const p of across(v)) {
      if (world.status(p) !== 'stopped' && holdsDigest(world, nameOf(world, p), v, appliedAtMs)) mustPrune.push([p, v]);
    }
  }
  const topics = [...new Set(fault.targets.flatMap((id) => meshesOf(world, id)))].sort();
  let sideProbes: SideProbe[] | null = null;
  const noticed: SpanRecord[] = [];
  const working: SpanRecord[] = [];
  /** The probe round after the repair: one side, every node. */
  let mergeProbes: SideProbe[] | null = null;
  /**
   * The spec's deadline, extended at most once, at that deadline, for a node not yet re-merged
   * whose every dial begun since the repair other events held (reach.ts, `cutDialsWait`): its
   * seeds' firewall or another cut let go only later, and its retry backs off to 30 s (a random
   * layout, fast-check seed 6473: a broker's two mesh-a seeds were behind a firewall and a
   * second subset until 155.1 and 143.8 s, past the deadline at 162.4 s with its next retry).
   */
  const deadline = new ExtensibleDeadline(appliedAtMs, deadlineOf(partitionSubsetSpec, { durationMs: durationOf(fault) }, world.timers).ms, deadlineOf(partitionSubsetSpec, { durationMs: 0 }, world.timers).formula);
  // What the last poll waited for, in words (the timeout's message).
  let missing = 'both sides noticing the cut';
  const waitFor = (what: string): null => {
    missing = what;
    return null;
  };
  return {
    evidence: 'nodes on both sides emit mesh.peer.disconnected / mesh.staleness.pruned for the other side; a probe inside each side reaches it during the partition; after repair digests across the cut are re-learned and a probe round reaches everyone',
    get deadlineFormula() {
      return deadline.formula;
    },
    get deadlineMs() {
      return deadline.ms;
    },
    missing: () => missing,
    poll: (nowMs: number): Detection | null => {
      const waitedMs = nowMs - appliedAtMs;
      const running = (id: string): boolean => world.status(id) === 'running';
      if (nowMs < healAtMs) {
        const leak = leakedDigest(world, sides, appliedAtMs + inFlightMs(world.timers), nowMs, appliedAtMs);
        if (leak !== undefined) return failedAssertion(waitedMs, `${leak.node} learned the digest of ${String(leak.attrs.nodeName)} across the cut`, [leak]);
        if (noticed.length === 0 || sideProbes === null) {
          const seen: SpanRecord[] = [];
          // A node that respawned since apply lost the connections and digests it would prune.
          for (const [p, v] of mustDisconnect) {
            if (!running(p) || restartedSince(world, p, appliedAtMs)) continue;
            const s = emitted(world, p, 'mesh.peer.disconnected', appliedAtMs, { peerId: v });
            if (s === undefined) return waitFor(`${nameOf(world, p)}: mesh.peer.disconnected of ${nameOf(world, v)} across the cut`);
            seen.push(s);
          }
          for (const pair of mustPrune) {
            const [p, v] = pair;
            if (!running(p) || restartedSince(world, p, appliedAtMs) || heldPastRepair.has(pair)) continue;
            const s = prunedBy(world, p, v, appliedAtMs);
            if (s === undefined) {
              // Read afresh: a cut reverted since the last poll is what lets a held copy go.
              if (prunesAfterRepair(world, otherCutWindows(world, fault, appliedAtMs), p, v, sides[inside.has(v) ? 0 : 1], appliedAtMs, healAtMs, nowMs)) {
                heldPastRepair.add(pair);
                continue;
              }
              return waitFor(`${nameOf(world, p)}: mesh.staleness.pruned of ${nameOf(world, v)} across the cut`);
            }
            seen.push(s);
          }
          appendAll(noticed, seen);
          sideProbes = sendSideProbes(world, sides, topics, othersTouched(world, fault, appliedAtMs, nowMs), 0, true);
          return waitFor(`the repair (at ${healAtMs} ms)`);
        }
        resendIfDue(world, sideProbes, othersTouched(world, fault, appliedAtMs, nowMs), nowMs);
        return waitFor(`the repair (at ${healAtMs} ms)`);
      }
      if (working.length === 0) {
        if (sideProbes === null) return failedAssertion(waitedMs, 'the sides did not notice the cut before the repair', noticed);
        // Another fault that cut nodes off during the partition explains their probes (sent
        // or missed); a side is judged by the probes of the origins no other fault touched.
        const touched = othersTouched(world, fault, appliedAtMs, healAtMs);
        const touchedAny = othersTouched(world, fault, appliedAtMs, healAtMs, true);
        // And a receiver other events had cut off from a probe's origin when it left or while it
        // was in flight, on the overlay the spans show with this cut applied too (reach.ts,
        // cutOffFrom, cutOffOverFlight): e.g. a node whose neighbours on this side were all
        // inside another event's subset.
        const others = otherCutWindows(world, fault, appliedAtMs);
        const ownCut = (x: string, y: string): boolean => inside.has(x) !== inside.has(y);
        const excusedFor = (p: ProbeRecord): ReadonlySet<string> => new Set([...touchedAny, ...cutOffOverFlight(others, p.sentAtMs, probeFlightMs(world.timers), (atMs) => cutOffFrom(world, others, p.meshId, p.origin, atMs, ownCut))]);
        for (const sp of sideProbes) {
          const judged = sp.probes.filter((p) => !touched.has(p.origin));
          if (judged.length === 0) continue;
          const complete = judged.map((p) => deliveredBefore(world, sp, p, excusedFor(p), healAtMs)).find((r) => r.missing.length === 0);
          if (complete === undefined) {
            const last = judged[judged.length - 1];
            const missing = deliveredBefore(world, sp, last, excusedFor(last), healAtMs).missing;
            const alone = aloneOnTopic(world, last, [nameOf(world, last.origin), ...missing]);
            const split = partsAround(sp.splits?.[sp.probes.indexOf(last)] ?? [], [nameOf(world, last.origin), ...missing]);
            const apart = split.length === 0 ? '' : `; apart from the rest of their overlay when it was sent: ${describeSplit(split)}`;
            return { ...failedAssertion(waitedMs, `side of ${nameOf(world, last.origin)} stopped working during the partition: ${judged.length} probe(s) on ${last.meshId} missed ${missing.join(', ')}${alone}${apart}`), split };
          }
          appendAll(working, complete.delivered);
        }
      }
      // This event's own nodes count as faulted until its verdict (`world.isFaulted`, and so
      // ProbeRound's healthy nodes): the inside of the cut was left out of the re-merge. Only
      // another event's cut excuses a node here.
      const excused = othersTouched(world, fault, appliedAtMs, nowMs, true);
      const relearned: SpanRecord[] = [];
      for (const id of all) {
        if (!running(id) || excused.has(id) || across(id).length === 0) continue;
        const s = firstLearnedAcross(world, id, across(id), healAtMs);
        if (s === undefined) {
          // Dials begun before the repair ran into this cut: only later ones can show others'.
          if (deadline.open(nowMs)) deadline.extend(cutDialsWait(world, otherCutWindows(world, fault, appliedAtMs), id, healAtMs + world.timers.dialTimeoutMs, nowMs));
          return waitFor(`${nameOf(world, id)}: mesh.digest.learned of a node across the old cut since the repair at ${healAtMs} ms`);
        }
        relearned.push(s);
      }
      mergeProbes ??= sendSideProbes(world, [all], topics, excused, -1, false);
      resendIfDue(world, mergeProbes, excused, nowMs);
      const merged: SpanRecord[] = [];
      for (const sp of mergeProbes) {
        const results = sp.probes.map((p) => deliveredBefore(world, sp, p, excused, Infinity));
        const complete = results.find((r) => r.missing.length === 0);
        if (complete === undefined) {
          // Named from the probe that missed fewest (the poll checked them all already): the
          // latest may have been re-sent in this poll and reached nobody yet. A few are enough.
          let best = 0;
          for (let i = 1; i < results.length; i++) if (results[i].missing.length < results[best].missing.length) best = i;
          return waitFor(`probe deliveries after the repair: ${results[best].missing.slice(0, MISSING_SHOWN).map((m) => `${m} (${sp.probes[best].meshId})`).join(', ')}`);
        }
        appendAll(merged, complete.delivered);
      }
      return passed(waitedMs, [...noticed, ...working, ...relearned, ...merged]);
    },
  };
}

/**
 * @internal Whether `pruner`'s prune of `about` falls due only after the repair at `healAtMs`,
 * through another event: a digest `about` sent before the cut was held up on a link another
 * event cut and let go by `nowMs` (held-digest.ts, with the whole of `about`'s side as what
 * the cut "killed": nothing of it crosses after the cut), late enough that the staleness TTL
 * and a pruner period after the last moment it could still arrive end after the repair. The
 * pruner counts the TTL from its local receipt of that copy (SPEC §2.3): it saw the node
 * "alive" then, through no leak of this cut. nat-shift under `--chaos 20`, seed 5363: a
 * partition_pair cut the two bridges apart 0.1 s before a partition_subset cut
 * registry-e0dbb6dc off; the registry's last digest had reached bridge-f79dbc06 31 ms before
 * the cut, and its push to bridge-968db895 waited on the pair until it healed at 71.1 s. The
 * bridge refreshed the entry then (a refresh is no `mesh.digest.learned`), and its prune fell
 * due at 105.9 s, past the repair at 101.8 s (exported for tests).
 */
export function prunesAfterRepair(
  world: ChaosWorld,
  others: readonly CutWindow[],
  pruner: string,
  about: string,
  aboutSide: readonly string[],
  appliedAtMs: number,
  healAtMs: number,
  nowMs: number,
): boolean {
  const held = heldDigest(world, others, about, pruner, aboutSide, appliedAtMs, nowMs);
  return held !== null && held.untilMs + world.timers.stalenessTtlMs + world.timers.prunerIntervalMs > healAtMs;
}

/** The probes sent inside one side on one topic (re-sent while the side is still repairing). */
interface SideProbe {
  readonly side: readonly string[];
  /** `side` as a set: the outside of a cut at 10,000 nodes is nearly all of them, asked per subscriber. */
  readonly members: ReadonlySet<string>;
  /** The side inside the cut: a few nodes, which may not all know each other (see `deliveredBefore`). */
  readonly inside: boolean;
  readonly probes: ProbeRecord[];
  /**
   * The topic's overlay parts apart when each probe was sent (`ChaosWorld.splitOf`): a side's
   * failure's diagnosis. Null for the round after the repair, whose failure is a timeout (the
   * engine reads the split then).
   */
  readonly splits: (readonly SplitPart[])[] | null;
}

/**
 * Deliveries of `probe` within its side before `untilMs`, and the side's running subscribers
 * still missing it; nodes another fault touched (`touched`) are not expected to get it. Inside
 * the cut, only the nodes the origin's overlay reached when the probe was sent (the nodes' own
 * neighbour spans, `overlayAt`) are expected: a few nodes cut off together need not know each
 * other (HyParView promises one overlay of the mesh, not of any part of it), and Plumtree is
 * judged on the overlay there is. Not `probeDeliveries`: it leaves out every node under a fault,
 * so every node inside this one's cut, and the inside expected nobody.
 */
function deliveredBefore(world: ChaosWorld, sp: SideProbe, probe: ProbeRecord, touched: ReadonlySet<string>, untilMs: number): { delivered: SpanRecord[]; missing: string[] } {
  const spans = world.spans.find({ name: 'mesh.probe.delivered', sinceMs: probe.sentAtMs, attrs: { probeId: probe.probeId } });
  const delivered = spans.filter((s) => s.endMs < untilMs);
  const got = new Set(delivered.map((s) => s.node));
  const reached = sp.inside ? overlayReach(world, probe) : null;
  const missing = world
    .subscribers(probe.meshId)
    .filter((p) => p.nodeId !== probe.origin && sp.members.has(p.nodeId) && !touched.has(p.nodeId) && (reached === null || reached.has(p.nodeId)))
    .filter((p) => world.status(p.nodeId) === 'running' && !got.has(p.name))
    .map((p) => p.name);
  return { delivered, missing };
}

/**
 * Which of `names` held no neighbour on the probe's topic when it was sent, by their own spans,
 * with the time their last neighbour there went down, as a clause for the failure: a side
 * whose nodes knew nobody of it but inside the cut (their seeds and passive peers all there)
 * cannot re-form, and the message says so instead of naming receivers alone (fuzz-298 under
 * `--chaos 24`, seed 18: a cut of four of mesh-a's six registries, 12 s after the boot, left the
 * other two without a neighbour on mesh-a until the repair).
 */
function aloneOnTopic(world: ChaosWorld, probe: ProbeRecord, names: readonly string[]): string {
  const overlay = overlayAt(world, probe.meshId, probe.sentAtMs);
  const alone: string[] = [];
  for (const name of names) {
    const plan = world.nodes.find((p) => p.name === name);
    if (plan === undefined || (overlay.get(plan.nodeId) ?? []).length > 0) continue;
    const down = world.spans.last({ name: 'mesh.gossip.neighbor_down', node: name, untilMs: probe.sentAtMs, attrs: { topic: probe.meshId } });
    const thisLife = down !== undefined && down.seq > incarnationStartSeq(world, name, probe.sentAtMs);
    alone.push(thisLife ? `${name} (since ${down.endMs} ms)` : name);
  }
  return alone.length === 0 ? '' : `; held no neighbour on ${probe.meshId} when the last left: ${alone.join(', ')}`;
}

/**
 * The parts of a snapshot that hold one of `names` (a side probe's origin and the nodes it
 * missed): whether they stood stranded (every peer they knew cut off or down, like a lone node's
 * seeds all inside the cut) or apart though they knew a peer across (seed 6456 of the layout
 * property: an island of two outside the cut).
 */
function partsAround(parts: readonly SplitPart[], names: readonly string[]): SplitPart[] {
  return parts.filter((part) => part.nodes.some((n) => names.includes(n)));
}

/** Nodes (ids) the probe's origin reached on its topic's overlay when it was sent, by the nodes' neighbour spans; kept per probe. */
const reachMemo = new WeakMap<ProbeRecord, ReadonlySet<string>>();
function overlayReach(world: ChaosWorld, probe: ProbeRecord): ReadonlySet<string> {
  let out = reachMemo.get(probe);
  if (out !== undefined) return out;
  const overlay = overlayAt(world, probe.meshId, probe.sentAtMs);
  const seen = new Set([probe.origin]);
  const stack = [probe.origin];
  while (stack.length > 0) for (const peer of overlay.get(stack.pop()!) ?? []) if (!seen.has(peer)) seen.add(peer), stack.push(peer);
  out = seen;
  reachMemo.set(probe, out);
  return out;
}

/**
 * One probe per topic per side (`sides`: inside the cut, then outside), from the side's first
 * running subscriber of that topic no other fault cut off; `diagnosed`: with the overlay's split
 * at each send.
 */
function sendSideProbes(world: ChaosWorld, sides: string[][], topics: readonly string[], touched: ReadonlySet<string>, insideIndex: number, diagnosed: boolean): SideProbe[] {
  const out: SideProbe[] = [];
  for (const [i, side] of sides.entries()) {
    for (const topic of topics) {
      const members = side.filter((id) => world.status(id) === 'running' && meshesOf(world, id).includes(topic));
      if (members.length < 2) continue;
      const probe = world.probe(topic, members.find((id) => !touched.has(id)) ?? members[0]);
      if (probe !== null) out.push({ side, members: new Set(side), inside: i === insideIndex, probes: [probe], splits: diagnosed ? [world.splitOf(topic)] : null });
    }
  }
  return out;
}

/** A side probe that has not reached its whole side yet is re-sent (the side may still be repairing). */
function resendIfDue(world: ChaosWorld, sideProbes: readonly SideProbe[], touched: ReadonlySet<string>, nowMs: number): void {
  for (const sp of sideProbes) {
    if (sp.probes.some((p) => deliveredBefore(world, sp, p, touched, nowMs + 1).missing.length === 0)) continue;
    const last = sp.probes[sp.probes.length - 1];
    if (nowMs - last.sentAtMs < probeRoundMs(world.timers)) continue;
    // From another member if another fault has cut the last origin off since.
    const origin = touched.has(last.origin) || world.status(last.origin) !== 'running'
      ? (sp.side.find((id) => world.status(id) === 'running' && !touched.has(id) && meshesOf(world, id).includes(last.meshId)) ?? last.origin)
      : last.origin;
    const again = world.probe(last.meshId, origin);
    if (again === null) continue;
    sp.probes.push(again);
    sp.splits?.push(world.splitOf(last.meshId));
  }
}

function firstLearnedAcross(world: ChaosWorld, id: string, others: readonly string[], sinceMs: number): SpanRecord | undefined {
  return world.spans.find({ name: 'mesh.digest.learned', node: nameOf(world, id), sinceMs }).find((s) => others.includes(String(s.attrs.nodeId)));
}

/**
 * @internal A `mesh.digest.learned` in [fromMs, toMs] by a node about one on the other side of
 * the cut applied at `cutAtMs` that did not come from its own side, nor from before the cut
 * (exported for tests).
 */
export function leakedDigest(world: ChaosWorld, sides: readonly (readonly string[])[], fromMs: number, toMs: number, cutAtMs: number): SpanRecord | undefined {
  if (toMs < fromMs) return undefined;
  const sideOf = new Map<string, number>();
  sides.forEach((side, i) => side.forEach((id) => sideOf.set(nameOf(world, id), i).set(id, i)));
  const drains = drainsOfWedgedAt(world, cutAtMs);
  return world.spans
    .find({ name: 'mesh.digest.learned', sinceMs: fromMs, untilMs: toMs })
    .find(
      (s) =>
        sideOf.get(s.node) !== undefined &&
        sideOf.get(String(s.attrs.nodeId)) !== undefined &&
        sideOf.get(s.node) !== sideOf.get(String(s.attrs.nodeId)) &&
        drains.get(s.node) !== s.endMs &&
        !passedOnFromDrain(world, drains, sides[sideOf.get(s.node)!], s, cutAtMs) &&
        !relearnedOnItsSide(world, sides[sideOf.get(s.node)!], s, cutAtMs) &&
        !heldUpOnItsSide(world, drains, sides[sideOf.get(s.node)!], s, cutAtMs),
    );
}

/**
 * Whether `learned` can be a copy that reached the learner's side before the cut (or within the
 * in-flight allowance after it), held up on a link of that side by another event: a node of the
 * side held the digest by then and still held it, another event's link fault (a flap, loss,
 * delay or pair cut) on its overlay link to a node of the side was in place by then and had
 * not ended (with its rejoin allowance) when the learner learned it, and the learner is that
 * node or down the side's overlay from it. Plumtree pushed the copy on at once; the link fault
 * held it until a retransmission got through, and from there it went on as a new message to
 * whoever lacked it. firewall-inbound under `--chaos 20`, seed 2440: compute-de701643 learned a
 * registry's digest 5 ms after a cut took the registry, in flight when it came; its push to
 * bridge-f34281f9 ran into a flap_link on their link, and the bridge learned the digest 3.0 s
 * later. Seed 3041: bridge-08ccce81 had a broker's digest 0.7 s before the cut; its push to
 * compute-de1d91d6 waited on a partition_pair until 62.9 s, and went on from there to two nodes
 * of the side that had pruned the digest, 61 and 64 ms later. The holder may also have got its
 * copy after the cut from what an unwedge let go (`passedOnFromDrain`), the fault on the link
 * by then: a random layout at 50 ms a hop, seed 10004, where gateway-338dec85 had a copy 50 ms
 * after a compute's unwedge and its push to gateway-d9d16650 waited on a partition_pair until
 * 94.4 s.
 */
function heldUpOnItsSide(world: ChaosWorld, drains: ReadonlyMap<string, number>, side: readonly string[], learned: SpanRecord, cutAtMs: number): boolean {
  const q = world.spans;
  const topic = String(learned.attrs.topic);
  const about = String(learned.attrs.nodeId);
  const idOf = new Map(side.map((id) => [nameOf(world, id), id]));
  const learner = idOf.get(learned.node);
  const links = cutWindows(q).filter((w) => w.cut === 'link' && w.untilMs >= learned.endMs && [...w.targets].every((t) => idOf.has(t)));
  if (links.length === 0 || learner === undefined) return false;
  const overlay = overlayAt(world, topic, learned.endMs);
  const onSide = new Set(side);
  const inFlightEndMs = cutAtMs + inFlightMs(world.timers);
  /**
   * When `hName` got the copy it still held, if it came from before the cut: by the end of the
   * in-flight allowance, or later from what an unwedge let go (`passedOnFromDrain`); else null.
   */
  const heldSinceMs = (hName: string): number | null => {
    const got = q.last({ name: 'mesh.digest.learned', node: hName, untilMs: learned.endMs, attrs: { nodeId: about } });
    if (got === undefined || !holdsDigest(world, hName, about, learned.endMs)) return null;
    if (got.endMs <= inFlightEndMs || drains.get(hName) === got.endMs || passedOnFromDrain(world, drains, side, got, cutAtMs)) return got.endMs;
    return null;
  };
  return links.some((l) => {
    const [a, b] = [...l.targets];
    return [[a, b], [b, a]].some(([hName, xName]) => {
      if (hName === learned.node) return false;
      // The fault was on the link by the time the holder pushed its copy on.
      const sinceMs = heldSinceMs(hName);
      if (sinceMs === null || l.fromMs > Math.max(inFlightEndMs, sinceMs)) return false;
      const h = idOf.get(hName)!;
      const x = idOf.get(xName)!;
      if (!(overlay.get(h) ?? []).includes(x) && !(overlay.get(x) ?? []).includes(h)) return false;
      return x === learner || pathExists(overlay, x, learner, (_y, z) => !onSide.has(z));
    });
  });
}

/**
 * Whether `learned` (a node's mesh.digest.learned) can have come from a neighbour on its own
 * side, right after an unwedge, that held it from before the cut: the neighbour, or the learner,
 * was wedged at the cut by another event and unwedged at most the in-flight allowance and a
 * Plumtree pass-on (timing.ts) before: what an unwedge lets go travels its side hop by hop, as a
 * copy in flight at the cut does (a random layout at 50 ms a hop and 10 % loss, seed 10004: a
 * compute wedged across the cut handled at its unwedge a digest sent to it before the cut, and
 * the fourth node down its side learned it 262 ms later, past the 250 ms pass-on alone); the
 * neighbour held the digest by the end of the in-flight allowance after the cut by its own spans
 * (a copy in flight at the cut is one from before it: firewall-inbound under `--chaos 20`, seed
 * 7413, where a broker's digest sent 8 ms before the cut reached a bridge's neighbours 21 and
 * 32 ms after it, and the bridge, wedged across the cut, grafted it from them 0.1 s after its
 * unwedge), and was in the learner's active view on the topic then.
 * mesh-grow-shrink under `--chaos 20`, seed 202: a compute starting at 20 s joined through a
 * gateway wedged from 18.3 to 26.0 s; at its unwedge the gateway took the compute up and passed
 * on a digest of the cut's other side it had held since before the cut; the compute learned it
 * 37 ms later. Or the learner was the one wedged at the cut: at its unwedge it handles the
 * IHaves its neighbours sent meanwhile and grafts what it missed (partition-subset under
 * `--chaos 20`, seed 1552: a registry wedged from 74.8 to 80.7 s, across a cut applied at
 * 78.9 s, learned 0.1 s after its unwedge a broker's digest that its two bridge neighbours had
 * held since 76.6 s).
 * Or the learner is down its side's overlay from a neighbour so unwedged: Plumtree pushes a
 * message on from every node that gets it first, and a node that already held the digest
 * learns nothing, so only the learner's span shows (burst-kill-5 under `--chaos 20`, seed 1947:
 * compute-3e69d11f, wedged from 66.4 to 71.8 s across a cut applied at 68.5 s, handled at its
 * unwedge a cut-off gateway's digest sent before the cut; compute-5a8a34e7, which held that
 * digest already, pushed it on to a bridge revived at 66.8 s, which learned it 27 ms after the
 * unwedge).
 */
function passedOnFromDrain(world: ChaosWorld, drains: ReadonlyMap<string, number>, side: readonly string[], learned: SpanRecord, cutAtMs: number): boolean {
  const q = world.spans;
  const topic = String(learned.attrs.topic);
  const digestOf = String(learned.attrs.nodeId);
  const releaseMs = inFlightMs(world.timers) + plumtreePassOnMs(world.timers);
  const justUnwedged = (name: string): boolean => {
    const unwedgedAtMs = drains.get(name);
    return unwedgedAtMs !== undefined && learned.endMs >= unwedgedAtMs && learned.endMs - unwedgedAtMs <= releaseMs;
  };
  // Held from before the cut: by the end of the in-flight allowance, as the leak check reads it;
  // or, for a node wedged across the cut, learned in its unwedge's instant (what reached it
  // while wedged, which the leak check does not count either) and held since. The default
  // layout under `--chaos 20`, seed 1759: bridge-4c05eb6b, wedged from 47.6 to 52.9 s across a
  // cut applied at 48.8 s, learned at its unwedge a cut-off gateway's digest the observer had
  // sent it; gateway-936583f3, its neighbour on the observer's side, grafted it 123 ms later.
  const heldFromBefore = (name: string): boolean => {
    if (holdsDigest(world, name, digestOf, cutAtMs + inFlightMs(world.timers))) return true;
    const unwedgedAtMs = drains.get(name);
    if (unwedgedAtMs === undefined) return false;
    const got = q.last({ name: 'mesh.digest.learned', node: name, untilMs: learned.endMs, attrs: { nodeId: digestOf } });
    return got !== undefined && got.endMs === unwedgedAtMs && holdsDigest(world, name, digestOf, learned.endMs);
  };
  const learnerUnwedged = justUnwedged(learned.node);
  const fromNeighbour = side.some((w) => {
    const wName = nameOf(world, w);
    if (!learnerUnwedged && !justUnwedged(wName)) return false;
    if (!heldFromBefore(wName)) return false;
    const up = q.last({ name: 'mesh.gossip.neighbor_up', node: learned.node, untilMs: learned.endMs, attrs: { topic, peerId: w } });
    const down = q.last({ name: 'mesh.gossip.neighbor_down', node: learned.node, untilMs: learned.endMs, attrs: { topic, peerId: w } });
    return up !== undefined && (down === undefined || down.seq < up.seq);
  });
  if (fromNeighbour) return true;
  const holders = side.filter((d) => justUnwedged(nameOf(world, d)) && heldFromBefore(nameOf(world, d)));
  const learner = side.find((id) => nameOf(world, id) === learned.node);
  if (holders.length === 0 || learner === undefined) return false;
  const onSide = new Set(side);
  const overlay = overlayAt(world, topic, learned.endMs);
  return holders.some((d) => pathExists(overlay, d, learner, (_x, y) => !onSide.has(y)));
}

/**
 * The nodes another event had wedged when the cut was applied, each with its unwedge time: a
 * wedged process takes in nothing, and handles what reached it meanwhile — from before the cut
 * too — in the instant it runs again (wedge-node-2s under `--chaos 20`, seed 15: a gateway
 * wedged 4.5 s before the cut learned, at its unwedge 1.6 s after it, a digest the cut's other
 * side had sent before it). What it learns in that instant is not a leak; what it learns later is.
 */
function drainsOfWedgedAt(world: ChaosWorld, cutAtMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of cutWindows(world.spans)) {
    if (w.name !== 'wedge_node' || w.fromMs > cutAtMs || w.revertedAtMs <= cutAtMs || w.revertedAtMs === Infinity) continue;
    for (const name of w.targets) out.set(name, w.revertedAtMs);
  }
  return out;
}

/**
 * Whether `learned` is a node that (re)started during the partition (another event revived it
 * after the cut applied at `cutAtMs`) taking up a digest its own side still held then: its
 * fresh process learns what its peers hold until they prune it (the staleness TTL), which did
 * not cross the cut. A node that ran through the partition, or a digest nobody on its side
 * held, still counts as a leak. Revived within the in-flight allowance after the cut, it counts
 * as revived during it (partition-subset under `--chaos 20`, seed 2222: compute-4e602089,
 * revived 0.9 s after the cut, learned 116 ms later a cut-off gateway's digest its side held).
 */
function relearnedOnItsSide(world: ChaosWorld, side: readonly string[], learned: SpanRecord, cutAtMs: number): boolean {
  const ready = world.spans.last({ name: 'mesh.node.ready', node: learned.node, untilMs: learned.endMs });
  if (ready === undefined || ready.endMs < cutAtMs) return false;
  const about = String(learned.attrs.nodeId);
  return side.some((id) => nameOf(world, id) !== learned.node && holdsDigest(world, nameOf(world, id), about, learned.endMs));
}

function forEachCrossing(world: ChaosWorld, fault: Fault, fn: (a: string, b: string) => void): void {
  const inside = new Set(fault.targets);
  for (const a of fault.targets) for (const p of world.nodes) if (!inside.has(p.nodeId)) fn(a, p.nodeId);
}

/** A node of mesh `meshId` itself (its own mesh id; bridges and the observer excluded). */
function isOwnNode(world: ChaosWorld, id: string, meshId: string): boolean {
  const p = world.node(id);
  return p.meshId === meshId && p.role !== BRIDGE_ROLE;
}

function durationOf(fault: Fault): number {
  return paramOf(partitionSubsetSpec, fault, 'durationMs');
}
