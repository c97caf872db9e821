/**
 * A mesh node: the substrate of SPEC §2.3 around one HyParView + Plumtree machine per topic.
 *
 * It owns the node's side effects — connections, timers, spans, disk — and feeds the pure
 * protocol machines events, carrying out the effects they return. It reads its identity back
 * from its data dir on restart, gossips digests, prunes stale ones on local receive time, emits
 * heartbeats, dials seeds with backoff and re-probes them when it looks cut off.
 * It must not reach into other nodes: everything it learns arrives over the network.
 */
import { decodeEnvelope, sharedEnvelopeFrame } from '../protocol/codec.js';
import type { Frame } from '../protocol/framer.js';
import type { MessageId, NodeId, TopicId } from '../protocol/messages.js';
import { describeDecodeError } from '../protocol/result.js';
import { createTopic, handleTopic, type TopicEffect, type TopicEvent, type TopicState, type TopicTimer } from '../protocol/topic.js';
import { activeView, isNeeded, passiveView } from '../protocol/hyparview.js';
import type { HyParViewState } from '../protocol/hyparview-state.js';
import { messageIdOf } from '../protocol/message-id.js';
import { lendChunk, type Connection } from '../sim/network/index.js';
import type { NodeApp, NodeContext } from '../sim/node-host.js';
import type { EventId, Task } from '../sim/scheduler.js';
import type { SpanContextRef } from '../sim/telemetry/index.js';
import type { MeshNodeConfig } from './config.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { DigestGossip, type DigestSendState } from './digest-gossip.js';
import type { DigestTable } from './digests.js';
import { NodeDisk } from './node-disk.js';
import { decodePayloadOf, encodePayload } from './payload.js';
import { PeerCache } from './peer-cache.js';
import { PeerTable, type PeerInfo, type PeerListener } from './peers.js';
import { SeedDialer } from './seed-dialer.js';
import { topicIdOf } from './topic-id.js';

export interface SeedSpec {
  readonly nodeId: NodeId;
  /** Mesh ids (topics) this node joins through the seed. */
  readonly meshIds: readonly string[];
}

export interface MeshNodeSpec {
  /** Mesh ids this node subscribes to (its own first). */
  readonly meshIds: readonly string[];
  readonly seeds: readonly SeedSpec[];
  /**
   * Seeds dialled only to rejoin, never at boot: the seed check (full profile) dials one when
   * its topics look cut off, as it does a seed. For a topic the node has no seed on because it
   * was the first there (nobody to dial at boot), so that it is not alone there for good once
   * its neighbours are gone. Default: none.
   */
  readonly rejoinSeeds?: readonly SeedSpec[];
  readonly config: MeshNodeConfig;
  /**
   * Where the node notes its deliveries to catch a repeat: one ledger for all the nodes of a
   * simulation keeps a bit per (node, message). Default: a ledger of the node's own. It is the
   * harness's record, not a channel: a node reads and writes only its own readers' bits.
   */
  readonly deliveries?: DeliveryLedger;
}

interface TopicRuntime extends DigestSendState {
  readonly meshId: string;
  readonly state: TopicState;
  /** This topic's reader in the ledger of deliveries (duplicate detection). */
  readonly reader: number;
  /** Plumtree's one graft timer as armed last, until it fires or is cancelled. */
  graftTimer: ArmedTimer | null;
  /** HyParView's one NeighborTimeout as armed last, until it fires or is cancelled. */
  neighborTimer: ArmedTimer | null;
  /** The contact of the Join this topic sent last, until it answers (`isUsed`). */
  joinContact: NodeId | null;
  /** When that Join was sent, virtual ms. */
  joinSentAtMs: number;
}

interface ArmedTimer {
  readonly fire: TopicTimerFire;
  readonly event: EventId;
}

/** Which of the runtime's slots holds `timer` while armed: the two timers a machine cancels, one of each per topic. */
function cancellableSlot(timer: TopicTimer): 'graftTimer' | 'neighborTimer' | null {
  if (timer.machine === 'plumtree') return timer.timer.type === 'SendGraft' ? 'graftTimer' : null;
  return timer.timer.type === 'NeighborTimeout' ? 'neighborTimer' : null;
}

/**
 * When the unused-connection sweep that looks at a reason given at `nowMs` runs: the first sweep
 * at least `graceMs` later. Sweeps fall every `sweepMs` at a phase of the node's own (a hash of
 * its id), as the timers of separate machines do. With one phase for every node, both ends of a
 * connection nobody used closed it in the same millisecond and both Closes crossed: 1.7 Close
 * packets per connection opened in a 10,000-node boot. Now the first Close usually arrives
 * before the other end's sweep, which then finds the connection gone.
 */
