/**
 * Shared evidence queries for detectors. Everything here reads the trace (spans the nodes
 * emitted) through the telemetry query API; the only harness state used is which nodes are
 * currently up, to know whose evidence to expect.
 */
import type { ProbeRecord } from '../scenario/checker.js';
import type { SpanAttrs, SpanName, SpanOf, SpanRecord } from '../sim/telemetry/index.js';
import type { ChaosWorld, Detection, Verdict } from './types.js';
import { probeRoundMs } from './timing.js';

/** Name of a node id (spans carry node names; attributes carry node ids). */
export function nameOf(world: ChaosWorld, nodeId: string): string {
  return world.nameOf(nodeId);
}

/** Node ids whose process is running (not down, not wedged) and not under another fault. */
export function healthyNodes(world: ChaosWorld, exclude: readonly string[] = []): string[] {
  return world.nodes.filter((p) => isHealthy(world, p.nodeId, exclude)).map((p) => p.nodeId);
}

/** Whether `healthyNodes` has `nodeId`: asked of the few nodes a check needs, not of all. */
export function isHealthy(world: ChaosWorld, nodeId: string, exclude: readonly string[] = []): boolean {
  return world.status(nodeId) === 'running' && !world.isFaulted(nodeId) && !exclude.includes(nodeId);
}

/** Mesh ids that `nodeId` subscribes to. */
export function meshesOf(world: ChaosWorld, nodeId: string): readonly string[] {
  return world.node(nodeId).meshIds;
}

/** Spans of `name` emitted by `nodeId` since `sinceMs` (inclusive). */
export function spansOf<N extends SpanName>(world: ChaosWorld, nodeId: string, name: N, sinceMs: number): readonly SpanOf<N>[] {
  return world.spans.find({ name, node: nameOf(world, nodeId), sinceMs });
}

/** Whether `nodeId` emitted a span `name` with the given attrs since `sinceMs`. */
export function emitted<N extends SpanName>(world: ChaosWorld, nodeId: string, name: N, sinceMs: number, attrs?: Partial<SpanAttrs<N>>): SpanOf<N> | undefined {
  return world.spans.first({ name, node: nameOf(world, nodeId), sinceMs, attrs });
}

/**
 * The first mesh.peer.disconnected of `nodeName` in [sinceMs, untilMs] (about `peerId` if given)
 * in which the node judged a connection dead by its silence: its idle timeout, or a `dead-path`
 * close (the peer dialed again over a path it no longer held, or one silent for a keep-alive
 * period and a half; see src/mesh/peers.ts `closeIfDead`). Both end a path the peer had let go,
 * at 30 s or at the redial.
 * `idleSinceMs` (default `sinceMs`) starts the window later for idle timeouts alone. Given
 * `selfId` (the node's id), a dead-path close that only followed the peer's own decision to let
 * the connection go is not counted (`peerLetGoFirst`).
 */
export function silenceDeath(world: ChaosWorld, nodeName: string, sinceMs: number, untilMs?: number, peerId?: string, idleSinceMs = sinceMs, selfId?: string): SpanOf<'mesh.peer.disconnected'> | undefined {
  const q = world.spans;
  const peer = peerId === undefined ? {} : { peerId };
  const idle = q.first({ name: 'mesh.peer.disconnected', node: nodeName, sinceMs: idleSinceMs, untilMs, attrs: { ...peer, reason: 'idle-timeout' } });
  const deadFilter = { name: 'mesh.peer.disconnected', node: nodeName, sinceMs, untilMs, attrs: { ...peer, cause: 'dead-path' } } as const;
  const dead = selfId === undefined ? q.first(deadFilter) : q.find(deadFilter).find((s) => !peerLetGoFirst(world, selfId, s));
  if (idle === undefined) return dead;
  return dead === undefined || idle.seq < dead.seq ? idle : dead;
}

