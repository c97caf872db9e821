/**
 * KillNode: a node dies silently (no goodbye; its connections go quiet).
 *
 * Evidence (all from the survivors' spans, after apply):
 *  1. every node whose spans show a connection to the victim at apply time emits
 *     mesh.peer.disconnected{peerId: victim} (its connection idled out);
 *  2. every node whose spans show the victim in its active view emits
 *     mesh.gossip.neighbor_down{peerId: victim} on that topic (the view drops it and refills);
 *  3. every running co-subscriber that had learned the victim's digest emits
 *     mesh.staleness.pruned naming the victim;
 *  4. then a probe round on each of the victim's topics is delivered to every healthy
 *     subscriber (mesh.probe.delivered) — the overlay repaired around the hole.
 * Deadline: idle timeout 30 s (connections) ‖ digest interval 2 s + staleness TTL 30 s +
 * pruner interval 5 s (pruning) — the longer branch, 37 s — + probe round 5 s + slack 5 s = 47 s.
 * Past it, when all that is missing is prunes by nodes another event held the victim's last
 * digests from (held-digest.ts), their prunes count from when those digests could still arrive
 * (the cut's revert + RTO max) + TTL + pruner + probe round + slack; nothing else waits longer.
 * So do such prunes that were still missing once the probe round no longer fitted before the
 * deadline, and then came in before it: the round gets the time they would have given it. And a
 * closing round still missing survivors each of which lost every dial since apply to other
 * events' cuts or to the victims waits until those cuts end (`extendForCutReceivers`).
 * Revert (after detection): respawn the victim with the same identity.
 */
import { emitted, emittersOf, failedAssertion, holdsDigest, isHealthy, meshesOf, MISSING_SHOWN, nameOf, neighborsOf, passed, peersConnectedTo, prunedBy, ProbeRound, type ProbeCutOff } from './evidence.js';
import { heldDigest } from './held-digest.js';
import { cutDialsWait, otherCutWindows, othersCutOff } from './reach.js';
import { deadlineOf, ExtensibleDeadline, formulaOf, maxOf, msOf, timer, type DeadlineTerm, type PrimitiveSpec } from './schema.js';
import { pickKillable } from './targets.js';
import { probeRoundMs, type Timers } from './timing.js';
import type { ChaosWorld, Detector, Fault, Primitive } from './types.js';
import type { SpanRecord } from '../sim/telemetry/index.js';

/** The death deadline KillNode and BurstKill share: connections idle out ‖ digests are pruned, then a probe round. */
export function killDeadlineTerms(t: Timers): readonly DeadlineTerm[] {
  return [
    maxOf([timer('idle', t.idleTimeoutMs)], [timer('digest', t.digestIntervalMs), timer('TTL', t.stalenessTtlMs), timer('pruner', t.prunerIntervalMs)]),
    timer('probe round', probeRoundMs(t)),
    timer('slack', t.slackMs),
  ];
}

export const killNodeSpec: PrimitiveSpec = {
  name: 'kill_node',
  params: [],
  targets: { min: 1, max: 1, shape: 'node', kills: true },
  faultLengthMs: () => 0,
  deadline: (_p, t) => killDeadlineTerms(t),
};

/** The kill deadline with the default timers. */
export const KILL_DEADLINE_MS = deadlineOf(killNodeSpec, {}).ms;

/**
 * A held digest's prune, after the held digest could last arrive: TTL + pruner, then the probe
 * round and slack (the kill deadline's own terms after its pruning branch).
 */
function heldPruneAfter(t: Timers): readonly DeadlineTerm[] {
  return [timer('TTL', t.stalenessTtlMs), timer('pruner', t.prunerIntervalMs), timer('probe round', probeRoundMs(t)), timer('slack', t.slackMs)];
}