export function unusedSweepDueMs(nodeId: string, nowMs: number, graceMs: number, sweepMs: number): number {
  return sweepDueMs(unusedSweepPhaseMs(nodeId, sweepMs), nowMs, graceMs, sweepMs);
}

/** The node's sweep phase (see `unusedSweepDueMs`): a node works it out once, not per reason. */
function unusedSweepPhaseMs(nodeId: string, sweepMs: number): number {
  let h = 0x811c9dc5; // FNV-1a over the id's characters
  for (let i = 0; i < nodeId.length; i++) h = Math.imul(h ^ nodeId.charCodeAt(i), 0x01000193) >>> 0;
  return h % sweepMs;
}

function sweepDueMs(phaseMs: number, nowMs: number, graceMs: number, sweepMs: number): number {
  return Math.ceil((nowMs + graceMs - phaseMs) / sweepMs) * sweepMs + phaseMs;
}

export class MeshNode implements NodeApp, PeerListener {
  readonly topics = new Map<TopicId, TopicRuntime>();
  readonly peers: PeerTable;
  private readonly gossip: DigestGossip;
  private readonly disk: NodeDisk;
  /** The peers to rejoin through when every seed fails (`rejoinFromPeerCache`); null without it. */
  readonly peerCache: PeerCache | null;
  /** Deliveries of every topic, by reader (`TopicRuntime.reader`); see MeshNodeSpec.deliveries. */
  readonly deliveries: DeliveryLedger;
  duplicateDeliveries = 0;
  foreignPayloads = 0;
  /** Messages Plumtree gave up on after every IHave advertiser failed (`mesh.plumtree.gave_up`). */
  messagesGivenUp = 0;
  private readonly seedDialers: SeedDialer[] = [];
  /** The topics a seed check's dial of seed i rejoins when not all of the seed's (`rejoinSeeds`, stranded topics). */
  private readonly rejoinOnly = new Map<number, readonly string[]>();
  /** What each of `seedDialers` dials: the seeds, then the rejoin seeds. */
  private readonly seedsDialled: readonly SeedSpec[];
  /**
   * Peers to look at for an unused connection, by the sweep that will (its time on the node's
   * clock, ms). One timer per sweep, however many peers and reasons it gathers, as a connection
   * pool's reaper does: a node booting into 4,000 others had ~140 reasons, most of them within
   * a second of another, and each used to arm its own timer (docs/performance.md, round 9).
   */
  private readonly unusedSweeps = new Map<number, Set<string>>();
  /** This node's sweep phase, ms (`unusedSweepPhaseMs`). */
  private readonly unusedSweepPhase: number;
  /** When each topic last sent a Join (see `joinTopicThrough`), virtual ms. */
  private readonly lastJoinAtMs = new Map<TopicId, number>();
  private stopped = false;
  /** Topics with a dial to a cached peer in flight (`rejoinFromCache`). */
  private readonly cacheDials = new Set<string>();
  /** A seed check is armed (`checkSeedsLater`: the profile without the periodic one). */
  private seedCheckArmed = false;
  /** `dispatch`'s memo of its last topic and runtime (a map lookup less per event). */
  private lastTopic: TopicId | null = null;
  private lastRuntime: TopicRuntime | undefined = undefined;
  private readonly name: string;
  private readonly startedAtMs: number;