/**
 * Whether `s`, a node's `dead-path` close of its connection to a peer, followed the peer's own
 * decision to let that connection go: the peer recorded closing its end itself (`closed-locally`
 * for a cause other than a dead path: unused, or its framing lost) within the idle timeout
 * before, its close lost on the way and its redial telling this node (src/mesh/peers.ts
 * `closeIfDead`); or the peer's end went with its process (a new incarnation since the
 * connection opened). Either way this node judged no silence, and a damaged link or a wedged
 * peer is not blamed for it. mesh-grow-shrink under --chaos 8, seed 72: gateway-79730a6a closed its end to
 * broker-4b3fb954 as unused at 22.8 s over a lossy link that lost the close, and dialled the
 * broker again at 24.3 s; the broker's dead-path close was read as "declared dead over a lossy
 * link". A close whose peer ended its end by silence (an idle timeout) is not excused here: that
 * judgement is the peer's, and read where the peer is asked. nat_shift does not ask it: after a
 * shift the lost close is the shift's doing (nat-shift.ts).
 */
export function peerLetGoFirst(world: ChaosWorld, selfId: string, s: SpanRecord): boolean {
  if (s.name !== 'mesh.peer.disconnected' || s.attrs.cause !== 'dead-path') return false;
  const peerId = String(s.attrs.peerId);
  const peer = nameOf(world, peerId);
  const closes = world.spans.find({ name: 'mesh.peer.disconnected', node: peer, sinceMs: s.endMs - world.links.config.idleTimeoutMs, untilMs: s.endMs, attrs: { peerId: selfId, reason: 'closed-locally' } });
  if (closes.some((c) => c.attrs.cause !== 'dead-path')) return true;
  // Or the peer's process went, with its end: it started again (mesh.node.ready) after this
  // node's connection opened. slow-link-500ms under --chaos 20, seed 7022: a kill_node took
  // compute-31da8a8a at 56.3 s, 0.3 s after broker-57badd70's connection to it opened; revived
  // at 57.8 s, the compute dialled the broker at 76.0 s, and the broker's dead-path close then
  // was read as "declared dead (dead path) over a slow link" applied to the pair at 62.2 s.
  const opened = world.spans.find({ name: 'mesh.peer.connected', node: s.node, untilMs: s.endMs, attrs: { peerId } }).filter((c) => c.seq < s.seq).at(-1);
  const started = world.spans.last({ name: 'mesh.node.ready', node: peer, untilMs: s.endMs });
  return opened !== undefined && started !== undefined && started.seq > opened.seq;
}

/** Whether `s` is a disconnect that judged its connection dead by silence (see `silenceDeath`). */
export function isSilenceDeath(s: SpanRecord): boolean {
  return s.name === 'mesh.peer.disconnected' && (s.attrs.reason === 'idle-timeout' || s.attrs.cause === 'dead-path');
}

/**
 * Sequence number of `nodeName`'s latest mesh.node.ready at or before `atMs` (-1 if none): a
 * respawned node starts with no connections and empty views, so older spans say nothing now.
 */
export function incarnationStartSeq(world: ChaosWorld, nodeName: string, atMs: number): number {
  return world.spans.last({ name: 'mesh.node.ready', node: nodeName, untilMs: atMs })?.seq ?? -1;
}

/**
 * Names of the nodes that emitted `name` with `attrs` at or before `atMs`: the only nodes whose
 * own spans can answer a question about one peer, found from the spans about it (the query's
 * attribute index) rather than by asking every node.
 */
export function emittersOf<N extends SpanName>(world: ChaosWorld, name: N, atMs: number, attrs: Partial<SpanAttrs<N>>): Set<string> {
  return new Set(world.spans.find({ name, untilMs: atMs, attrs }).map((s) => s.node));
}

/**
 * Peers that, by their own spans, held a connection to `target` at `atMs`: their latest
 * mesh.peer.connected about it (in their current incarnation) is newer than their latest
 * mesh.peer.disconnected, and their process was not killed since (a killed process says no
 * goodbye, so its last span about the peer is still the connect: the harness's
 * sim.node.killed is the evidence that it holds nothing now).
 */
export function peersConnectedTo(world: ChaosWorld, target: string, atMs: number): string[] {
  const q = world.spans;
  const out: string[] = [];
  const ever = emittersOf(world, 'mesh.peer.connected', atMs, { peerId: target });
  for (const p of world.nodes) {
    if (p.nodeId === target || !ever.has(p.name)) continue;
    const up = q.last({ name: 'mesh.peer.connected', node: p.name, untilMs: atMs, attrs: { peerId: target } });
    if (up === undefined || up.seq < incarnationStartSeq(world, p.name, atMs)) continue;
    const killed = q.last({ name: 'sim.node.killed', untilMs: atMs, attrs: { targets: p.name } });
    if (killed !== undefined && killed.seq > up.seq) continue;
    const down = q.last({ name: 'mesh.peer.disconnected', node: p.name, untilMs: atMs, attrs: { peerId: target } });
    if (down === undefined || down.seq < up.seq) out.push(p.nodeId);
  }
  return out;
}

