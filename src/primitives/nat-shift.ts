/**
 * NatShift: a node's address is remapped (a NAT rebinding). Every connection it had breaks
 * both ways — packets to the old address are dropped, its packets from the new one are not
 * recognized — and only dials made after the shift, which resolve the new address, work.
 *
 * Evidence (spans only, after apply):
 *  1. old paths die: every running node whose spans show a connection to the victim at apply
 *     emits mesh.peer.disconnected{peerId: victim} (one down by then counts with what it showed
 *     before it went down), and the victim one for each peer its own
 *     spans showed it connected to — or, where a new connection at the new address came first,
 *     mesh.peer.connected (the dead one is superseded and idles out silently, as the peer table
 *     intends); at least one of them judged its path dead by silence (an idle timeout, or a
 *     `dead-path` close when the other end dialed again; evidence.ts `silenceDeath`) — unless
 *     every old path was cut short by churn the shift did not cause before it could idle out
 *     (old-paths-cut-short.ts: an end closed after evicting its peer for a node another fault
 *     had cut off whole or held across a subset cut, or that had just started, the other end,
 *     unaware, superseded later or closing it as unused too; a short-lived path that carried no
 *     neighbour relation and was closed as unused is left out). A path whose peer restarted
 *     since or had left before the shift is not judged, nor the victim's end of one to an
 *     incarnation of the peer already replaced at the shift, or whose other end the peer had
 *     closed before it (a half-open path); with none left the claim holds;
 *  2. new connections form at the new address: the victim and some peer both emit
 *     mesh.peer.connected about each other after apply (nothing can reach the old address);
 *  3. it has neighbours again: on each of its topics a neighbour relation formed after apply
 *     and still current — the victim's mesh.gossip.neighbor_up for a peer, or a peer's for the
 *     victim (the victim may have kept a peer in its view that re-requested it over a new
 *     connection);
 *  4. then a probe round per topic, one from the victim and one from another node, reaches every
 *     running subscriber (mesh.probe.delivered) — the victim is reachable and reaches everyone.
 * Deadline: idle 30 s + seed check 10 s + dial timeout 5 s + probe resend 5 s + slack 5 s = 55 s
 * with the default timers (the run's own, timing.ts).
 * Revert: none — the new address stays (a NAT does not give the old mapping back); the
 * primitive's revert is a no-op, called after detection.
 */
import { connectedPeersOf, emitted, incarnationStartSeq, isSilenceDeath, meshesOf, nameOf, passed, peersConnectedTo, restartedSince, stoppedBefore } from './evidence.js';
import { oldPathsCutShort, oldPathsTakenBeforeIdle, type PathEnd } from './old-paths-cut-short.js';
import { cutDialsWait, cutWindows, LINKS_DIE, oldConnectionsCutAt, otherCutWindows, othersCutOff, type CutWindow } from './reach.js';
import { TargetedProbeRound } from './slow-link.js';
import { deadlineOf, ExtensibleDeadline, timer, type PrimitiveSpec } from './schema.js';
import { pickNodes } from './targets.js';
import type { ChaosWorld, Detector, Fault, Primitive } from './types.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { probeRoundMs } from './timing.js';

export const natShiftSpec: PrimitiveSpec = {
  name: 'nat_shift',
  params: [],
  targets: { min: 1, max: 1, shape: 'node', kills: false },
  faultLengthMs: () => 0,
  deadline: (_p, t) => [timer('idle', t.idleTimeoutMs), timer('seed check', t.seedCheckIntervalMs), timer('dial timeout', t.dialTimeoutMs), timer('probe resend', probeRoundMs(t)), timer('slack', t.slackMs)],
};

/** The deadline with the default timers. */
export const NAT_SHIFT_DEADLINE_MS = deadlineOf(natShiftSpec, {}).ms;

export const natShift: Primitive = {
  name: 'nat_shift',
  spec: natShiftSpec,
  choose: (world, rng) => {
    const targets = pickNodes(world, rng, 1, true);
    return targets === null ? null : { targets, params: {} };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.links.remapAddress(id);
  },
  revert: () => {},
  revertPolicy: () => 'after-detection',
  detector: (world, fault, appliedAtMs) => natShiftDetector(world, fault, appliedAtMs),
};

