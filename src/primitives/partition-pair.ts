/**
 * PartitionPair: two connected nodes cannot reach each other (both link directions blocked)
 * for `durationMs`, then the link is repaired.
 *
 * Evidence (spans after apply):
 *  1. during the partition, a probe from each end on a topic they share is delivered at the
 *     other end (mesh.probe.delivered) by a third node and before the repair — traffic found
 *     another path (Plumtree eager push or IHave/Graft repair around the dead link); asked on
 *     the first shared topic with a third subscriber whose overlay (the nodes' neighbour spans)
 *     offered a detour at the apply, else the first with a third subscriber (none: not asked,
 *     the layout has no path);
 *  2. after the repair, a probe round on every topic of the pair reaches every healthy
 *     subscriber, the pair included (no lasting loss); only nodes another chaos event touched,
 *     or had cut off from the round's origin when it was sent (reach.ts), are excused.
 * A partition-time probe that reached the other end only across the healed link (from the other
 * end, or after the repair) contradicts (1): failed_assertion — unless, when it was sent,
 * concurrent faults (another partition, a killed node…) had cut every other path the overlay
 * offered (src/primitives/reach.ts: with this partition alone the nodes' own neighbour spans
 * show a path, with the other faults' cuts added none). Then (1) cannot be judged for that
 * probe and only (2) decides; so too when another event had cut off an end whole at that
 * moment (a kill's victim still rejoining, a wedged or firewalled node: its few neighbours are
 * that event's doing). With no other path even without other faults, it still fails.
 * Deadline: durationMs + probe round 5 s + slack 5 s. (Default durations 10–20 s stay below the
 * idle timeout 30 s, so the pair's own connection survives; longer overrides are allowed.)
 * A timeout names what the last poll waited for: the partition (before the repair), or the
 * first receivers the closing round still misses (or that it could send no probe).
 * Revert (after durationMs): repair both directions — idempotent.
 * Must not judge from the network's own state: only node spans decide.
 */
import { failedAssertion, meshesOf, nameOf, passed, ProbeRound } from './evidence.js';
import { deadlineOf, drawParam, ExtensibleDeadline, FAULT_LENGTH_MS_MAX, formulaOf, msOf, paramOf, paramTerm, timer, type DeadlineWait, type PrimitiveSpec } from './schema.js';
import { afterOwnDamage, otherCutWindows, othersCutEveryPath, overlayAt, pathExists, PROBE_FLIGHT_MS, probeFlightMs, REJOIN_ALLOWANCE_MS, strippedByOthers, type CutWindow } from './reach.js';
import { candidates } from './targets.js';
import type { ProbeRecord } from '../scenario/checker.js';
import type { SimRng } from '../sim/rng.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import type { ChaosWorld, Detection, Fault, Primitive } from './types.js';
import { probeRoundMs } from './timing.js';

export const PARTITION_PAIR_DURATION_MS_MIN = 10_000;
export const PARTITION_PAIR_DURATION_MS_MAX = 20_000;

export const partitionPairSpec: PrimitiveSpec = {
  name: 'partition_pair',
  params: [
    {
      name: 'durationMs',
      unit: 'ms',
      min: 1,
      max: FAULT_LENGTH_MS_MAX,
      default: PARTITION_PAIR_DURATION_MS_MIN,
      draw: { kind: 'range', min: PARTITION_PAIR_DURATION_MS_MIN, max: PARTITION_PAIR_DURATION_MS_MAX },
      explore: { min: 10_000, max: 20_000, step: 500 },
      doc: 'how long the two nodes cannot reach each other',
    },
  ],
  targets: { min: 2, max: 2, shape: 'link', kills: false },
  faultLengthMs: (p) => p.durationMs,
  deadline: (p, t) => [paramTerm('durationMs', p.durationMs), timer('probe round', probeRoundMs(t)), timer('slack', t.slackMs)],
};