/** Peers that `node`'s own spans (in its incarnation current at `atMs`) show it connected to at `atMs`. */
export function connectedPeersOf(world: ChaosWorld, node: string, atMs: number): string[] {
  const q = world.spans;
  const name = nameOf(world, node);
  const since = incarnationStartSeq(world, name, atMs);
  const ever = new Set(q.find({ name: 'mesh.peer.connected', node: name, untilMs: atMs }).map((s) => s.attrs.peerId));
  return world.nodes
    .filter((p) => {
      if (p.nodeId === node || !ever.has(p.nodeId)) return false;
      const up = q.last({ name: 'mesh.peer.connected', node: name, untilMs: atMs, attrs: { peerId: p.nodeId } });
      if (up === undefined || up.seq < since) return false;
      const down = q.last({ name: 'mesh.peer.disconnected', node: name, untilMs: atMs, attrs: { peerId: p.nodeId } });
      return down === undefined || down.seq < up.seq;
    })
    .map((p) => p.nodeId);
}

/**
 * (node, topic) pairs that, by their own spans, had `target` in their active view at `atMs`:
 * the latest mesh.gossip.neighbor_up about it on that topic (in their current incarnation) is
 * newer than the latest neighbor_down.
 */
export function neighborsOf(world: ChaosWorld, target: string, atMs: number): { nodeId: string; topic: string }[] {
  const q = world.spans;
  const out: { nodeId: string; topic: string }[] = [];
  const ever = emittersOf(world, 'mesh.gossip.neighbor_up', atMs, { peerId: target });
  for (const p of world.nodes) {
    if (p.nodeId === target || !ever.has(p.name)) continue;
    for (const topic of p.meshIds) {
      const up = q.last({ name: 'mesh.gossip.neighbor_up', node: p.name, untilMs: atMs, attrs: { peerId: target, topic } });
      if (up === undefined || up.seq < incarnationStartSeq(world, p.name, atMs)) continue;
      const down = q.last({ name: 'mesh.gossip.neighbor_down', node: p.name, untilMs: atMs, attrs: { peerId: target, topic } });
      if (down === undefined || down.seq < up.seq) out.push({ nodeId: p.nodeId, topic });
    }
  }
  return out;
}

/** Whether `pruned` (a mesh.staleness.pruned span) names `nodeId` among those removed. */
export function prunedIncludes(pruned: SpanRecord, nodeId: string): boolean {
  return String(pruned.attrs.nodeIds ?? '').split(',').includes(nodeId);
}

/** The first mesh.staleness.pruned span of `observer` since `sinceMs` that removed `nodeId`. */
export function prunedBy(world: ChaosWorld, observer: string, nodeId: string, sinceMs: number): SpanRecord | undefined {
  return spansOf(world, observer, 'mesh.staleness.pruned', sinceMs).find((s) => prunedIncludes(s, nodeId));
}

/** Delivery spans of a probe, and the expected receivers (healthy now) that have none yet. */
export function probeDeliveries(world: ChaosWorld, probe: ProbeRecord, exclude: readonly string[] = []): { delivered: SpanRecord[]; missing: string[] } {
  const spans = world.spans.find({ name: 'mesh.probe.delivered', sinceMs: probe.sentAtMs, attrs: { probeId: probe.probeId } });
  const got = new Set(spans.map((s) => s.node));
  const missing = world
    .subscribers(probe.meshId)
    .filter((p) => p.nodeId !== probe.origin && !got.has(p.name) && isHealthy(world, p.nodeId, exclude))
    .map((p) => p.name);
  return { delivered: [...spans], missing };
}

/**
 * A round of probes, one per mesh, sent once the detector is ready for them; `check` reports
 * the receivers still missing. Re-sends after `resendMs` if a round did not complete (a probe
 * sent while the overlay was still healing cannot be repaired by Plumtree later).
 * A probe is expected only at nodes healthy both when it was sent and now: a node that was down,
 * cut off or restarting under another fault at send time cannot receive it later (Plumtree does
 * not replay old broadcasts to a node that joins afterwards); the next re-send includes it.
 * "Healthy" follows `world.isFaulted`, which counts the detector's OWN targets as faulted until
 * its verdict: a round that shows recovery after the damage is reverted names them in `owed`,
 * and they are expected like any healthy node unless `excused` (nodes another chaos event
 * touched, read from the chaos spans) has them.
 */
