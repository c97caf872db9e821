/**
 * Digest gossip (SPEC §2.3): the node's own digest, built every tick and always recorded in
 * its own table (gossip does not echo to the sender); per topic, a broadcast when anything but
 * the clock changed and at least every 30 s; digests heard from others recorded on LOCAL
 * receive time; and the staleness pruner that drops entries not heard from for the TTL.
 * It decides what to send and what to record; the node does the sending.
 */
import type { NodeContext } from '../sim/node-host.js';
import type { MeshNodeConfig } from './config.js';
import { DigestTable } from './digests.js';
import { digestChanged, type Digest } from './payload.js';
import type { PeerTable } from './peers.js';

/** What the gossip remembers per topic about its last broadcast. */
export interface DigestSendState {
  lastDigest: Digest | null;
  lastDigestSentMs: number;
}

export class DigestGossip {
  readonly table: DigestTable;
  private seq = 0;
  /** Highest `seq` heard per node, kept past prunes: the `dropDigestsBelowSeenSeq` bug only (made on its first use, not per node). */
  private seenSeq: Map<string, number> | null = null;

  constructor(
    private readonly ctx: NodeContext,
    private readonly config: MeshNodeConfig,
    private readonly peers: PeerTable,
  ) {
    this.table = new DigestTable(ctx.identity.nodeId, config.digestTableMax);
  }

  /** Build this node's digest now and record it in its own table. */
  recordOwn(): Digest {
    const digest = this.build();
    this.table.record(digest, this.ctx.nowMs());
    return digest;
  }

  /** Whether `digest` is due on a topic: it changed since the last send, or the forced interval passed. */
  due(state: DigestSendState, digest: Digest, nowMs: number): boolean {
    return nowMs - state.lastDigestSentMs >= this.config.digestForcedIntervalMs || digestChanged(state.lastDigest, digest);
  }

  /** Record a digest heard on `meshId`; a node learned (or re-learned) is a `mesh.digest.learned` span. */
  heard(meshId: string, digest: Digest): void {
    if (digest.nodeId === this.ctx.identity.nodeId) return;
    if (this.config.variant.dropDigestsBelowSeenSeq === true && this.belowSeenSeq(digest)) return;
    if (this.table.record(digest, this.ctx.nowMs())) {
      this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.digest.learned', { topic: meshId, nodeId: digest.nodeId, nodeName: digest.name });
    }
  }

  /** The staleness pruner: drop entries not heard from for the TTL (local receive time). */
  prune(): void {
    if (this.config.variant.disablePruner) return;
    const ttl = this.config.stalenessTtlMs;
    const clock = { nowMs: this.ctx.nowMs(), wallMs: this.ctx.clock.wallMs() };
    const removed = this.table.prune(clock, ttl, this.config.variant.stalenessBySenderWallClock === true);
    if (removed.length === 0) return;
    this.ctx.telemetry.emit(this.ctx.identity.name, 'mesh.staleness.pruned', { removed: removed.length, stalenessMs: ttl, nodeIds: removed.join(',') });
  }

  /** Whether `digest` is not newer than the highest `seq` heard from its node (and notes its `seq` if it is). */
  private belowSeenSeq(digest: Digest): boolean {
    this.seenSeq ??= new Map();
    const seen = this.seenSeq.get(digest.nodeId);
    if (seen !== undefined && digest.seq <= seen) return true;
    this.seenSeq.set(digest.nodeId, digest.seq);
    return false;
  }

  private build(): Digest {
    const { identity } = this.ctx;
    const peerIds = this.peers.connectedPeers();
    const connections = this.peers.connectionCount();
    return {
      nodeId: identity.nodeId,
      name: identity.name,
      meshId: identity.meshId,
      nodeType: identity.role,
      peerCount: peerIds.length,
      peerIds,
      framesSent: this.peers.framesSent,
      framesReceived: this.peers.framesReceived,
      wallTimeMs: this.ctx.clock.wallMs(),
      cpuUsedPermille: Math.min(1000, 20 + 7 * connections),
      ramUsedBytes: 48 * 1024 * 1024 + 1024 * this.table.size,
      cpuBudgetPermille: 1000,
      ramBudgetBytes: 512 * 1024 * 1024,
      seq: this.seq++,
    };
  }
}
