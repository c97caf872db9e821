/**
 * The known-peers cache of a node that rejoins through it (`rejoinFromPeerCache`): every node
 * whose digest it has heard, with the topics it heard it on, kept after the staleness pruner
 * has dropped the digest and written to the data dir, so that it outlives a restart. A node
 * whose seeds all fail dials these peers instead (mesh/node.ts, `rejoinFromCache`), as a
 * deployment rejoins the members its last snapshot listed.
 *
 * Bounded: beyond `capacity` the least recently heard entry goes, and `evicted` counts it (a
 * node sheds, never crashes). A peer whose dial failed is forgotten (`forget`) until it is
 * heard again, so a cache of dead peers is tried once each, not every check for good.
 */
import type { NodeId } from '../protocol/messages.js';

export class PeerCache {
  /** Least recently heard first (hearing a peer moves it to the end); the value: when it was last heard on each topic, ms (-Infinity: read back from disk). */
  private readonly entries = new Map<NodeId, Map<string, number>>();
  /** Entries dropped to make room while the cache was full. */
  evicted = 0;

  constructor(
    private readonly self: NodeId,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** `peer`'s digest was heard on `meshId` at `atMs` (local time). */
  heard(peer: NodeId, meshId: string, atMs: number): void {
    if (peer === this.self) return;
    const topics = this.entries.get(peer);
    if (topics !== undefined) {
      this.entries.delete(peer);
      topics.set(meshId, Math.max(atMs, topics.get(meshId) ?? -Infinity));
      this.entries.set(peer, topics);
      return;
    }
    if (this.entries.size >= this.capacity) this.evictLeastRecentlyHeard();
    this.entries.set(peer, new Map([[meshId, atMs]]));
  }

  forget(peer: NodeId): void {
    this.entries.delete(peer);
  }

  /** Peers heard on `meshId`, most recently heard first, that `skip` (given when each was last heard there) does not rule out. */
  peersOn(meshId: string, skip: (peer: NodeId, heardAtMs: number) => boolean): NodeId[] {
    const out: NodeId[] = [];
    for (const [peer, topics] of this.entries) {
      const atMs = topics.get(meshId);
      if (atMs !== undefined && !skip(peer, atMs)) out.push(peer);
    }
    return out.reverse();
  }

  /** The file's contents: `[[nodeId, [meshId…]], …]`, least recently heard first (times are this life's, not written). */
  encode(): string {
    return JSON.stringify([...this.entries].map(([peer, topics]) => [peer, [...topics.keys()]]));
  }

  /**
   * Take in a file `encode` wrote (read back at a restart). Contents of another shape (the
   * digest-id list a node without the cache writes, or damage) are ignored entry by entry;
   * returns how many entries were taken.
   */
  load(text: string): number {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return 0;
    }
    if (!Array.isArray(value)) return 0;
    let taken = 0;
    for (const entry of value) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) continue;
      for (const meshId of entry[1]) {
        if (typeof meshId !== 'string') continue;
        this.heard(entry[0], meshId, -Infinity);
      }
      if (this.entries.has(entry[0])) taken++;
    }
    return taken;
  }

  private evictLeastRecentlyHeard(): void {
    for (const peer of this.entries.keys()) {
      this.entries.delete(peer);
      this.evicted++;
      return;
    }
  }
}