  constructor(
    readonly ctx: NodeContext,
    readonly spec: MeshNodeSpec,
  ) {
    const { identity, telemetry } = ctx;
    this.name = identity.name;
    this.unusedSweepPhase = unusedSweepPhaseMs(identity.nodeId, spec.config.unusedConnectionSweepMs);
    this.startedAtMs = ctx.nowMs();
    this.deliveries = spec.deliveries ?? new DeliveryLedger();
    const full = spec.config.profile === 'full';
    const hello = full ? ({ type: 'Hello', meshId: identity.meshId, nodeType: identity.role } as const) : null;
    // The node is its peer table's listener itself: a frame reaches it without passing through
    // an object of closures (three more objects to fetch from memory per frame received).
    this.peers = new PeerTable(ctx, spec.config, hello, this);
    this.gossip = new DigestGossip(ctx, spec.config, this.peers);
    this.disk = new NodeDisk(ctx, spec.config.variant);
    telemetry.registerResource({ nodeName: identity.name, nodeId: identity.nodeId, nodeType: identity.role, meshId: identity.meshId });
    this.disk.loadIdentity();
    this.peerCache = full && spec.config.rejoinFromPeerCache ? new PeerCache(identity.nodeId, spec.config.digestTableMax) : null;
    const cachedPeers = this.peerCache === null ? null : this.peerCache.load(this.disk.readPeerCache() ?? '[]');
    for (const meshId of spec.meshIds) {
      const topic = topicIdOf(meshId);
      this.topics.set(topic, {
        meshId,
        state: createTopic(topic, identity.nodeId, { ...spec.config.topic, repairOneSidedLinks: !spec.config.variant.disableOneSidedRepair }),
        lastDigest: null,
        lastDigestSentMs: -Infinity,
        reader: this.deliveries.addReader(),
        graftTimer: null,
        neighborTimer: null,
        joinContact: null,
        joinSentAtMs: 0,
      });
    }
    telemetry.emit(this.name, 'mesh.node.ready', {
      nodeId: identity.nodeId,
      nodeName: identity.name,
      nodeType: identity.role,
      meshId: identity.meshId,
      incarnation: ctx.incarnation,
      identity: this.disk.identitySource,
      ...(cachedPeers === null ? {} : { cachedPeers }),
    });
    if (full) {
      this.gossip.recordOwn();
      this.every(spec.config.digestIntervalMs, () => this.digestTick());
      this.every(spec.config.heartbeatIntervalMs, () => this.heartbeatTick());
      this.every(spec.config.persistIntervalMs, () => this.persistTick());
    }
    // The pruner tick also has the ledger forget old deliveries, in both profiles.
    this.every(spec.config.prunerIntervalMs, () => this.prunerTick());
    this.seedsDialled = [...spec.seeds, ...(spec.rejoinSeeds ?? [])];
    for (const [i, seed] of this.seedsDialled.entries()) {
      // With the peer cache, a seed's failed dial asks the cache at once: the dial that shows
      // every seed of a topic failing is when a cut-off node turns to it, not the next seed check.
      const onFailed = this.peerCache === null ? undefined : () => this.stopped || this.rejoinFromCache(this.ctx.nowMs() - this.startedAtMs > spec.config.stalenessTtlMs);
      const dialer = new SeedDialer(seed.nodeId, ctx, spec.config, this.peers, () => this.joinThrough(seed, this.rejoinOnly.get(i)), onFailed);
      this.seedDialers.push(dialer);
    }
    for (let i = 0; i < spec.seeds.length; i++) this.seedDialers[i].start(); // rejoin seeds wait for the seed check
    if (full && !spec.config.variant.disableSeedRejoin) this.every(spec.config.seedCheckIntervalMs, () => this.rejoinSeeds(true));
  }

  // ---- NodeApp ----
  onIncoming(conn: Connection): void {
    if (this.spec.config.variant.refuseInbound) {
      conn.close();
      return;
    }
    this.peers.accept(conn);
    this.closeLaterIfUnused(conn.remote);
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.telemetry.emit(this.name, 'mesh.node.stopping', { reason });
    for (const topic of this.topics.keys()) this.dispatch(topic, { kind: 'quit' });
  }

  // ---- public read model (for the harness's checker and workloads) ----
  /** The digests this node holds (its own included). */
  get digests(): DigestTable {
    return this.gossip.table;
  }

  /** Where this incarnation's identity came from. */
  get identitySource(): 'data-dir' | 'new' {
    return this.disk.identitySource;
  }

  activeView(meshId: string): readonly NodeId[] {
    const rt = this.topics.get(topicIdOf(meshId));
    return rt === undefined ? [] : activeView(rt.state.hyparview);
  }

  /**
   * Every peer this node could ask to get back onto a topic, as far as it knows now: its active
   * and passive views there, its seeds and rejoin seeds for it, and with the peer cache the
   * cache's peers on it; sorted, no repeats. The harness's stranded diagnosis reads it
   * (scenario/overlay-parts.ts).
   */
  knownOn(meshId: string): NodeId[] {
    const rt = this.topics.get(topicIdOf(meshId));
    if (rt === undefined) return [];
    const out = new Set<NodeId>([...activeView(rt.state.hyparview), ...passiveView(rt.state.hyparview)]);
    for (const seed of this.seedsDialled) if (seed.meshIds.includes(meshId)) out.add(seed.nodeId);
    if (this.peerCache !== null) for (const peer of this.peerCache.peersOn(meshId, () => false)) out.add(peer);
    return [...out].sort();
  }

  topicState(meshId: string): TopicState | undefined {
    return this.topics.get(topicIdOf(meshId))?.state;
  }