export const partitionPair: Primitive = {
  name: 'partition_pair',
  spec: partitionPairSpec,
  choose: (world, rng, overrides) => {
    const pair = pickNeighborPair(world, rng);
    if (pair === null) return null;
    const durationMs = drawParam(partitionPairSpec.params[0], overrides, (lo, hi) => rng.rangeInclusive(lo, hi));
    return { targets: pair, params: { durationMs } };
  },
  apply: (world, fault) => {
    const [a, b] = fault.targets;
    world.links.partition(a, b);
  },
  revert: (world, fault) => {
    const [a, b] = fault.targets;
    world.links.repair(a, b);
  },
  revertPolicy: (fault) => ({ afterMs: durationOf(fault) }),
  detector: (world, fault, appliedAtMs) => {
    const [a, b] = fault.targets;
    const healAtMs = appliedAtMs + durationOf(fault);
    const isOwnLink = (x: string, y: string) => (x === a && y === b) || (x === b && y === a);
    // A topic of the pair alone has no third node to carry a probe around the cut: the layout
    // offers no other path there (random layouts under chaos: a broker and a bridge the only
    // members of their mesh; two bridges with no observer on the bridge topic). (1) is asked on
    // the first shared topic that has one and whose overlay, by the nodes' neighbour spans at
    // the apply, offered a detour; with none offering one, on the first that has a third node
    // (and fails there unless other events explain it); with none at all, only (2) decides.
    // Three nodes that joined a topic at once can form a line, closed only at a shuffle or a
    // failure: random layout (three bridges, no observer, protocol profile) seed 41909 under
    // --chaos 14 cut the line's two bridges apart at 18.3 s on the bridge topic, while mesh-a
    // and mesh-b, which they share with dozens of nodes, offered detours.
    const shared = sharedMeshes(world, a, b).filter((m) => world.subscribers(m).some((p) => p.nodeId !== a && p.nodeId !== b));
    const detoured = shared.find((m) => pathExists(overlayAt(world, m, appliedAtMs), a, b, isOwnLink));
    const topic = detoured ?? shared[0];
    // A failure on a topic that offered no detour is the protocol's (the line of three); said so.
    const noDetour = detoured === undefined && topic !== undefined ? `; ${topic}'s overlay offered no detour at the apply (by the nodes' neighbour spans, their own link was the only path between them)` : '';
    const meshes = [...new Set([...meshesOf(world, a), ...meshesOf(world, b)])].sort();
    const crossing: { from: string; to: string; probe: ProbeRecord | null }[] = [
      { from: a, to: b, probe: null },
      { from: b, to: a, probe: null },
    ];
    let round: ProbeRound | null = null;
    let judged = false;
    // The spec's deadline, extended at most once past it for an end the cut left alone (`endLeftAlone`).
    const extensible = new ExtensibleDeadline(appliedAtMs, deadlineOf(partitionPairSpec, { durationMs: durationOf(fault) }, world.timers).ms, deadlineOf(partitionPairSpec, { durationMs: 0 }, world.timers).formula);
    const evidence: SpanRecord[] = [];
    // What the last poll waited for, in words (the timeout's message).
    let missing = `the partition (heals at ${healAtMs} ms)`;
    const waitFor = (what: string): null => {
      missing = what;
      return null;
    };
    return {
      evidence: 'during the partition a probe from each end reaches the other through a third node (mesh.probe.delivered); after repair a probe round reaches every subscriber',
      get deadlineFormula() {
        return extensible.formula;
      },
      get deadlineMs() {
        return extensible.ms;
      },
      missing: () => missing,
      poll: (nowMs): Detection | null => {
        const waitedMs = nowMs - appliedAtMs;
        if (nowMs < healAtMs) {
          // Send each crossing probe once, while the link is down.
          for (const c of crossing) if (c.probe === null && topic !== undefined && isRunning(world, c.from)) c.probe = world.probe(topic, c.from);
          return null;
        }
        if (!judged) {
          judged = true;
          for (const c of crossing) {
            if (c.probe === null || !isRunning(world, c.to)) continue; // an end went down under another fault
            const got = deliveredAt(world, c.probe, c.to);
            if (got === undefined || got.endMs >= healAtMs || got.attrs.from === c.from) {
              const others = heldUpFrom(otherCutWindows(world, fault, appliedAtMs), c.probe.sentAtMs, probeFlightMs(world.timers));
              if (othersCutEveryPath(world, others, [c.probe.meshId], c.from, c.to, c.probe.sentAtMs, isOwnLink)) continue;
              // An end the other events had stripped of every link but the pair's own had no
              // detour to offer (nat-shift under --chaos 20, seed 461: a compute whose old paths
              // idled out 29 s after another event shifted it, 5.3 s before the cut, held only the
              // other end; the seed check brings such a node back, at most 10 s later).
              // Asked at the send and at the end of the probe's flight: an end whose one live link
              // its peer let go while the probe was on its way (a Disconnect, the peer taking a
              // newcomer up), every other link other events' damage, had no detour left either
              // (lossy-link-25pct under --chaos 20, seed 10093: a registry whose other links were
              // to a NAT-shifted compute and a restarted one, both still in its view, lost its
              // last live one 41 ms after the send; the probe reached that gateway 97 ms later).
              const { meshId, sentAtMs } = c.probe;
              const stripped = (atMs: number): boolean => strippedByOthers(world, others, meshId, c.from, atMs, isOwnLink, c.to) || strippedByOthers(world, others, meshId, c.to, atMs, isOwnLink, c.from);
              if (stripped(sentAtMs) || stripped(sentAtMs + probeFlightMs(world.timers))) continue;
              if (stillJoining(world, c.probe, c.from, c.to, isOwnLink) || detourGaveUp(world, c.probe, c.from, c.to, isOwnLink)) continue;
              return failedAssertion(waitedMs, `probe ${nameOf(world, c.from)}→${nameOf(world, c.to)} sent during the partition found no other path (${got === undefined ? 'not delivered' : `delivered from ${nameOf(world, String(got.attrs.from))} at ${got.endMs} ms`})${noDetour}`, got === undefined ? [] : [got]);
            }
            evidence.push(got);
          }
        }
        // The pair counts as faulted until this verdict (`world.isFaulted`), so a plain round
        // would expect everyone but the two nodes the partition hit: they are owed it too,
        // unless another event touched them.
        round ??= new ProbeRound(world, meshes, [], afterOwnDamage(world, fault, appliedAtMs));
        const r = round.poll(nowMs);
        // Past the deadline, an end the round still misses that the cut left with no neighbour
        // is given its next seed check (`endLeftAlone`).
        if (!r.done && extensible.open(nowMs)) {
          for (const end of [a, b]) if (r.missing.some((m) => m.startsWith(`${nameOf(world, end)} (`))) extensible.extend(endLeftAlone(world, end, end === a ? b : a, appliedAtMs, healAtMs));
        }
        // A round with nobody named but not done sent no probe: no healthy subscriber to send from.
        if (!r.done) return waitFor(r.missing.length === 0 ? `the round after the repair (no probe could be sent on ${meshes.join(', ')})` : `probe deliveries: ${r.missing.join(', ')}`);
        return passed(waitedMs, [...evidence, ...r.evidence]);
      },
    };
  },
};

