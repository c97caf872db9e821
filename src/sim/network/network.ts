/**
 * The simulated network's public surface: bind nodes, look up addresses, and turn every fault
 * knob at run time — per-direction link state, partition/repair, the stateful inbound firewall
 * and NAT remapping — each with a named inverse; and a node's death, crash or vanish, whose
 * inverse is bind (a restart), with what its peers hear set by config.deadPeer. Built from a
 * scheduler, the run's RNG streams and a config whose defaults are in DEFAULT_NETWORK_CONFIG.
 * It must not own app logic or read real time.
 */
import { assert } from '../assert.js';
import type { RngStreams } from '../rng.js';
import type { Scheduler } from '../scheduler.js';
import type { Connection } from './connection.js';
import { Endpoint } from './endpoint.js';
import {
  DEFAULT_NETWORK_CONFIG,
  type Address,
  type DeadPeer,
  type EndpointOwner,
  type LinkState,
  type NetworkConfig,
  type NetworkStats,
  type NodeKey,
} from './types.js';
import { Wire, type NodeEntry } from './wire.js';

const DEAD_PEER_MODES: readonly DeadPeer[] = ['silent', 'reset', 'close'];

/** Addresses are 10.x.y.z:7000, handed out in order and never reused (2^24 of them). */
const ADDRESS_COUNT_MAX = 1 << 24;

export class Network {
  readonly config: Readonly<NetworkConfig>;
  private readonly wire: Wire;
  /** Partitions in force per unordered node pair (see `partition`). */
  private readonly partitions = new Map<string, number>();
  private nextAddressIndex = 1;

  constructor(scheduler: Scheduler, rng: RngStreams, config: Partial<NetworkConfig> = {}) {
    this.config = Object.freeze({ ...DEFAULT_NETWORK_CONFIG, ...config });
    const c = this.config;
    assert(c.keepAliveMs > 0 && c.idleTimeoutMs > 0 && c.dialTimeoutMs > 0, 'timeouts must be positive');
    assert(c.sendBufferBytes > 0, 'sendBufferBytes must be positive');
    assert(c.rtoMinMs > 0 && c.rtoMaxMs >= c.rtoMinMs, 'need 0 < rtoMinMs <= rtoMaxMs');
    assert(DEAD_PEER_MODES.includes(c.deadPeer), `unknown deadPeer ${String(c.deadPeer)}`);
    this.wire = new Wire(scheduler, rng, this.config);
  }

  get stats(): Readonly<NetworkStats> {
    return this.wire.stats;
  }

  /**
   * Bind `node` (again, after a restart): any previous endpoint of the node is closed silently,
   * and its host is up (again). The address stays the same unless remapped. `onIncoming` runs
   * via the owner's deliver(). Inverse: crash or vanish.
   */
  bind(node: NodeKey, owner: EndpointOwner, onIncoming: (conn: Connection) => void): Endpoint {
    const e = this.entryOrCreate(node);
    e.endpoint?.closeSilently();
    const ep = new Endpoint(this.wire, node, owner, onIncoming, e);
    e.endpoint = ep;
    e.hostUp = true;
    return ep;
  }

  /**
   * The node's process dies on a live host: its endpoint closes silently, and its peers then
   * hear what config.deadPeer says — nothing ('silent'); a reset in answer to their next packet
   * ('reset'); and under 'close' also, at once, one reset per connection the process had, as a
   * kernel closes a dead process's sockets (each heard one link latency later, unless lost or
   * blocked). Its host keeps answering until the node is bound again. Inverse: bind.
   */
  crash(node: NodeKey): void {
    const e = this.wire.entry(node);
    const ep = e.endpoint;
    if (ep === null || ep.closed) return;
    assert(e.hostUp, `${node} crashed on a host that is down`);
    // Collected before the silent close empties the tables. A dial whose handshake has not
    // reached its peer yet has no far end to close: its peer hears the reset to its answer.
    const ends = this.config.deadPeer === 'close' ? [...ep.conns.values(), ...ep.pendingDials] : [];
    const far = ends.filter((c) => c.peer !== null);
    ep.closeSilently();
    for (const c of far) this.wire.sendReset(node, c.peer!, c.remoteAddr);
  }