export interface ProbeRoundOptions {
  /** Re-send a round that has not completed after this long, ms. Default 5 000. */
  readonly resendMs?: number;
  /** The event's own targets, owed the probe although faulted by the event itself. Default none. */
  readonly owed?: readonly string[];
  /** Nodes (ids) another event touched by `nowMs`; an owed node in it is not expected. */
  readonly excused?: (nowMs: number) => ReadonlySet<string>;
  /**
   * Receivers (ids) other events had cut off from a probe's origin on its topic when it was sent
   * (reach.ts, `othersCutOff`): not expected to have that probe; a later re-send expects them
   * again. Default: none.
   */
  readonly cutOff?: ProbeCutOff;
}

/** Who other chaos events had cut off from whom on a topic at an instant (reach.ts, `othersCutOff`). */
export interface ProbeCutOff {
  /** Receivers (ids) cut off from `origin` on `topic` for a probe sent at `atMs`: at the send or in its flight (reach.ts, `cutOffOverFlight`). */
  from(topic: string, origin: string, atMs: number): ReadonlySet<string>;
  /**
   * Whether `target` was cut off from an origin, asked of many origins: `towards(…)(origin)` is
   * `from(topic, origin, atMs).has(target)`, with one pair of searches for all of them.
   */
  towards(topic: string, target: string, atMs: number): (origin: string) => boolean;
  /**
   * Whether other events' cut windows had cut `node` off from `peer` (ids) at `atMs` (reach.ts,
   * `isCut`): false when `peer` is one of the detector's own targets, whose damage excuses nothing.
   */
  cutBetween?(node: string, peer: string, atMs: number): boolean;
  /**
   * Whether other events kept `origin`'s own part of the overlay on `topic` off the rest at
   * `atMs` (reach.ts, `originKeptApart`): a round sends from another node when it has one.
   */
  keptApart?(topic: string, origin: string, atMs: number): boolean;
}

/** Missing receivers a probe round names, at most (`ProbeRound`, `TargetedProbeRound`): detectors show five. */
export const MISSING_SHOWN = 5;

/**
 * What a probe round's poll reports when it has just re-sent an incomplete round: `after`, the
 * fresh round, but naming the receivers `before` (the round it replaced) missed. The fresh
 * probes have reached nobody yet, and a detector's timeout, often at that very poll, must not
 * name every receiver in plan order. `comparable` false (the rounds did not both send every
 * probe) keeps `after` as it is, and so does a `before` that named nobody.
 */
export function atResend<R extends { readonly done: boolean; readonly missing: readonly string[] }>(before: R, after: R, comparable = true): R {
  return after.done || !comparable || before.missing.length === 0 ? after : { ...after, missing: before.missing };
}

export class ProbeRound {
  private probes: ProbeRecord[] = [];
  /** Meshes the last send found no node to send from: every running subscriber under a fault, and no owed pair to show each other. */
  private withoutOrigin = 0;
  private sentAtMs = -1;
  /** Names of the nodes healthy when the round was sent. */
  private healthyAtSend = new Set<string>();
  private idByName: Map<string, string> | null = null;

  constructor(
    private readonly world: ChaosWorld,
    private readonly meshIds: readonly string[],
    private readonly exclude: readonly string[] = [],
    private readonly options: ProbeRoundOptions = {},
  ) {}

  /** Send (or re-send) the round if due; returns the first MISSING_SHOWN missing receivers, [] when complete (at a re-send: `atResend`). */
  poll(nowMs: number): { done: boolean; missing: string[]; evidence: SpanRecord[] } {
    if (this.sentAtMs < 0) {
      this.send(nowMs);
      return this.complete(nowMs);
    }
    const before = this.complete(nowMs);
    if (before.done || nowMs - this.sentAtMs < (this.options.resendMs ?? probeRoundMs(this.world.timers))) return before;
    this.send(nowMs);
    return atResend(before, this.complete(nowMs));
  }

