/**
 * A tiny synchronous in-memory harness for Plumtree tests: N state machines, one queue of
 * pending events ordered by (virtual time, sequence), per-direction link delays, an optional
 * drop filter standing in for loss, and timer effects fired on the virtual clock.
 * Neighbours are wired by hand (`connect` sends neighborUp to both ends); there is no HyParView.
 * It is a test fixture, not the simulator: no bandwidth, no connections, no partitions.
 */
import {
  createPlumtree,
  eagerPeers,
  handlePlumtree,
  type PlumtreeState,
} from '../../src/protocol/plumtree.js';
import type { MessageId, NodeId, PlumtreeMessage } from '../../src/protocol/messages.js';
import type { PlumtreeConfig, PlumtreeEffect, PlumtreeEvent } from '../../src/protocol/plumtree-types.js';
import type { Rng } from '../../src/protocol/rng.js';
import { ptRng } from './pt-rng.js';

export interface Delivery {
  readonly node: NodeId;
  readonly id: MessageId;
  readonly from: NodeId | null;
  readonly round: number;
  readonly atMs: number;
}

export interface SentRecord {
  readonly atMs: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: PlumtreeMessage;
  readonly dropped: boolean;
  /** When it reaches `to` (unless dropped), ms. */
  readonly arrivesAtMs: number;
}

export type DropFilter = (from: NodeId, to: NodeId, message: PlumtreeMessage, atMs: number) => boolean;

interface Pending {
  readonly atMs: number;
  readonly seq: number;
  readonly node: NodeId;
  readonly event: PlumtreeEvent;
}

export interface PtClusterOptions {
  /** One-way delay of every link unless overridden, ms. Default 10. */
  readonly delayMs?: number;
  readonly config?: Partial<PlumtreeConfig>;
  readonly seed?: string;
}

export class PtCluster {
  nowMs = 0;
  readonly nodes = new Map<NodeId, PlumtreeState>();
  readonly deliveries: Delivery[] = [];
  readonly sent: SentRecord[] = [];
  readonly rejections: { node: NodeId; reason: string }[] = [];
  /** `cancelTimer` effects applied (each drops the node's latest queued timer of that kind). */
  cancelledTimers = 0;
  dropIf: DropFilter | null = null;
  private readonly delayMs: number;
  private readonly linkDelayMs = new Map<string, number>();
  private readonly queue: Pending[] = [];
  private seq = 0;
  private readonly rng: Rng;

  constructor(ids: readonly NodeId[], options: PtClusterOptions = {}) {
    this.delayMs = options.delayMs ?? 10;
    this.rng = ptRng(options.seed ?? 'pt-cluster');
    for (const id of ids) this.nodes.set(id, createPlumtree(id, options.config));
  }

  state(node: NodeId): PlumtreeState {
    const s = this.nodes.get(node);
    if (s === undefined) throw new Error(`unknown node ${node}`);
    return s;
  }

  /** Sets the one-way delay from `from` to `to` (and back, unless `oneWay`). */
  setDelay(from: NodeId, to: NodeId, delayMs: number, oneWay = false): void {
    this.linkDelayMs.set(`${from}>${to}`, delayMs);
    if (!oneWay) this.linkDelayMs.set(`${to}>${from}`, delayMs);
  }

  connect(a: NodeId, b: NodeId): void {
    this.inject(a, { kind: 'neighborUp', peer: b });
    this.inject(b, { kind: 'neighborUp', peer: a });
  }

  disconnect(a: NodeId, b: NodeId): void {
    this.inject(a, { kind: 'neighborDown', peer: b });
    this.inject(b, { kind: 'neighborDown', peer: a });
  }

  broadcast(node: NodeId, content: Uint8Array): PlumtreeEffect[] {
    return this.inject(node, { kind: 'broadcast', content });
  }

  /** Hands one event to a node now and carries out its effects. */
  inject(node: NodeId, event: PlumtreeEvent): PlumtreeEffect[] {
    const effects = handlePlumtree(this.state(node), event, this.nowMs, this.rng);
    for (const effect of effects) this.apply(node, effect);
    return effects;
  }

  runUntil(untilMs: number): void {
    while (this.queue.length > 0 && this.queue[0].atMs <= untilMs) {
      const next = this.queue.shift()!;
      this.nowMs = next.atMs;
      this.inject(next.node, next.event);
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  runFor(durationMs: number): void {
    this.runUntil(this.nowMs + durationMs);
  }

  deliveriesOf(id: MessageId): Delivery[] {
    return this.deliveries.filter((d) => d.id === id);
  }

  sentOfType(type: PlumtreeMessage['type']): SentRecord[] {
    return this.sent.filter((r) => r.message.type === type);
  }

  /** Undirected links that are eager at both ends, as sorted "a-b" strings. */
  eagerEdges(): string[] {
    const edges: string[] = [];
    for (const [a, s] of this.nodes) {
      for (const b of eagerPeers(s)) {
        if (a < b && eagerPeers(this.state(b)).includes(a)) edges.push(`${a}-${b}`);
      }
    }
    return edges.sort();
  }

  /** Directed eager entries whose other end does not agree. */
  asymmetricEagerLinks(): string[] {
    const links: string[] = [];
    for (const [a, s] of this.nodes) {
      for (const b of eagerPeers(s)) if (!eagerPeers(this.state(b)).includes(a)) links.push(`${a}>${b}`);
    }
    return links;
  }

  private apply(node: NodeId, effect: PlumtreeEffect): void {
    switch (effect.kind) {
      case 'send': {
        const dropped = this.dropIf?.(node, effect.to, effect.message, this.nowMs) ?? false;
        const delayMs = this.linkDelayMs.get(`${node}>${effect.to}`) ?? this.delayMs;
        this.sent.push({ atMs: this.nowMs, from: node, to: effect.to, message: effect.message, dropped, arrivesAtMs: this.nowMs + delayMs });
        if (!dropped) this.enqueue(this.nowMs + delayMs, effect.to, { kind: 'message', from: node, message: effect.message });
        break;
      }
      case 'deliver':
        this.deliveries.push({ node, id: effect.id, from: effect.from, round: effect.round, atMs: this.nowMs });
        break;
      case 'timer':
        this.enqueue(this.nowMs + effect.delayMs, node, { kind: 'timer', timer: effect.timer });
        break;
      case 'cancelTimer': {
        // The node's timer of this kind armed last: the latest queued one.
        let i = -1;
        this.queue.forEach((q, at) => {
          if (q.node === node && q.event.kind === 'timer' && q.event.timer === effect.timer) i = at;
        });
        if (i >= 0) this.queue.splice(i, 1);
        this.cancelledTimers++;
        break;
      }
      case 'rejected':
        this.rejections.push({ node, reason: effect.reason });
        break;
    }
  }

  private enqueue(atMs: number, node: NodeId, event: PlumtreeEvent): void {
    const item: Pending = { atMs, seq: this.seq++, node, event };
    // Binary search for the first item later than (atMs, seq): FIFO among equal times.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid].atMs <= atMs) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }
}
