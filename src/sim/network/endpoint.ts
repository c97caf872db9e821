/**
 * A node's binding to the network: dials, accepts (through `onIncoming`) and owns the table of
 * its open connection ends. A restart binds a new Endpoint; the old one is closed silently.
 * Closed connections leave the tables at once, so nothing grows without bound. This module must
 * not decide delivery (the wire does).
 */
import type { Connection } from './connection.js';
import type { Stream } from './stream.js';
import type { DialResult, EndpointOwner, NodeKey } from './types.js';
import type { NodeEntry, Wire } from './wire.js';

export class Endpoint {
  /** @internal Open connection ends by id, in opening order. */
  readonly conns = new Map<number, Connection>();
  /** @internal Dialer ends still in their handshake. */
  readonly pendingDials = new Set<Connection>();
  private closedValue = false;

  constructor(
    private readonly wire: Wire,
    readonly node: NodeKey,
    readonly owner: EndpointOwner,
    /** @internal */ readonly onIncoming: (conn: Connection) => void,
    /**
     * @internal The wire's record of this node (its address, firewall, host): the same object
     * for the node's whole run, held here so that a packet sent or arriving reads it without a
     * lookup in the wire's table of every node (two per packet, at 10,000 nodes a cold read each).
     */
    readonly entry: NodeEntry,
  ) {}

  /** True after close() or closeSilently(): no more sending, receiving or callbacks. */
  get closed(): boolean {
    return this.closedValue;
  }

  /**
   * Dial `peer` (resolved by node id to its current address, like discovery). `done` runs via
   * the owner's deliver(): after one RTT on success; 'reset' after one RTT when the peer's
   * process is dead on a live host and deadPeer is not 'silent'; 'timeout' after dialTimeoutMs
   * when the peer is otherwise unreachable; 'no-endpoint' (next event) when the peer was never
   * bound. On a closed endpoint nothing happens and `done` is never called (its owner is gone).
   */
  dial(peer: NodeKey, done: (r: DialResult) => void): void {
    this.wire.dial(this, peer, done);
  }

  /** Open connection ends, in opening order. */
  connections(): readonly Connection[] {
    return Array.from(this.conns.values());
  }

  /** The same ends without copying the table (for checks that visit every node each second). */
  eachConnection(): IterableIterator<Connection> {
    return this.conns.values();
  }

  /**
   * On kill: every connection goes silent, no close packet, no onClose. What peers learn then is
   * the network's business (Network.crash / vanish, by deadPeer).
   */
  closeSilently(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const conn of [...this.conns.values(), ...this.pendingDials]) conn.closeWith('endpoint-closed', false);
  }

  /** Graceful shutdown: each open connection sends CONNECTION_CLOSE and reports 'endpoint-closed'. */
  close(): void {
    if (this.closedValue) return;
    for (const conn of [...this.conns.values()]) conn.closeSending('endpoint-closed');
    for (const conn of [...this.pendingDials]) conn.closeWith('endpoint-closed', false);
    this.closedValue = true;
  }

  /** @internal Run an app callback through the owner, unless this endpoint is closed. */
  notify(fn: () => void): void {
    if (!this.closedValue) this.owner.deliver(fn);
  }

  /**
   * @internal `notify(() => s.onData(bytes))` without the closure when the owner would run it
   * at once anyway (see `EndpointOwner.deliver`): this runs once per data chunk received.
   * True when `onData` ran before this returned (not deferred, not dropped).
   */
  notifyData(s: Stream, bytes: Uint8Array): boolean {
    if (this.closedValue) return false;
    const owner = this.owner;
    if (owner.isUp() && owner.isResponsive()) {
      s.onData(bytes);
      return true;
    }
    owner.deliver(() => s.onData(bytes));
    return false;
  }
}