  private send(nowMs: number): void {
    this.sentAtMs = nowMs;
    this.probes = [];
    this.withoutOrigin = 0;
    const healthy = healthyNodes(this.world, this.exclude);
    const owed = this.owedAt(nowMs);
    this.healthyAtSend = new Set([...healthy, ...owed].map((id) => nameOf(this.world, id)));
    // Origins stay the nodes no event faults: an owed node is a receiver to show, not a sender —
    // unless the owed nodes are all a mesh has running (random layouts under chaos: a broker and
    // a bridge the only members of their mesh, partitioned from each other): one of them sends,
    // and the others are shown by it.
    // Of those, one other events had not kept off the rest of the topic, when there is one
    // (fast-check seed 6474: the first was a gateway a burst revived whose two seeds a second
    // burst had killed; its probes reached nobody for 35 s while the other two members held
    // each other).
    for (const meshId of this.meshIds) {
      const on = (id: string): boolean => meshesOf(this.world, id).includes(meshId);
      const origin = this.senderOn(meshId, healthy.filter(on), nowMs) ?? (owed.filter(on).length > 1 ? owed.find(on) : undefined);
      if (origin === undefined) {
        this.withoutOrigin++;
        continue;
      }
      const record = this.world.probe(meshId, origin);
      if (record !== null) this.probes.push(record);
    }
  }

  /** The first of `senders` other events had not kept off the rest of the topic (`ProbeCutOff.keptApart`), else the first. */
  private senderOn(meshId: string, senders: readonly string[], nowMs: number): string | undefined {
    const keptApart = this.options.cutOff?.keptApart;
    if (keptApart === undefined || senders.length < 2) return senders[0];
    return senders.find((id) => !keptApart(meshId, id, nowMs)) ?? senders[0];
  }

  private complete(nowMs: number): { done: boolean; missing: string[]; evidence: SpanRecord[] } {
    const missing: string[] = [];
    const evidence: SpanRecord[] = [];
    const owed = this.owedAt(nowMs);
    for (const p of this.probes) {
      const r = probeDeliveries(this.world, p, this.exclude);
      const got = new Set(r.delivered.map((s) => s.node));
      const owedMissing = owed.filter((id) => id !== p.origin && meshesOf(this.world, id).includes(p.meshId)).map((id) => nameOf(this.world, id)).filter((m) => !got.has(m) && !r.missing.includes(m));
      // Asked only once a receiver is missing: an overlay search at 10,000 nodes.
      let cut: ReadonlySet<string> | undefined;
      // Only the first few are named (a detector's message), and one is enough to wait: the
      // search for excuses stops there, which at 10,000 nodes is most of a poll's work.
      for (const m of [...r.missing, ...owedMissing]) {
        if (missing.length >= MISSING_SHOWN) break;
        if (!this.healthyAtSend.has(m)) continue;
        cut ??= this.options.cutOff?.from(p.meshId, p.origin, p.sentAtMs) ?? new Set();
        const id = this.idOf(m);
        if (cut.has(id) || viewCutOffByOthers(this.world, id, p.meshId, p.sentAtMs, this.exclude, this.options.cutOff)) continue;
        missing.push(`${m} (${p.meshId})`);
      }
      appendAll(evidence, r.delivered);
    }
    // A round whose every mesh had nobody to send from (random layouts under chaos: a mesh of
    // four whose other three nodes were shifted, firewalled and wedged by other events when a
    // kill's round was due) has nothing to show, and waits for nothing: it is done as sent. A
    // re-send while others still run is not (`poll` re-sends every resend period).
    const settled = (this.probes.length > 0 || (this.sentAtMs >= 0 && this.withoutOrigin === this.meshIds.length && this.meshIds.length > 0)) && missing.length === 0;
    return { done: settled, missing, evidence };
  }

  /** The owed nodes (ids) running at `nowMs` that no other event touched, in plan order. */
  private owedAt(nowMs: number): string[] {
    const owed = this.options.owed ?? [];
    if (owed.length === 0) return [];
    const excused = this.options.excused?.(nowMs) ?? new Set<string>();
    return this.world.nodes
      .filter((p) => owed.includes(p.nodeId) && !this.exclude.includes(p.nodeId) && this.world.status(p.nodeId) === 'running' && !excused.has(p.nodeId))
      .map((p) => p.nodeId);
  }

  /** A node's id from its name (probe deliveries name nodes); the table is built on first use. */
  private idOf(name: string): string {
    this.idByName ??= new Map(this.world.nodes.map((p) => [p.name, p.nodeId]));
    return this.idByName.get(name)!;
  }
}