/**
 * The wait for an end of the pair (`end`, its peer `other`) that had no neighbour left on a
 * topic it shares with `other` at the repair (`healAtMs`), having lost its link to `other` there
 * during the cut (`appliedAtMs` on): the link idled out under the cut, and its other links went
 * too (other events', or idle timeouts). Alone, it waits for its seed check to rejoin, up to a
 * seed check interval after it lost its last link or after the repair, whichever is later;
 * then a dial, a probe round and slack. Null when no topic left it so. A random layout, layout
 * property seed 6502 (protocol profile, 5 % loss, seed 96053, --chaos 7): a broker's link to
 * the pair's other end idled out 0.7 s before the repair, its other link had died with a NAT
 * shift 7 s before the cut, and it rejoined at its seed check 9.8 s after; the round's re-send
 * reached it 10 ms past the deadline.
 */
export function endLeftAlone(world: ChaosWorld, end: string, other: string, appliedAtMs: number, healAtMs: number): DeadlineWait | null {
  const t = world.timers;
  const name = nameOf(world, end);
  let emptiedAtMs: number | null = null;
  for (const topic of sharedMeshes(world, end, other)) {
    if ((overlayAt(world, topic, healAtMs).get(end) ?? []).length > 0) continue;
    const downs = world.spans.find({ name: 'mesh.gossip.neighbor_down', node: name, sinceMs: appliedAtMs, untilMs: healAtMs, attrs: { topic } });
    if (!downs.some((s) => s.attrs.peerId === other)) continue;
    const last = downs[downs.length - 1].endMs;
    emptiedAtMs = Math.max(emptiedAtMs ?? 0, last);
  }
  if (emptiedAtMs === null) return null;
  const terms = [timer('seed check', t.seedCheckIntervalMs), timer('dial timeout', t.dialTimeoutMs), timer('probe resend', probeRoundMs(t)), timer('slack', t.slackMs)];
  const fromMs = Math.max(emptiedAtMs, healAtMs);
  return { untilMs: fromMs + msOf(terms), formula: `then, for ${name}, left with no neighbour by the cut (last link lost @ ${emptiedAtMs} ms): ${fromMs === healAtMs ? 'repair' : 'its last loss'} + ${formulaOf(terms)}` };
}