  /**
   * Broadcast a liveness probe on a topic (the harness's workload), padded with zero bytes to
   * about `sizeBytes` when given (a probe is never smaller than its bare encoding).
   */
  broadcastProbe(meshId: string, probeId: string, sizeBytes?: number): void {
    const topic = topicIdOf(meshId);
    if (!this.topics.has(topic) || this.stopped) return;
    const probe = { probeId, origin: this.ctx.identity.nodeId };
    const bare = encodePayload({ kind: 'probe', probe });
    // The pad's own length header takes 1-2 bytes; sizes within a few bytes of bare stay bare.
    const padBytes = sizeBytes === undefined ? 0 : sizeBytes - bare.length - 2;
    const content = padBytes > 0 ? encodePayload({ kind: 'probe', probe: { ...probe, padBytes } }) : bare;
    // The message id lets payload receipts (tallied by id) be matched to the probe.
    this.ctx.telemetry.emit(this.name, 'mesh.probe.sent', { topic: meshId, probeId, messageId: messageIdOf(content), sizeBytes: content.length });
    this.broadcast(topic, content);
  }

  // ---- protocol plumbing ----
  private dispatch(topic: TopicId, event: TopicEvent): void {
    // The topic of the last event first: a node has one or two, and topics are never removed.
    const rt = topic === this.lastTopic ? this.lastRuntime : this.topics.get(topic);
    if (rt === undefined) return;
    this.lastTopic = topic;
    this.lastRuntime = rt;
    const effects = handleTopic(rt.state, event, this.ctx.nowMs(), this.ctx.rng);
    // What one event sends one peer leaves in one chunk (PeerTable.hold).
    this.peers.hold();
    try {
      for (const effect of effects) this.apply(topic, rt, effect, event);
    } finally {
      this.peers.release();
    }
  }

  private apply(topic: TopicId, rt: TopicRuntime, effect: TopicEffect, event: TopicEvent): void {
    const tel = this.ctx.telemetry;
    switch (effect.kind) {
      case 'send':
        if (effect.message.type === 'Graft') tel.emit(this.name, 'mesh.plumtree.graft', { topic: rt.meshId, peerId: effect.to });
        if (effect.message.type === 'Prune') tel.emit(this.name, 'mesh.plumtree.prune', { topic: rt.meshId, peerId: effect.to });
        if (effect.message.type === 'Neighbor') tel.emit(this.name, 'mesh.gossip.neighbor_request', { topic: rt.meshId, peerId: effect.to, priority: effect.message.priority });
        this.peers.send(effect.to, sharedEnvelopeFrame({ topic, message: effect.message }, lendChunk));
        break;
      case 'neighborUp':
        if (rt.joinContact === effect.peer) rt.joinContact = null; // the Join's answer
        tel.emit(this.name, 'mesh.gossip.neighbor_up', { topic: rt.meshId, peerId: effect.peer });
        break;
      case 'neighborDown':
        if (rt.joinContact === effect.peer) rt.joinContact = null;
        // Every down carries its cause; a lost connection also carries the connection's reason.
        tel.emit(this.name, 'mesh.gossip.neighbor_down', {
          topic: rt.meshId,
          peerId: effect.peer,
          cause: effect.cause,
          ...(effect.cause === 'peer-down' && event.kind === 'peerDown' && event.reason !== undefined ? { reason: event.reason } : {}),
        });
        this.closeLaterIfUnused(effect.peer);
        break;
      case 'disconnect':
        this.closeLaterIfUnused(effect.peer);
        break;
      case 'timer': {
        const fire = new TopicTimerFire(this, topic, effect.timer);
        const event = this.ctx.setTimer(effect.delayMs, fire);
        const slot = cancellableSlot(effect.timer);
        if (slot !== null) rt[slot] = { fire, event };
        break;
      }
      case 'cancelTimer': {
        // The one armed last of its kind (a machine keeps one of each armed at a time).
        const slot = cancellableSlot(effect.timer);
        if (slot === null) break;
        const armed = rt[slot];
        if (armed !== null) this.ctx.cancelTimer(armed.event);
        rt[slot] = null;
        break;
      }
      case 'deliver':
        this.onDeliver(rt, effect.id, effect.content, effect.from, effect.round);
        break;
      case 'rejected':
        tel.emit(this.name, 'mesh.gossip.rejected', { topic: rt.meshId, reason: effect.reason });
        break;
      case 'gaveUp':
        this.messagesGivenUp++;
        tel.emit(this.name, 'mesh.plumtree.gave_up', { topic: rt.meshId, messageId: effect.id, reason: effect.reason });
        break;
    }
  }

  private broadcast(topic: TopicId, content: Uint8Array): void {
    const rt = this.topics.get(topic)!;
    if (this.ctx.telemetry.traceEnabled) {
      this.ctx.telemetry.emit(this.name, 'mesh.gossip.broadcast', { topic: rt.meshId, sizeBytes: content.length }, { level: 'trace' });
    }
    this.dispatch(topic, { kind: 'broadcast', content });
  }