/**
 * Whether `nodeId` was cut off on `topic` at `atMs` by other faults: by its own spans (its
 * incarnation current at `atMs`) its active view there was not empty, and the path to every
 * member was dead by other events' doing, each member by one of:
 *  - killed by then (the harness's sim.node.killed, with no mesh.node.ready since) or
 *    NAT-shifted after the node took it up (a `nat_shift`'s chaos.primitive.applied naming it:
 *    the old mapping never comes back, so the connection that link ran on is dead at both ends),
 *    and not one of `ownVictims`;
 *  - cut off from the node by another event's cut window (`cutOff.cutBetween`, for rounds that
 *    have them: reach.ts `othersCutOff`): a node cut (killed, wedged, firewalled, moved, still
 *    rejoining) or a subset or link cut between the two, the detector's own targets never.
 * Such a node hears nothing on the topic until those connections idle out, 30 s later, or the
 * cuts heal; showing that repair is the other faults' evidence, whatever the rest of the overlay
 * shows: nobody may hold the node (its last in-link gone with them), and its refills ran into
 * them too. firewall-inbound under `--chaos 20`, seed 5997: a burst kill took a bridge's last
 * mesh-a neighbour but one, a registry a `partition_subset` had held since 107 ms before the
 * bridge took it up; its refill dials went to nodes two firewalls, the subset and a kill held,
 * and the burst's closing round missed it for 17 s. A view whose members died in different ways
 * (one shifted, whose window has closed, one behind a subset cut) counts as well. A node cut off
 * by `ownVictims`, or with an empty view, is not excused, nor one that took a shifted member up
 * again over a new connection.
 */
export function viewCutOffByOthers(world: ChaosWorld, nodeId: string, topic: string, atMs: number, ownVictims: readonly string[], cutOff?: ProbeCutOff): boolean {
  const q = world.spans;
  const name = nameOf(world, nodeId);
  const since = incarnationStartSeq(world, name, atMs);
  // The peers it ever took up on the topic in this incarnation (its own spans only: this runs
  // for every node a probe has not reached yet, so it must not scan every node).
  const ups = q.find({ name: 'mesh.gossip.neighbor_up', node: name, untilMs: atMs, attrs: { topic } });
  const peers = new Set(ups.filter((s) => s.seq >= since).map((s) => String(s.attrs.peerId)));
  let members = 0;
  for (const peer of peers) {
    const up = q.last({ name: 'mesh.gossip.neighbor_up', node: name, untilMs: atMs, attrs: { peerId: peer, topic } })!;
    const down = q.last({ name: 'mesh.gossip.neighbor_down', node: name, untilMs: atMs, attrs: { peerId: peer, topic } });
    if (down !== undefined && down.seq > up.seq) continue;
    members++;
    if (ownVictims.includes(peer)) return false;
    if (killedOrShifted(world, peer, up, atMs)) continue;
    if (cutOff?.cutBetween?.(nodeId, peer, atMs) === true) continue;
    return false;
  }
  return members > 0;
}

/**
 * Whether `peer` (id) was dead to the link `up` (the node's neighbor_up about it) stands for at
 * `atMs`: killed and not running again; NAT-shifted after `up`; or killed after `up` and running
 * again with no connection to the node since. A restarted process holds none of its old
 * connections, so the link runs on a connection dead at the far end until the node idles it out
 * (under `silent`, 30 s), as after a NAT shift: a random layout under `--chaos 21` (full
 * profile, seed 99797) had a restart_node take a broker's last live neighbour at 32.0 s, back at
 * 35.2 s through its own seed; the broker held the old connection until 60.0 s, and the burst
 * kill that had taken its other neighbours owed it a probe it could not get.
 */
function killedOrShifted(world: ChaosWorld, peer: string, up: SpanRecord, atMs: number): boolean {
  const q = world.spans;
  const peerName = nameOf(world, peer);
  const shifted = q.last({ name: 'chaos.primitive.applied', untilMs: atMs, attrs: { name: 'nat_shift', targets: peerName } });
  if (shifted !== undefined && shifted.seq > up.seq) return true; // its path died with the old address
  const killed = q.last({ name: 'sim.node.killed', untilMs: atMs, attrs: { targets: peerName } });
  if (killed === undefined) return false;
  if (incarnationStartSeq(world, peerName, atMs) <= killed.seq) return true; // not respawned since its kill
  if (killed.seq < up.seq) return false; // taken up after the kill: a connection to the new process
  return !q.find({ name: 'mesh.peer.connected', node: up.node, sinceMs: killed.endMs, untilMs: atMs, attrs: { peerId: peer } }).some((c) => c.seq > killed.seq);
}