export const killNode: Primitive = {
  name: 'kill_node',
  spec: killNodeSpec,
  choose: (world, rng) => {
    const targets = pickKillable(world, rng, 1);
    return targets === null ? null : { targets, params: {} };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.process.kill(id);
  },
  revert: (world, fault) => {
    for (const id of fault.targets) if (world.status(id) === 'stopped') world.process.start(id);
  },
  revertPolicy: () => 'after-detection',
  detector: (world, fault, appliedAtMs) => deathDetector(world, fault, appliedAtMs, killNodeSpec),
};

/**
 * The detector shared by KillNode and BurstKill: survivors notice every victim and repair, by
 * `spec`'s deadline with the run's timers. The probe round covers `probeMeshIds` (default: the
 * victims' topics).
 */
export function deathDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number, spec: PrimitiveSpec, probeMeshIds?: readonly string[]): Detector {
  const { ms: deadlineMs, formula: deadlineFormula } = deadlineOf(spec, {}, world.timers);
  const heldPruneTerms = heldPruneAfter(world.timers);
  const victims = fault.targets;
  // Who must notice, fixed at apply time from the spans emitted before it.
  const mustDisconnect = new Map(victims.map((v) => [v, peersConnectedTo(world, v, appliedAtMs).filter((p) => !victims.includes(p))]));
  const mustDropNeighbor = new Map(victims.map((v) => [v, neighborsOf(world, v, appliedAtMs).filter((n) => !victims.includes(n.nodeId))]));
  const mustPrune = new Map(
    victims.map((v) => {
      const learned = emittersOf(world, 'mesh.digest.learned', appliedAtMs, { nodeId: v });
      return [v, world.nodes.filter((p) => !victims.includes(p.nodeId) && learned.has(p.name) && holdsDigest(world, p.name, v, appliedAtMs)).map((p) => p.nodeId)];
    }),
  );
  const meshes = probeMeshIds ?? [...new Set(victims.flatMap((v) => meshesOf(world, v)))].sort();
  let round: ProbeRound | null = null;
  let missing = 'nothing yet';
  const waitFor = (what: string): null => {
    missing = what;
    return null;
  };
  // Moved at most once, at the spec's deadline (`extendForHeldDigests`, `extendForCutReceivers`).
  const extensible = new ExtensibleDeadline(appliedAtMs, deadlineMs, deadlineFormula);
  // The prunes still missing at the last poll that found any once the closing probe round no
  // longer fitted before the deadline: if they were held, the round gets its time after them.
  let lateUnpruned: (readonly [string, string])[] = [];
  /**
   * At the deadline, with nothing missing but `unpruned` (victim, survivor) prunes, all by nodes
   * other events held the victims' last digests from (held-digest.ts): wait for those prunes
   * until they are due, counted from when the held digests could still arrive. Any other
   * missing prune: no extension.
   */
  const extendForHeldDigests = (nowMs: number, unpruned: readonly (readonly [string, string])[]): void => {
    if (!extensible.open(nowMs)) return;
    const others = otherCutWindows(world, fault, appliedAtMs);
    let untilMs = 0;
    const why: string[] = [];
    for (const [v, p] of unpruned) {
      const held = heldDigest(world, others, v, p, victims, appliedAtMs, nowMs);
      if (held === null) return;
      untilMs = Math.max(untilMs, held.untilMs + msOf(heldPruneTerms));
      why.push(`${nameOf(world, p)} (${held.by} reverted @ ${held.revertedAtMs} ms)`);
    }
    extensible.extend({ untilMs, formula: `then, for prunes of digests other events held (${why.join(', ')}): revert + RTO max ${world.links.config.rtoMaxMs / 1000} s + ${formulaOf(heldPruneTerms)}` });
  };
  /**
   * At the deadline, with the closing round still missing `receivers` (names, fewer than the
   * round lists, so all of them): when each lost every dial it made since apply to a peer other
   * events had cut it off from or to a victim, at least one of them the former (reach.ts,
   * `cutDialsWait`), the round waits until those cuts end and a seed retry, a dial and a probe
   * round have had their time. Such a receiver lost its view to the victims and to other events
   * together, and could reach nobody it tried. A random layout under `--chaos 25` (full profile,
   * 50 ms links, seed 9, fast-check seed 6418): a bridge whose two mesh-b neighbours were a
   * burst's victim and a broker inside a `partition_subset` idled both out at 62.6 s; its refill
   * and seed dials went to nodes inside two subsets and to the victim, its other seed, until the
   * deadline.
   */
  const extendForCutReceivers = (nowMs: number, receivers: readonly string[]): void => {
    if (!extensible.open(nowMs) || receivers.length === 0) return;
    const others = otherCutWindows(world, fault, appliedAtMs);
    let untilMs = 0;
    const why: string[] = [];
    for (const receiver of receivers) {
      const p = world.nodes.find((n) => n.name === receiver);
      const wait = p === undefined ? null : cutDialsWait(world, others, p.nodeId, appliedAtMs, nowMs, victims);
      if (wait === null) return;
      untilMs = Math.max(untilMs, wait.untilMs);
      why.push(`${receiver}: ${wait.formula}`);
    }
    extensible.extend({ untilMs, formula: why.join('; ') });
  };
  return {
    evidence: 'peers emit mesh.peer.disconnected, mesh.gossip.neighbor_down and mesh.staleness.pruned for each victim, then a probe reaches every survivor',
    get deadlineFormula() {
      return extensible.formula;
    },
    get deadlineMs() {
      return extensible.ms;
    },
    missing: () => missing,
    poll: (nowMs) => {
      // A node that respawned since apply lost the state it would have had to clean up. Asked
      // of the nodes that must notice only (once each per poll), not of every node.
      const healthyNow = new Map<string, boolean>();
      const healthy = (p: string): boolean => {
        let h = healthyNow.get(p);
        if (h === undefined) healthyNow.set(p, (h = isHealthy(world, p, victims) && emitted(world, p, 'mesh.node.ready', appliedAtMs) === undefined));
        return h;
      };
      // Each victim's evidence in the order disconnects, neighbour drops, prunes. Prunes come
      // last for every victim: a prune is awaited past the deadline only when nothing else is
      // missing (`extendForHeldDigests`).
      const evidenceOf = new Map<string, SpanRecord[]>();
      for (const v of victims) {
        if (world.status(v) !== 'stopped') return failedAssertion(nowMs - appliedAtMs, `${nameOf(world, v)} came back before the mesh was seen to notice`);
        const evidence: SpanRecord[] = [];
        evidenceOf.set(v, evidence);
        for (const p of mustDisconnect.get(v)!) {
          if (!healthy(p)) continue;
          const s = emitted(world, p, 'mesh.peer.disconnected', appliedAtMs, { peerId: v });
          if (s === undefined) return waitFor(`${nameOf(world, p)}: mesh.peer.disconnected of ${nameOf(world, v)}`);
          evidence.push(s);
        }
        for (const n of mustDropNeighbor.get(v)!) {
          if (!healthy(n.nodeId)) continue;
          const s = emitted(world, n.nodeId, 'mesh.gossip.neighbor_down', appliedAtMs, { peerId: v, topic: n.topic });
          if (s === undefined) return waitFor(`${nameOf(world, n.nodeId)}: mesh.gossip.neighbor_down of ${nameOf(world, v)} on ${n.topic}`);
          evidence.push(s);
        }
      }
      const unpruned: [string, string][] = [];
      for (const v of victims) {
        for (const p of mustPrune.get(v)!) {
          if (!healthy(p)) continue;
          const s = prunedBy(world, p, v, appliedAtMs);
          if (s === undefined) unpruned.push([v, p]);
          else evidenceOf.get(v)!.push(s);
        }
      }
      if (unpruned.length > 0) {
        if (nowMs - appliedAtMs > deadlineMs - probeRoundMs(world.timers) - world.timers.slackMs) lateUnpruned = unpruned;
        extendForHeldDigests(nowMs, unpruned);
        const [v, p] = unpruned[0];
        return waitFor(`${nameOf(world, p)}: mesh.staleness.pruned of ${nameOf(world, v)}`);
      }
      const evidence = victims.flatMap((v) => evidenceOf.get(v)!);
      // A survivor other events cut off from the probe's origin (on the overlay the spans show)
      // cannot have it whatever the mesh did about the victims: that repair is their evidence.
      round ??= new ProbeRound(world, meshes, victims, { cutOff: withNewcomersOfTheDead(world, othersCutOff(world, fault, appliedAtMs, { killed: { victims: new Set(victims), atMs: appliedAtMs } }), victims, appliedAtMs) });
      const r = round.poll(nowMs);
      if (!r.done) {
        // Prunes other events held came so late that the round no longer fitted: it is owed the
        // same wait as if they were still missing (restart-node under --chaos 20, seed 193: a
        // partition_pair held a victim's last digests from a registry until 98.4 s, which pruned
        // them at 130.35 s, and the round was sent at the deadline, 130.7 s).
        if (lateUnpruned.length > 0) extendForHeldDigests(nowMs, lateUnpruned);
        if (r.missing.length < MISSING_SHOWN) extendForCutReceivers(nowMs, [...new Set(r.missing.map((m) => m.slice(0, m.indexOf(' ('))))]);
        return waitFor(`probe deliveries: ${r.missing.slice(0, 5).join(', ')}`);
      }
      return passed(nowMs - appliedAtMs, [...evidence, ...r.evidence]);
    },
  };
}