  /** `hop` is Plumtree's round: how many links the payload crossed to reach this node. */
  private onDeliver(rt: TopicRuntime, id: MessageId, content: Uint8Array, from: NodeId | null, hop: number): void {
    if (from === null) return; // own broadcast
    const nowMs = this.ctx.nowMs();
    if (this.deliveries.record(rt.reader, id, nowMs)) this.duplicateDeliveries++;
    const tel = this.ctx.telemetry;
    const payload = decodePayloadOf(id, content); // id: Plumtree checked it is the content's SHA-256
    if (tel.traceEnabled) {
      const origin = payload === null ? '' : payload.kind === 'digest' ? payload.digest.nodeId : payload.probe.origin;
      tel.emit(this.name, 'mesh.gossip.received', { topic: rt.meshId, from, origin, kind: payload?.kind ?? 'foreign' }, { level: 'trace' });
    }
    if (payload === null) {
      this.foreignPayloads++;
      return;
    }
    if (payload.kind === 'digest') {
      this.gossip.heard(rt.meshId, payload.digest);
      this.peerCache?.heard(payload.digest.nodeId, rt.meshId, this.ctx.nowMs());
      return;
    }
    tel.emit(this.name, 'mesh.probe.delivered', { topic: rt.meshId, probeId: payload.probe.probeId, origin: payload.probe.origin, from, hop });
  }

  /** @internal A protocol timer is due (`TopicTimerFire`). */
  fireTopicTimer(topic: TopicId, timer: TopicTimer, fire: TopicTimerFire): void {
    const slot = cancellableSlot(timer);
    if (slot !== null) {
      const rt = this.topics.get(topic);
      if (rt !== undefined && rt[slot]?.fire === fire) rt[slot] = null; // the armed one fired
    }
    this.dispatch(topic, { kind: 'timer', timer });
  }

  /** @internal PeerListener. */
  onControlFrame(peer: string, frame: Frame): void {
    const decoded = decodeEnvelope(frame);
    if (!decoded.ok) {
      this.ctx.telemetry.emit(this.name, 'mesh.frame.decode_failed', { error: describeDecodeError(decoded.error), peerId: peer });
      return;
    }
    const message = decoded.value.message;
    // Every payload received counts, duplicates included (the papers' RMR is built on it).
    if (message.type === 'Gossip') this.ctx.telemetry.tally('mesh.gossip.payload_received', message.id);
    this.dispatch(decoded.value.topic, { kind: 'message', from: peer, message });
  }

  /** @internal PeerListener. */
  onHello(peer: string, info: PeerInfo, parent: SpanContextRef): void {
    const own = this.ctx.identity.meshId;
    if (info.meshId === own) return;
    this.ctx.telemetry.emit(
      this.name,
      'mesh.cross.peer_connected',
      { peerId: peer, ownMeshId: own, peerMeshId: info.meshId, peerNodeType: info.nodeType },
      { parent },
    );
  }

  /**
   * @internal PeerListener. A connection this node opened, to send something no topic keeps
   * (a ShuffleReply, an introduction), is swept here as an accepted one is at the other end:
   * each end closes what it does not use. Left to the acceptor's sweep alone, its close is one
   * packet, and when it was lost the dialer kept the connection alive until its next keep-alive
   * drew a reset (two meshes of 100 gateways at 30 % loss: 3 of seeds 1-20 held one 14-16 s).
   */
  onDialed(peer: string): void {
    this.closeLaterIfUnused(peer);
  }

  /** @internal PeerListener. */
  onPeerLost(peer: string, reason: string): void {
    if (this.spec.config.variant.redialLostPeers && (reason === 'idle-timeout' || reason === 'dial-timeout') && !this.stopped) {
      this.peers.connect(peer, () => {});
    }
    if (this.spec.config.variant.disablePeerDown) return;
    for (const topic of this.topics.keys()) this.dispatch(topic, { kind: 'peerDown', peer, reason });
    this.checkSeedsLater();
  }