/**
 * `node`'s failed dials in [sinceMs, untilMs] when there was at least one, it made no connection
 * in that time, and every one of them went to a peer other events had cut off from it (`cut`,
 * asked at the dial's start and at its end); else none. Such a node could reach nobody it tried:
 * showing it rejoin is the other events' evidence, once they let go, and the heal window still
 * judges that it does.
 */
export function dialsHeldByOthers(world: ChaosWorld, node: string, sinceMs: number, untilMs: number, cut: (peer: string, atMs: number) => boolean): readonly SpanRecord[] {
  const q = world.spans;
  const name = nameOf(world, node);
  if (q.find({ name: 'mesh.peer.connected', node: name, sinceMs, untilMs }).length > 0) return [];
  const failed = q.find({ name: 'mesh.peer.dial_failed', node: name, sinceMs, untilMs });
  const dialMs = world.timers.dialTimeoutMs;
  const held = (s: SpanRecord): boolean => {
    const peer = String(s.attrs.peerId);
    return cut(peer, s.endMs) || cut(peer, Math.max(sinceMs, s.endMs - dialMs));
  };
  return failed.length > 0 && failed.every(held) ? failed : [];
}

/**
 * Appends `items` to `out` one by one: `out.push(...items)` passes each item as an argument, and
 * a call takes at most about 120,000 of them (a probe's deliveries in a mesh larger than that
 * ended the run in a RangeError).
 */
export function appendAll<T>(out: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]);
}

export function passed(waitedMs: number, evidence: readonly SpanRecord[]): Detection {
  return { verdict: { result: 'passed', waitedMs }, evidence };
}

export function failedAssertion(waitedMs: number, message: string, evidence: readonly SpanRecord[] = []): Detection {
  return { verdict: { result: 'failed_assertion', waitedMs, message }, evidence };
}

export function timeoutVerdict(waitedMs: number): Verdict {
  return { result: 'failed_timeout', waitedMs };
}

/**
 * Whether `nodeId` was itself disturbed in [fromMs, toMs]: another chaos event named it
 * (chaos.primitive.applied) in that window, or before it and was reverted only in it or later
 * (its damage went on into the window), or it lost a connection to silence (`silenceDeath`).
 * Detectors use it to avoid blaming their own fault for what another fault explains (e.g. a
 * node cut off for 30 s rightly prunes others). disk-full under `--chaos 20`, seed 4738: a gateway
 * NAT-shifted at 45.0 s lost its old paths to resets at 74.9 s and had no neighbour until it
 * rejoined at 94.3 s; at 95.05 s it pruned a broker skewed at 58.8 s, whose digests it could not
 * have heard since 65 s. The shift was reverted (its detection over) at 75.5 s.
 */
export function disturbed(world: ChaosWorld, nodeId: string, fromMs: number, toMs: number): boolean {
  const q = world.spans;
  const name = nameOf(world, nodeId);
  if (silenceDeath(world, name, fromMs, toMs) !== undefined) return true;
  const named = q.find({ name: 'chaos.primitive.applied', untilMs: toMs }).filter((s) => String(s.attrs.targets).split(',').includes(name));
  if (named.some((s) => s.endMs >= fromMs)) return true;
  if (named.length === 0) return false;
  const applied = new Set(named.map((s) => s.spanId));
  const revertedBefore = new Set(q.find({ name: 'chaos.primitive.reverted', untilMs: fromMs - 1 }).filter((r) => applied.has(r.parentSpanId ?? '')).map((r) => r.parentSpanId));
  return named.some((s) => !revertedBefore.has(s.spanId));
}

/** Whether `nodeId` started a new incarnation (mesh.node.ready) since `sinceMs`: its old connections and views died with it, silently. */
export function restartedSince(world: ChaosWorld, nodeId: string, sinceMs: number): boolean {
  return emitted(world, nodeId, 'mesh.node.ready', sinceMs) !== undefined;
}

