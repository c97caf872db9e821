/**
 * A node's use of its data dir: the identity file (read back on restart, written on first
 * boot and retried until it is on disk) and the periodic known-peers cache (read back on
 * restart only by a node that rejoins through it: `rejoinFromPeerCache`). A failed write is
 * a `mesh.disk.write_failed` span and the node keeps running; the first success after
 * failures is a `mesh.disk.write_recovered` span. It must never throw on a full disk.
 */
import { assert } from '../sim/assert.js';
import type { NodeContext } from '../sim/node-host.js';
import type { NodeVariant } from './config.js';
import { readIdentity, writeIdentity } from './identity.js';

const PEERS_PATH = 'peers.json';
/** One encoder for every persist (a TextEncoder per call was a needless allocation). */
const utf8 = new TextEncoder();

export class NodeDisk {
  /** Where this incarnation's identity came from: read back from the data dir, or new (first boot or never saved). */
  identitySource: 'data-dir' | 'new' = 'new';
  /** Whether the identity file is known to be on disk; a failed first write is retried by `persist`. */
  private identitySaved = false;
  private failing = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly variant: NodeVariant,
  ) {}

  /**
   * Read the identity back from the data dir (a restart); on first boot, or when an earlier
   * write never made it to disk (disk full), write it now — a failure is a span and `persist`
   * retries it.
   */
  loadIdentity(): void {
    const own = this.ctx.identity;
    const stored = readIdentity(this.ctx.dataDir);
    if (stored !== null) {
      assert(stored.nodeId === own.nodeId && stored.name === own.name, `${own.name}: data dir holds the identity of ${stored.name}`);
      this.identitySource = 'data-dir';
      this.identitySaved = true;
      return;
    }
    const result = writeIdentity(this.ctx.dataDir, own);
    this.identitySaved = result.ok;
    if (!result.ok) this.ctx.telemetry.emit(own.name, 'mesh.disk.write_failed', { path: result.path, freeBytes: result.freeBytes });
  }

  /** The known-peers cache as the last persist left it, or null when there is none (first boot, or never saved). */
  readPeerCache(): string | null {
    const bytes = this.ctx.dataDir.read(PEERS_PATH);
    return bytes === undefined ? null : new TextDecoder().decode(bytes);
  }

  /** Persist the known-peers cache, `contents` (an atomic replace, so a full disk fails it) and, until saved, the identity. */
  persist(contents: string): void {
    if (this.failing && this.variant.disableDiskRetry) return;
    const name = this.ctx.identity.name;
    if (!this.identitySaved) this.identitySaved = writeIdentity(this.ctx.dataDir, this.ctx.identity).ok;
    const result = this.ctx.dataDir.writeAtomic(PEERS_PATH, utf8.encode(contents));
    if (!result.ok) {
      this.ctx.telemetry.emit(name, 'mesh.disk.write_failed', { path: PEERS_PATH, freeBytes: result.freeBytes });
      this.failing = true;
    } else if (this.failing) {
      this.failing = false;
      this.ctx.telemetry.emit(name, 'mesh.disk.write_recovered', { path: PEERS_PATH });
    }
  }
}