  /**
   * Without the periodic seed check (the `protocol` profile, whose nodes hold no digests to
   * miss), a peer loss that leaves a topic with an empty active view, or stranded on one
   * neighbour with nobody to refill from (`strandedFrom`), arms one check a seed-check interval
   * later, which rejoins through the seeds of every topic still cut off or stranded then. A joiner
   * whose contact closed their connection before the Join got through (at 30 % loss, five lost
   * attempts in 4 s) had no other way back: a bridge has one seed per mesh, and it stayed off
   * that mesh for good (docs/performance.md, round 47). The interval is also the backoff between
   * rounds when each rejoin's connection is lost again. Armed on a loss only, never per node
   * and period: at 10,000 nodes a tick would be 1,000 events per virtual second. Stranded: two
   * brokers of a 12-node mesh under `--chaos 18` (protocol profile, seed 93945) held only each
   * other once their other neighbours' old incarnations idled out, with empty passive views, for
   * the last 40 s of the run and its heal window, though both their seeds were up.
   */
  private checkSeedsLater(): void {
    const { profile, seedCheckIntervalMs, variant } = this.spec.config;
    if (this.seedCheckArmed || this.stopped || profile === 'full' || variant.disableSeedRejoin) return;
    const strandedToo = variant.disableStrandedRejoin !== true;
    let cutOff = false;
    for (const rt of this.topics.values()) {
      const hv = rt.state.hyparview;
      if (hv.active.length === 0 || (strandedToo && isStranded(hv))) cutOff = true;
    }
    if (!cutOff) return;
    this.seedCheckArmed = true;
    this.ctx.setTimer(seedCheckIntervalMs, () => {
      this.seedCheckArmed = false;
      if (!this.stopped) this.rejoinSeeds(false);
    });
  }

  private joinThrough(seed: { nodeId: NodeId; meshIds: readonly string[] }, only?: readonly string[]): void {
    for (const meshId of only ?? seed.meshIds) this.joinTopicThrough(topicIdOf(meshId), seed.nodeId);
    this.closeLaterIfUnused(seed.nodeId);
  }

  /**
   * Join `topic` through one contact at a time (HyParView paper §4.2), not through every seed at
   * once as iroh-gossip does: each Join sets off ForwardJoin walks whose ends take the joiner in,
   * evicting a neighbour each, so a second contact doubled a join's churn (a 4,000-node boot
   * had 376 events per node with two contacts each, 212 with this rule). A seed that answers
   * within `joinFallbackMs` of the last Join waits out the rest of it, then is joined through
   * only if the topic's active view is still not full: the contact died or the Join was lost,
   * or the mesh is small enough that the walks came back to nodes the joiner already had (in
   * meshes of 8, one contact left views too sparse to survive the kill of 3 nodes).
   */
  private joinTopicThrough(topic: TopicId, seed: NodeId): void {
    const fallbackMs = this.spec.config.joinFallbackMs;
    const nowMs = this.ctx.nowMs();
    const lastMs = this.lastJoinAtMs.get(topic);
    if (fallbackMs > 0 && lastMs !== undefined && nowMs - lastMs < fallbackMs) {
      this.ctx.setTimer(lastMs + fallbackMs - nowMs, () => {
        if (this.stopped || this.activeViewFull(topic)) return;
        this.joinTopicThrough(topic, seed);
        this.closeLaterIfUnused(seed);
      });
      return;
    }
    const rt = this.topics.get(topic);
    if (rt === undefined) return;
    this.lastJoinAtMs.set(topic, nowMs);
    // A Join to a neighbour already taken up changes nothing in the view: no answer to wait for.
    rt.joinContact = rt.state.hyparview.active.includes(seed) ? null : seed;
    rt.joinSentAtMs = nowMs;
    this.ctx.telemetry.emit(this.name, 'mesh.gossip.join', { topic: rt.meshId, peerId: seed });
    this.dispatch(topic, { kind: 'join', contacts: [seed] });
  }

  private activeViewFull(topic: TopicId): boolean {
    const hv = this.topics.get(topic)?.state.hyparview;
    return hv === undefined || hv.active.length >= hv.config.activeViewCapacity;
  }

  /**
   * A topic holds the peer active or has a Neighbor request to it in flight (HyParView's own
   * `isNeeded`): a sweep for an older reason that closed the connection a refill had just asked
   * on let the peer take this node up and lose it ~10 ms later to the Close, and lost the request
   * (2 per 30 s of protocol-1k). Every way a request ends gives the sweep a new reason.
   */
  private isUsed(peer: string): boolean {
    // A Join not yet answered (its contact not yet taken up) waits for the answer, a round trip
    // away, as a Neighbor request does, for a grace at most: a sweep due for an older reason
    // closed the connection a seed check had just joined through (at 400 ms a hop the Join was
    // 112 ms old), and a bridge whose only peer on the bridge topic was that seed rejoined three
    // seed checks late (a random layout, seed 92185). The Join's own sweep comes a grace after it.
    const { unusedConnectionGraceMs: graceMs, variant } = this.spec.config;
    const waitsForJoins = variant.sweepUnansweredJoins !== true;
    const nowMs = this.ctx.nowMs();
    for (const rt of this.topics.values()) {
      if (isNeeded(rt.state.hyparview, peer)) return true;
      if (waitsForJoins && rt.joinContact === peer && nowMs - rt.joinSentAtMs < graceMs) return true;
    }
    return false;
  }