/**
 * @internal Subscribers of `topic` (ids) that started after the kill at `sinceMs` (booted, or
 * revived by another event: a restart loses the views) and knew only its dead by `atMs`: not on
 * the topic in that life (no join, no neighbour taken up), and every dial they made in it failed
 * to one of `victims`. Their seeds, their only contacts, are the victims, which come back only
 * after this detection: nothing the mesh does about the kill can bring them on before (a random
 * layout, fast-check seed 6474: a kill's revert revived a compute 12.8 s into a burst that had
 * killed both its mesh-a seeds). Exported for tests.
 */
export function newcomersOfTheDead(world: ChaosWorld, topic: string, victims: readonly string[], sinceMs: number, atMs: number): string[] {
  const q = world.spans;
  const out: string[] = [];
  const started = new Set(q.find({ name: 'mesh.node.ready', sinceMs, untilMs: atMs }).map((s) => s.node));
  for (const name of started) {
    const plan = world.nodes.find((p) => p.name === name);
    if (plan === undefined || victims.includes(plan.nodeId) || !plan.meshIds.includes(topic)) continue;
    const since = q.last({ name: 'mesh.node.ready', node: name, untilMs: atMs })!;
    const inLife = <T extends { readonly seq: number }>(spans: readonly T[]): T[] => spans.filter((x) => x.seq > since.seq);
    if (inLife(q.find({ name: 'mesh.gossip.join', node: name, sinceMs: since.endMs, untilMs: atMs, attrs: { topic } })).length > 0) continue;
    if (inLife(q.find({ name: 'mesh.gossip.neighbor_up', node: name, sinceMs: since.endMs, untilMs: atMs, attrs: { topic } })).length > 0) continue;
    const failed = inLife(q.find({ name: 'mesh.peer.dial_failed', node: name, sinceMs: since.endMs, untilMs: atMs }));
    if (failed.length > 0 && failed.every((f) => victims.includes(String(f.attrs.peerId)))) out.push(plan.nodeId);
  }
  return out;
}

/** `cutOff` with the round's newcomers that knew only the dead (`newcomersOfTheDead`) added to every origin's set. */
function withNewcomersOfTheDead(world: ChaosWorld, cutOff: ProbeCutOff, victims: readonly string[], appliedAtMs: number): ProbeCutOff {
  return {
    ...cutOff,
    from: (topic, origin, atMs) => {
      const newcomers = newcomersOfTheDead(world, topic, victims, appliedAtMs, atMs);
      const base = cutOff.from(topic, origin, atMs);
      return newcomers.length === 0 ? base : new Set([...base, ...newcomers]);
    },
  };
}