  /** The node's host is gone: its endpoint closes silently and nothing answers for it, whatever deadPeer says. Inverse: bind. */
  vanish(node: NodeKey): void {
    const e = this.wire.entry(node);
    e.hostUp = false;
    e.endpoint?.closeSilently();
  }

  /** Whether the node's host is up: bound and not vanished (its process may have crashed). */
  hostUp(node: NodeKey): boolean {
    return this.wire.nodes.get(node)?.hostUp ?? false;
  }

  /** The node's current endpoint, or null if it was never bound. */
  endpointOf(node: NodeKey): Endpoint | null {
    return this.wire.nodes.get(node)?.endpoint ?? null;
  }

  addressOf(node: NodeKey): Address {
    return this.wire.entry(node).address;
  }

  setLink(from: NodeKey, to: NodeKey, patch: Partial<LinkState>): void {
    this.wire.link(from, to).patch(patch);
  }

  link(from: NodeKey, to: NodeKey): Readonly<LinkState> {
    return this.wire.link(from, to).state;
  }

  /** Put one direction back to DEFAULT_LINK (its queue and random stream continue); a partition still held stays. */
  resetLink(from: NodeKey, to: NodeKey): void {
    this.wire.link(from, to).reset();
    if (this.partitionsHeld(from, to) > 0) this.setLink(from, to, { blocked: true });
  }

  /**
   * Block both directions between a and b. Inverse: repair. Partitions are counted per pair,
   * so overlapping faults compose: the pair is blocked until every partition of it is repaired.
   */
  partition(a: NodeKey, b: NodeKey): void {
    const key = pairKey(a, b);
    const held = (this.partitions.get(key) ?? 0) + 1;
    this.partitions.set(key, held);
    if (held > 1) return;
    this.setLink(a, b, { blocked: true });
    this.setLink(b, a, { blocked: true });
  }

  /** Release one partition of a and b; the pair unblocks when none is left (other link knobs stay). */
  repair(a: NodeKey, b: NodeKey): void {
    const key = pairKey(a, b);
    const held = this.partitions.get(key) ?? 0;
    if (held === 0) return; // nothing to repair: idempotent
    if (held > 1) {
      this.partitions.set(key, held - 1);
      return;
    }
    this.partitions.delete(key);
    this.setLink(a, b, { blocked: false });
    this.setLink(b, a, { blocked: false });
  }

  /** How many partitions of the pair are in force. */
  partitionsHeld(a: NodeKey, b: NodeKey): number {
    return this.partitions.get(pairKey(a, b)) ?? 0;
  }

  /** Stateful: drops packets of connections `node` did not initiate, new dials to it included. */
  setInboundFirewall(node: NodeKey, enabled: boolean): void {
    this.entryOrCreate(node).firewallInbound = enabled;
  }

  inboundFirewall(node: NodeKey): boolean {
    return this.wire.nodes.get(node)?.firewallInbound ?? false;
  }

  /**
   * NAT: give `node` a fresh address. Existing connections' paths break both ways (packets to the
   * old address are dropped, and the node's packets from the new one are not recognized); new
   * dials resolve the new address.
   */
  remapAddress(node: NodeKey): Address {
    const e = this.wire.entry(node);
    e.address = this.newAddress();
    return e.address;
  }

  /** Nodes known to the directory, in the order they were first seen. */
  nodes(): readonly NodeKey[] {
    return Array.from(this.wire.nodes.keys());
  }

  private entryOrCreate(node: NodeKey): NodeEntry {
    let e = this.wire.nodes.get(node);
    if (e === undefined) {
      e = { address: this.newAddress(), endpoint: null, firewallInbound: false, hostUp: false };
      this.wire.nodes.set(node, e);
    }
    return e;
  }

  private newAddress(): Address {
    const i = this.nextAddressIndex++;
    assert(i < ADDRESS_COUNT_MAX, 'address space exhausted');
    return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:7000`;
  }
}

/** Unordered pair key for partition counts. */
function pairKey(a: NodeKey, b: NodeKey): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