  /** Has the first sweep at least the grace from now close the connection to `peer` unless a topic uses it then. */
  private closeLaterIfUnused(peer: string): void {
    const { unusedConnectionGraceMs: graceMs, unusedConnectionSweepMs: sweepMs, variant } = this.spec.config;
    if (variant.keepUnusedConnections) return;
    const nowMs = this.ctx.nowMs();
    const dueMs = sweepDueMs(this.unusedSweepPhase, nowMs, graceMs, sweepMs);
    let peers = this.unusedSweeps.get(dueMs);
    if (peers === undefined) {
      this.unusedSweeps.set(dueMs, (peers = new Set()));
      this.ctx.setTimer(dueMs - nowMs, () => this.sweepUnused(dueMs));
    }
    peers.add(peer);
  }

  /** Closes the connections of the sweep's peers that no topic uses, in the order they were added. */
  private sweepUnused(dueMs: number): void {
    const peers = this.unusedSweeps.get(dueMs)!;
    this.unusedSweeps.delete(dueMs);
    for (const peer of peers) {
      const unused = this.spec.config.variant.closeUsedConnections === true || !this.isUsed(peer);
      if (unused && this.peers.isConnected(peer)) this.peers.close(peer, 'unused');
    }
  }

  // ---- periodic behaviours ----
  private every(intervalMs: number, fn: () => void): void {
    const tick = (): void => {
      if (this.stopped) return;
      fn();
      this.ctx.setTimer(intervalMs, tick);
    };
    this.ctx.setTimer(intervalMs, tick);
  }

  /** Every 2 s per topic: broadcast the digest if anything changed, and at least every 30 s. */
  private digestTick(): void {
    const digest = this.gossip.recordOwn();
    const nowMs = this.ctx.nowMs();
    for (const [topic, rt] of this.topics) {
      if (!this.gossip.due(rt, digest, nowMs)) continue;
      if (activeView(rt.state.hyparview).length === 0) continue;
      rt.lastDigest = digest;
      rt.lastDigestSentMs = nowMs;
      this.broadcast(topic, encodePayload({ kind: 'digest', digest }));
    }
  }

  private prunerTick(): void {
    const nowMs = this.ctx.nowMs();
    this.deliveries.forget(nowMs);
    if (this.spec.config.profile === 'full') this.gossip.prune();
  }

  private heartbeatTick(): void {
    const tel = this.ctx.telemetry;
    tel.emit(this.name, 'mesh.heartbeat', {
      peerCount: this.peers.connectedPeers().length,
      wallTimeMs: this.ctx.clock.wallMs(),
      clockSkewMs: this.ctx.clock.skewMs(),
    });
    if (this.ctx.identity.role !== 'bridge') return;
    for (const rt of this.topics.values()) {
      if (rt.meshId === this.ctx.identity.meshId) continue;
      tel.emit(this.name, 'mesh.bridge.per_mesh_heartbeat', { meshId: rt.meshId, peerCount: activeView(rt.state.hyparview).length });
    }
  }

  private persistTick(): void {
    this.disk.persist(this.peerCache === null ? JSON.stringify(this.digests.nodeIds()) : this.peerCache.encode());
  }

  /**
   * Re-probe seeds when cut off from their overlay: a topic with an empty active view, or (with
   * `byDigest`, the full profile's periodic check) a seed whose digest has not been heard for the
   * staleness TTL (e.g. after a partition healed: one Join through the seed re-merges the two
   * halves); both rejoin every topic of the seed's. The periodic check also rejoins, through a
   * seed, only the topics of its where this node is stranded away from it (`strandedFrom`).
   */
  private rejoinSeeds(byDigest: boolean): void {
    const upLongEnough = this.ctx.nowMs() - this.startedAtMs > this.spec.config.stalenessTtlMs;
    for (const [i, dialer] of this.seedDialers.entries()) {
      if (dialer.busy) continue;
      const seed = this.seedsDialled[i];
      const isolated = seed.meshIds.some((m) => this.activeView(m).length === 0);
      const seedUnheard = byDigest && upLongEnough && !this.digests.has(seed.nodeId);
      if (isolated || seedUnheard) {
        this.rejoinOnly.delete(i);
        dialer.start();
        continue;
      }
      // The periodic check asks once the node is up for a TTL; the check a loss arms, at once.
      const stranded = (!byDigest || upLongEnough) && this.spec.config.variant.disableStrandedRejoin !== true ? seed.meshIds.filter((m) => this.strandedFrom(m, seed.nodeId)) : [];
      if (stranded.length > 0) {
        this.rejoinOnly.set(i, stranded);
        dialer.start();
      }
    }
    if (this.peerCache !== null) this.rejoinFromCache(upLongEnough);
  }