/** How long after a probe is sent a node on a detour must stay up for the probe to pass it, with the default timers: its flight (reach.ts). */
export const DETOUR_HOLD_MS = PROBE_FLIGHT_MS;

/**
 * `windows` with every cut that another event began within `holdMs` (the probe's flight) after `sentAtMs`
 * taken as in place from `sentAtMs`: a node that took the probe and went down before it could
 * pass it on (mesh-five-types-present-chaos under `--chaos 20`, seed 13: the bridge's one other
 * neighbour got the probe 39 ms after it was sent and was restarted 63 ms later, before the
 * bridge's graft reached it) was no detour, nor one a subset or link cut took from the receiver
 * then (partition-pair under `--chaos 20`, seed 3897: a `partition_subset` 118 ms after the send
 * took the two relays that held the probe, one of them while the receiver's graft was on its
 * way to it). @internal (exported for tests)
 */
export function heldUpFrom(windows: readonly CutWindow[], sentAtMs: number, holdMs: number): CutWindow[] {
  return windows.map((w) => (w.fromMs > sentAtMs && w.fromMs <= sentAtMs + holdMs ? { ...w, fromMs: sentAtMs } : w));
}

/**
 * Whether the overlay offered no detour for `probe` (from `from` to `to`) even without other
 * events, because an end was still joining: it had started within the rejoin allowance before
 * the send (REJOIN_ALLOWANCE_MS, as for a node another event revived), and a join fills a view
 * through the contact's random walks, which take a moment and die at peers that are down
 * without a word. Its few links then are its join's, not a mesh that failed to route around
 * the cut; the round after the repair still owes it the probe. mesh-grow-shrink under `--chaos
 * 20`, seed 3443: a registry the layout grew at 28.0 s joined through a compute; 9 ms later a
 * burst kill took three nodes its walks could pass, and at the cut, 28.54 s, the compute was
 * its one neighbour; its next Join, at 29.0 s, found another.
 */