/**
 * Whether `nodeId` had left before `atMs` by its own spans: its last mesh.node.stopping up to
 * then came after its last mesh.node.ready (a node leaving says goodbye; a killed one says
 * nothing and is not counted here).
 */
export function stoppedBefore(world: ChaosWorld, nodeId: string, atMs: number): boolean {
  const name = nameOf(world, nodeId);
  const stopping = world.spans.last({ name: 'mesh.node.stopping', node: name, untilMs: atMs });
  if (stopping === undefined) return false;
  const ready = world.spans.last({ name: 'mesh.node.ready', node: name, untilMs: atMs });
  return ready === undefined || ready.seq < stopping.seq;
}

/**
 * Whether, by its own spans, `observer` held `nodeId`'s digest at `atMs`: it learned it in its
 * current incarnation and has not pruned it since.
 */
export function holdsDigest(world: ChaosWorld, observer: string, nodeId: string, atMs: number): boolean {
  const q = world.spans;
  const learned = q.last({ name: 'mesh.digest.learned', node: observer, untilMs: atMs, attrs: { nodeId } });
  if (learned === undefined || learned.seq < incarnationStartSeq(world, observer, atMs)) return false;
  const pruned = q.find({ name: 'mesh.staleness.pruned', node: observer, sinceMs: learned.endMs, untilMs: atMs }).some((s) => s.seq > learned.seq && prunedIncludes(s, nodeId));
  return !pruned;
}

/**
 * Whether the connection `node`'s link to `peer` ran on at `atMs` may have been one the peer
 * dialled (its spans say so), the kind a stateful inbound firewall on `node` cuts: its latest
 * mesh.peer.connected about the peer is inbound, or the latest is outbound and the node also
 * took in a dial of the peer's while its own was under way. Then both ends dialled at once:
 * there are two connections, and traffic runs on the one with the higher id, which the spans do
 * not name — the inbound one may be it (clock-skew-60s under `--chaos 20`, seed 2006:
 * broker-975f467a and bridge-fcd13623 dialled each other at 42.0 s; the broker's span for its
 * outbound end came 4 ms after the inbound one, and the link still idled out 30 s after the
 * broker's firewall went up). An inbound connection opened before the node's own dial could
 * have begun (a dial timeout before its end opened) is older, and the newer one carries the
 * link (kill-node under `--chaos 20`, seed 4025: a firewalled gateway dialled a compute and a
 * registry 4.3 s after its firewall went up and kept both links, beside inbound connections to
 * them from before it that idled out without a span).
 */
export function inboundAt(world: ChaosWorld, node: string, peer: string, atMs: number): boolean {
  return latestConnections(world, node, peer, atMs).some((c) => c.attrs.direction === 'inbound');
}

/**
 * Whether `node`'s link to `peer` at `atMs` ran beside a second connection the other way: both
 * ends had dialled at once (`inboundAt`), so there were two connections, one each end dialled.
 */
export function crossedAt(world: ChaosWorld, node: string, peer: string, atMs: number): boolean {
  const around = latestConnections(world, node, peer, atMs);
  return around.some((c) => c.attrs.direction === 'inbound') && around.some((c) => c.attrs.direction !== 'inbound');
}

/**
 * `node`'s mesh.peer.connected spans about `peer` that may be live beside its latest one at
 * `atMs` (the latest last): those since it last lost the peer and no more than a dial timeout
 * before the latest. Empty when it never connected to the peer.
 */
function latestConnections(world: ChaosWorld, node: string, peer: string, atMs: number): SpanRecord[] {
  const q = world.spans;
  const name = nameOf(world, node);
  const latest = q.last({ name: 'mesh.peer.connected', node: name, untilMs: atMs, attrs: { peerId: peer } });
  if (latest === undefined) return [];
  const lost = q.find({ name: 'mesh.peer.disconnected', node: name, untilMs: latest.endMs, attrs: { peerId: peer } }).filter((d) => d.seq < latest.seq).at(-1);
  const dialFromMs = Math.max(lost?.endMs ?? 0, latest.endMs - world.timers.dialTimeoutMs);
  const around = q.find({ name: 'mesh.peer.connected', node: name, sinceMs: dialFromMs, untilMs: latest.endMs, attrs: { peerId: peer } }).filter((c) => (lost === undefined || c.seq > lost.seq) && c.seq <= latest.seq);
  return around.at(-1)?.seq === latest.seq ? around : [...around, latest];
}