  /**
   * With `rejoinFromPeerCache`, at each seed check and at each failed seed dial: a topic cut off
   * from its overlay (an empty active view, or a seed of it unheard for the TTL) whose every
   * seed has failed since it last answered joins through one cached peer per call: the most
   * recently heard one not heard on that topic within the TTL (a peer whose digests arrive there
   * is on this node's side already; a bridge heard on its other topics may not be), no
   * neighbour, no seed. A failed dial forgets the peer until it is heard again. Without this,
   * survivors of a failure that killed every seed they had (the observer, the one universal
   * seed, or a registry's two) stayed apart for good though each had heard the other's digests
   * before it. Asked at the failed dial too, not only at the next check: a bridge whose mesh-a
   * neighbours and seeds a kill and a failure took 1 s apart turned to its cache 5 s after its
   * seeds failed, and a kill's closing round had timed out 0.6 s before (a sweep of the layout
   * in test/peer-cache.test.ts, seed 221).
   */
  private rejoinFromCache(upLongEnough: boolean): void {
    const cache = this.peerCache as PeerCache;
    for (const rt of this.topics.values()) {
      if (this.cacheDials.has(rt.meshId)) continue;
      let seedsFailing = true;
      let seedUnheard = false;
      for (const [i, dialer] of this.seedDialers.entries()) {
        const seed = this.seedsDialled[i];
        if (!seed.meshIds.includes(rt.meshId)) continue;
        if (dialer.failuresSinceAnswered === 0) seedsFailing = false;
        if (!this.digests.has(seed.nodeId)) seedUnheard = true;
      }
      const active = activeView(rt.state.hyparview);
      if (!seedsFailing || (active.length > 0 && !(upLongEnough && seedUnheard))) continue; // seeds answer, or not cut off
      const nowMs = this.ctx.nowMs();
      const ttlMs = this.spec.config.stalenessTtlMs;
      const peer = cache.peersOn(rt.meshId, (p, heardAtMs) => nowMs - heardAtMs <= ttlMs || active.includes(p) || this.seedsDialled.some((s) => s.nodeId === p))[0];
      if (peer === undefined) continue;
      const meshId = rt.meshId;
      this.cacheDials.add(meshId);
      this.ctx.telemetry.emit(this.name, 'mesh.peercache.rejoin', { topic: meshId, peerId: peer });
      this.peers.connect(peer, (ok) => {
        this.cacheDials.delete(meshId);
        if (this.stopped) return;
        if (ok) this.joinThrough({ nodeId: peer, meshIds: [meshId] });
        else cache.forget(peer);
      });
    }
  }

  /**
   * Whether this node holds one neighbour on `meshId`, not `seed`, and has nobody to refill from
   * (an empty passive view, no Neighbor request in flight). HyParView drops a failed peer from
   * both views (paper §4.3) and learns new ones only at the next Shuffle, which here goes to
   * that one neighbour, who may know nobody else either: the default layout's three-node
   * `bridge` topic, after both bridges were NAT-shifted 10 s apart, had the two bridges holding
   * each other and the observer alone for good (clock-skew-60s under `--chaos 20`, seed 405;
   * neither bridge was cut off, and each heard the observer's digest on its mesh topics).
   */
  private strandedFrom(meshId: string, seed: NodeId): boolean {
    const hv = this.topics.get(topicIdOf(meshId))?.state.hyparview;
    return hv !== undefined && isStranded(hv) && hv.active[0] !== seed;
  }
}

/** One neighbour, an empty passive view and no Neighbor request in flight: nobody to refill from. */
function isStranded(hv: HyParViewState): boolean {
  return hv.active.length === 1 && hv.passive.length === 0 && hv.pendingNeighbor.size === 0;
}

/**
 * A protocol timer as the scheduler holds it: the timer is the object, with no closure per timer
 * (a node arms one for most messages it receives: Plumtree's lazy-push dispatch and SendGraft).
 */
class TopicTimerFire implements Task {
  constructor(
    private readonly node: MeshNode,
    private readonly topic: TopicId,
    private readonly timer: TopicTimer,
  ) {}

  run(): void {
    this.node.fireTopicTimer(this.topic, this.timer, this);
  }
}