export function natShiftDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number): Detector {
  const t = world.timers;
  const deadline = deadlineOf(natShiftSpec, {}, t);
  const victim = fault.targets[0];
  const q = world.spans;
  const peersOfVictim = peersConnectedTo(world, victim, appliedAtMs);
  const victimsPeers = connectedPeersOf(world, victim, appliedAtMs);
  const meshes = world.node(victim).meshIds;
  let round: TargetedProbeRound | null = null;
  let missing = 'nothing yet';
  // Set when other events took every old path before it could show the shift (oldPathsDied).
  let unobservable = false;
  const running = (id: string): boolean => world.status(id) === 'running';

  // An old path ends in mesh.peer.disconnected, or — when a new connection at the new address
  // came first — is superseded by it (the dead one then idles out silently, by design of the
  // peer table). At least one end must have seen an idle timeout.
  const pathEnded = (node: string, peer: string): SpanRecord | undefined =>
    emitted(world, node, 'mesh.peer.disconnected', appliedAtMs, { peerId: peer }) ?? emitted(world, node, 'mesh.peer.connected', appliedAtMs, { peerId: peer });
  // The victim's end of a path whose far end was gone at the shift, read from the end's opening:
  //  - the peer's current incarnation started after that end opened: it led to a process
  //    already gone, so its silence, if it idles out, is that process's end, not the shift's
  //    (clock-skew-60s under --chaos 20, seed 150: a broker wedged through another's restart kept
  //    its end to the dead process; the restarted peer superseded it by dialing the broker 6 s
  //    after its shift; mesh-grow-shrink seed 170, where such an end's idle timeout had passed
  //    for the shift's silence);
  //  - or the peer, same incarnation, closed its end after the victim's opened and held no
  //    connection to the victim at the shift (a half-open path): nothing at its end could notice
  //    the shift, and the victim's end dies of the close it never heard (a reset, or an idle
  //    timeout the same with or without the shift). nat-shift under --chaos 20, seed 616: a
  //    registry another event firewalled heard nothing from a compute for 30 s and idled its end
  //    out 3.9 s before the compute's shift; the compute's end drew a reset 17.7 s after it.
  const toGoneEnd = (e: PathEnd): boolean => {
    if (e.node !== victim) return false;
    const opened = q.last({ name: 'mesh.peer.connected', node: nameOf(world, victim), untilMs: appliedAtMs, attrs: { peerId: e.peer } });
    if (opened === undefined) return false;
    if (incarnationStartSeq(world, nameOf(world, e.peer), appliedAtMs) > opened.seq) return true;
    if (peersOfVictim.includes(e.peer)) return false;
    const closed = q.last({ name: 'mesh.peer.disconnected', node: nameOf(world, e.peer), untilMs: appliedAtMs, attrs: { peerId: victim } });
    return closed !== undefined && closed.seq > opened.seq;
  };
  // The shift's own cut at `atMs`, for its probe round: a link of the victim whose end's latest
  // connection to the other opened by the shift ran on the old mapping, dead for good
  // (reach.ts, oldConnectionsCutAt). A node the other events then stripped of the links the
  // shift left (reach.ts, strippedIsland) is theirs to show: partition-subset under --chaos 20,
  // seed 172, where the victim's one new neighbour was restarted by another event and the
  // victim held it, dead, past the deadline.
  const shiftCutAt = oldConnectionsCutAt(world, victim, appliedAtMs);
  // The victim's end of an old path to a peer that another event killed, restarted or shifted
  // after the shift (so the path is not required above), idled out on a silence that began
  // before that event: the peer's death does not explain the silence, the shift does.
  // mesh-grow-shrink under --chaos 20, seed 2200: a broker shifted at 58.8 s idled out its end
  // to a registry at 88.2 s, silent since 58.2 s, though a restart_node took the registry only
  // at 75.2 s; its other old paths led to two gateways that left the mesh at 60 s, and to nodes
  // a burst kill took before the shift.
  const silentBeforeDeath = (): SpanRecord | undefined => {
    const deaths = cutWindows(q).filter((w) => LINKS_DIE.has(w.name) && w.fromMs >= appliedAtMs);
    for (const peer of victimsPeers) {
      if (!restartedSince(world, peer, appliedAtMs)) continue;
      const s = pathEnded(victim, peer);
      if (s === undefined || s.name !== 'mesh.peer.disconnected' || s.attrs.reason !== 'idle-timeout') continue;
      const lastHeardMs = s.endMs - t.idleTimeoutMs;
      const died = deaths.filter((w) => w.targets.has(nameOf(world, peer)) && w.fromMs <= s.endMs).sort((a, b) => a.fromMs - b.fromMs)[0];
      if (died !== undefined && lastHeardMs >= appliedAtMs - t.keepAliveMs && lastHeardMs < died.fromMs) return s;
    }
    return undefined;
  };
  const oldPathsDied = (): SpanRecord[] | null => {
    unobservable = false; // judged afresh at every poll, as the paths are
    const out: SpanRecord[] = [];
    // A peer down now owes nothing more, but what its end showed before it went down still
    // counts: flap-link under --chaos 20, seed 937, where two peers idled out their ends of a
    // registry's old paths 28.5 and 28.6 s after its shift, 0.1 s before a burst_kill took both,
    // and the registry's own ends then drew resets.
    const downEnded = peersOfVictim.filter((p) => !running(p) && pathEnded(p, victim) !== undefined);
    const ends: PathEnd[] = [...peersOfVictim.filter(running).map((p) => ({ node: p, peer: victim })), ...downEnded.map((p) => ({ node: p, peer: victim })), ...victimsPeers.map((p) => ({ node: victim, peer: p }))];
    // A peer that restarted since lost its old connection with its process, and one that had
    // left before the shift (its mesh.node.stopping, no new incarnation since) was already gone:
    // nothing of the shift to see on those paths, nor on the victim's end of a path whose far
    // end was gone or closed at the shift.
    const required = ends.filter((e) => {
      const peer = e.node !== victim ? e.node : e.peer;
      return !restartedSince(world, peer, appliedAtMs) && !stoppedBefore(world, peer, appliedAtMs) && !toGoneEnd(e);
    });
    for (const { node, peer } of required) {
      const s = pathEnded(node, peer);
      if (s === undefined) {
        missing = `old path ${nameOf(world, node)}→${nameOf(world, peer)} neither disconnected nor superseded`;
        return null;
      }
      out.push(s);
    }
    // No old path to a peer still there: nothing the shift could have been seen to break.
    if (required.length === 0) return out;
    // Every silence death counts here, also a peer's dead-path close that followed the victim's
    // own close of the path (which slow_link, lossy_link and wedge_node leave out, evidence.ts
    // `peerLetGoFirst`): after a shift that close went out from the new address and was lost
    // because the path was dead, and the victim's redial is how the peer learned it. kill-node
    // under --chaos 20, seed 6776: an observer's dead-path close 0.6 s after the shifted
    // broker's unused close was the shift's only evidence (test: nat-shift.test.ts).
    const idled = out.find(isSilenceDeath) ?? silentBeforeDeath();
    if (idled !== undefined) return [idled, ...out.filter((s) => s !== idled)];
    // Every old path has ended, none by silence. Excused only where concurrent faults
    // cut every old path short before it could idle out, or every one was transient, ended
    // with no liveness check (src/primitives/old-paths-cut-short.ts).
    const others = otherCutWindows(world, fault, appliedAtMs);
    if (oldPathsCutShort(world, others, required, appliedAtMs)) return out;
    // Other events took every old path's far end before it could idle out: the paths ended as
    // they would have without the shift. Recovery is still required; the shift is unobserved.
    if (oldPathsTakenBeforeIdle(world, others, required, appliedAtMs)) {
      unobservable = true;
      return out;
    }
    missing = 'no old path judged dead by silence (idle timeout or dead-path close)';
    return null;
  };

  const newConnection = (): SpanRecord[] | null => {
    for (const s of q.find({ name: 'mesh.peer.connected', node: nameOf(world, victim), sinceMs: appliedAtMs })) {
      const peer = String(s.attrs.peerId);
      const back = emitted(world, peer, 'mesh.peer.connected', appliedAtMs, { peerId: victim });
      if (back !== undefined) return [s, back];
    }
    return null;
  };

  // Said when the victim has not even tried to dial since the shift (a connection others opened
  // to it does not count): the usual reason is HyParView with an empty passive view, which has
  // nobody left to dial, on a node whose seed rejoin is off (`disableSeedRejoin`; the protocol
  // profile had none before round 47). A node that took an inbound connection and then lost its
  // neighbours to idle timeouts is stranded the same way.
  const nobodyLeftToAsk = (): string => {
    const name = nameOf(world, victim);
    const tried =
      q.first({ name: 'mesh.peer.connected', node: name, sinceMs: appliedAtMs, attrs: { direction: 'outbound' } }) ?? q.first({ name: 'mesh.peer.dial_failed', node: name, sinceMs: appliedAtMs });
    return tried === undefined ? `; ${name} has dialled nobody since the shift (nobody left to ask: see docs/primitives.md, NatShift)` : '';
  };

  /**
   * Whether other chaos events cut off every other subscriber of `topic` whole (killed, wedged,
   * firewalled, moved: a node cut) from before the victim could have a neighbour there again
   * until `nowMs`. The victim learns its old paths are dead at the idle timeout, then its seed
   * check and a dial take it back: by the shift + idle + seed check + dial timeout (30 + 10 + 5 s by default). A
   * random layout under `--chaos 36` (two bridges, no observer, seed 44580): a burst_kill took
   * the other bridge, the bridge topic's only other member, 26.3 s after the shift, before
   * either end had idled out their path; the victim's dials to it timed out till the deadline.
   */
  const relateByMs = appliedAtMs + t.idleTimeoutMs + t.seedCheckIntervalMs + t.dialTimeoutMs;
  const takenAway = (topic: string, nowMs: number, others: readonly CutWindow[]): boolean => {
    if (nowMs < relateByMs) return false; // till then the victim may still relate on its own
    return world.subscribers(topic).every((p) => p.nodeId === victim || others.some((w) => w.cut === 'node' && w.targets.has(p.name) && w.fromMs <= relateByMs && w.untilMs > nowMs));
  };

  // A neighbour relation formed at the new address, seen from either end: the victim's
  // neighbor_up for a peer, or a peer's neighbor_up for the victim (when the victim kept that
  // peer in its view while the peer re-requested it over a new connection), still current.
  const neighboursAgain = (nowMs: number): SpanRecord[] | null => {
    const out: SpanRecord[] = [];
    const name = nameOf(world, victim);
    const current = (node: string, peerId: string, topic: string, up: SpanRecord): boolean => {
      const down = q.last({ name: 'mesh.gossip.neighbor_down', node, untilMs: nowMs, attrs: { topic, peerId } });
      return down === undefined || down.seq < up.seq;
    };
    const others = nowMs < relateByMs ? [] : otherCutWindows(world, fault, appliedAtMs);
    for (const topic of meshes) {
      // A topic the victim alone subscribes to (the bridge topic of a lone bridge with no
      // observer) has nobody to relate to; nor one whose every other subscriber other events
      // took before the victim could relate again and held till now (`takenAway`).
      if (!world.subscribers(topic).some((p) => p.nodeId !== victim)) continue;
      if (takenAway(topic, nowMs, others)) continue;
      const own = q.find({ name: 'mesh.gossip.neighbor_up', node: name, sinceMs: appliedAtMs, attrs: { topic } }).find((up) => current(name, String(up.attrs.peerId), topic, up));
      const theirs = own ?? q.find({ name: 'mesh.gossip.neighbor_up', sinceMs: appliedAtMs, attrs: { topic, peerId: victim } }).find((up) => current(up.node, victim, topic, up));
      if (theirs === undefined) {
        missing = `no current neighbour relation of the victim on ${topic}${nobodyLeftToAsk()}`;
        unrelatedTopic = topic;
        return null;
      }
      out.push(theirs);
    }
    unrelatedTopic = null;
    return out;
  };

  /**
   * At the deadline, when the victim has dialled since the shift and formed no
   * connection of its own, and every dial it made went to a peer other events had cut it off from
   * when the dial began (its seeds inside another event's subset cut, its side outside): nobody
   * it knew could be reached until those cuts were reverted. The deadline then runs on from the
   * last of those reverts by the seed retry backoff at its longest and a dial, then the probes.
   * A random layout under `--chaos 30` (one mesh of nine and a bridge, no observer, seed 75514):
   * a partition_subset took the bridge's seed, fallback seed and both its neighbours 4.4 s before
   * the shift; every dial failed until the repair at 74.7 s, and its next retry joined at 79.0 s,
   * 2.8 s past the deadline.
   */
  const extensible = new ExtensibleDeadline(appliedAtMs, deadline.ms, deadline.formula);
  // The topic the last poll found without a current relation (`neighboursAgain`), if any.
  let unrelatedTopic: string | null = null;
  const extendForCutDials = (nowMs: number): void => {
    if (!extensible.open(nowMs)) return;
    // A connection the victim made counts against the wait unless its peer is not on the topic
    // still without a relation, or it served only to join other topics: a bridge that rejoined
    // mesh-a and the bridge topic (through the other bridge), while both its mesh-b seeds were
    // under kills, reached nobody it could rejoin mesh-b through (fast-check seed 6446).
    const name = nameOf(world, victim);
    const reachedFor = (peerId: string): boolean => {
      if (unrelatedTopic === null) return true;
      if (!meshesOf(world, peerId).includes(unrelatedTopic)) return false;
      const joins = q.find({ name: 'mesh.gossip.join', node: name, sinceMs: appliedAtMs, untilMs: nowMs, attrs: { peerId } });
      return joins.length === 0 || joins.some((j) => j.attrs.topic === unrelatedTopic);
    };
    if (q.find({ name: 'mesh.peer.connected', node: name, sinceMs: appliedAtMs, untilMs: nowMs, attrs: { direction: 'outbound' } }).some((c) => reachedFor(String(c.attrs.peerId)))) return;
    extensible.extend(cutDialsWait(world, otherCutWindows(world, fault, appliedAtMs), victim, appliedAtMs, nowMs));
  };

  return {
    evidence: `peers and ${nameOf(world, victim)} emit mesh.peer.disconnected for the old paths, mesh.peer.connected both ways after the shift, the victim emits mesh.gossip.neighbor_up on every topic, then probes from and to it reach every running subscriber`,
    get deadlineFormula() {
      return extensible.formula;
    },
    get deadlineMs() {
      return extensible.ms;
    },
    missing: () => missing,
    poll: (nowMs) => {
      const died = oldPathsDied();
      const formed = died === null ? null : newConnection();
      if (died !== null && formed === null) missing = `no connection formed both ways at the new address${nobodyLeftToAsk()}`;
      const neighbours = formed === null ? null : neighboursAgain(nowMs);
      if (died !== null && (formed === null || neighbours === null)) extendForCutDials(nowMs);
      if (died === null || formed === null || neighbours === null) return null;
      if (round === null) {
        const others = meshes.map((m): [string, string] | null => {
          const sender = world.subscribers(m).find((p) => p.nodeId !== victim && running(p.nodeId) && !world.isFaulted(p.nodeId));
          return sender === undefined ? null : [m, sender.nodeId];
        });
        const origins = [...meshes.map((m): [string, string] => [m, victim]), ...others.filter((o): o is [string, string] => o !== null)];
        round = new TargetedProbeRound(world, origins, fault.targets, Infinity, othersCutOff(world, fault, appliedAtMs, { ownBlockAt: shiftCutAt }));
      }
      const r = round.poll(nowMs);
      if (!r.done) {
        missing = `probe deliveries: ${r.missing.slice(0, 5).join(', ')}`;
        return null;
      }
      // Without evidence the engine reports the event unobserved (engine.ts, settle).
      return passed(nowMs - appliedAtMs, unobservable ? [] : [...died.slice(0, 3), ...formed, ...neighbours.slice(0, 1), ...r.evidence]);
    },
  };
}