function stillJoining(world: ChaosWorld, probe: ProbeRecord, from: string, to: string, isOwnLink: (x: string, y: string) => boolean): boolean {
  const started = (id: string) => world.spans.last({ name: 'mesh.node.ready', node: nameOf(world, id), untilMs: probe.sentAtMs });
  const joining = [from, to].some((id) => {
    const ready = started(id);
    return ready !== undefined && probe.sentAtMs - ready.endMs < REJOIN_ALLOWANCE_MS;
  });
  return joining && !pathExists(overlayAt(world, probe.meshId, probe.sentAtMs), from, to, isOwnLink);
}

/**
 * Whether every detour of `probe` (from `from` to `to`, the pair's own link aside) on the
 * overlay at its send ran through nodes that gave its message up within its flight
 * (mesh.plumtree.gave_up, `advertisers-down`: every neighbour that had announced it to them left
 * their view before their graft went out). Plumtree sends a broadcast once and does not replay
 * it to a neighbour taken up later, so such a node never gets it. mesh-grow-shrink under
 * `--chaos 20`, seed 4612: a compute's one link besides the pair's was to the observer, which held
 * it lazily; 74 ms after the compute's probe left, the observer evicted the compute to take up a
 * node the layout had just grown, and gave the probe's message up.
 */
function detourGaveUp(world: ChaosWorld, probe: ProbeRecord, from: string, to: string, isOwnLink: (x: string, y: string) => boolean): boolean {
  const sent = world.spans.first({ name: 'mesh.probe.sent', node: nameOf(world, probe.origin), sinceMs: probe.sentAtMs, untilMs: probe.sentAtMs, attrs: { probeId: probe.probeId } });
  if (sent === undefined) return false;
  const gaveUp = new Set(
    world.spans
      .find({ name: 'mesh.plumtree.gave_up', sinceMs: probe.sentAtMs, untilMs: probe.sentAtMs + probeFlightMs(world.timers), attrs: { topic: probe.meshId, messageId: sent.attrs.messageId, reason: 'advertisers-down' } })
      .map((s) => world.nodes.find((p) => p.name === s.node)!.nodeId),
  );
  if (gaveUp.size === 0) return false;
  return !pathExists(overlayAt(world, probe.meshId, probe.sentAtMs), from, to, (x, y) => isOwnLink(x, y) || gaveUp.has(y));
}

function durationOf(fault: Fault): number {
  return paramOf(partitionPairSpec, fault, 'durationMs');
}

/** Up and processing (the pair itself counts as faulted while partitioned, so no healthyNodes here). */
export function isRunning(world: ChaosWorld, nodeId: string): boolean {
  return world.status(nodeId) === 'running';
}

/** The delivery span of `probe` at node `at`, if any. */
export function deliveredAt(world: ChaosWorld, probe: ProbeRecord, at: string): SpanRecord | undefined {
  return world.spans.first({ name: 'mesh.probe.delivered', node: nameOf(world, at), sinceMs: probe.sentAtMs, attrs: { probeId: probe.probeId } });
}

/** Topics both nodes subscribe to, sorted. */
export function sharedMeshes(world: ChaosWorld, a: string, b: string): string[] {
  const mb = meshesOf(world, b);
  return meshesOf(world, a).filter((m) => mb.includes(m)).sort();
}

/**
 * Two candidate nodes that are overlay neighbours right now (b in a's active view on a shared
 * topic) — a link the mesh actually uses. Null when no such pair exists.
 */
export function pickNeighborPair(world: ChaosWorld, rng: SimRng): [string, string] | null {
  const pool = candidates(world);
  for (const a of rng.shuffle([...pool])) {
    const peers = [...new Set(meshesOf(world, a).flatMap((m) => world.activeView(a, m)))].filter((b) => pool.includes(b)).sort();
    if (peers.length === 0) continue;
    const b = rng.pick(peers);
    return world.node(a).index < world.node(b).index ? [a, b] : [b, a];
  }
  return null;
}
