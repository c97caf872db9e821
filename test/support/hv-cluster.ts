/**
 * A tiny in-memory harness for HyParView tests: N state machines wired together through one
 * synchronous FIFO message queue, a virtual clock and a timer list. No simulator, no network
 * model: a message is delivered in order, instantly, unless a test filter drops it.
 *
 * A send to a dead node either fails at once with a peerDown back to the sender (like a refused
 * dial; `deadPeers: 'refuse'`) or vanishes silently (`'blackhole'`, so timeouts must notice).
 */
import type { HyParViewMessage, NodeId } from '../../src/protocol/messages.js';
import type { Rng } from '../../src/protocol/rng.js';
import type { HyParViewConfig, HyParViewEffect, HyParViewEvent, HyParViewTimer } from '../../src/protocol/hyparview-types.js';
import { activeView, createHyParView, handleHyParView, passiveView, type HyParViewState } from '../../src/protocol/hyparview.js';
import { createTestRng } from './test-rng.js';

export interface HvNode {
  readonly id: NodeId;
  readonly state: HyParViewState;
  readonly rng: Rng;
  alive: boolean;
}

export interface HvClusterOptions {
  readonly seed: string;
  readonly config?: Partial<HyParViewConfig>;
  /** What a send to a dead node does. Default 'refuse'. */
  readonly deadPeers?: 'refuse' | 'blackhole';
  /** Safety limit on deliveries per drain. Default 200 000. */
  readonly maxStepsPerDrain?: number;
}

interface PendingTimer { readonly atMs: number; readonly seq: number; readonly node: NodeId; readonly timer: HyParViewTimer }
interface Delivery { readonly to: NodeId; readonly event: HyParViewEvent }

/** Node ids are 64 hex chars; the harness numbers them from 1. */
export function hvNodeId(index: number): NodeId {
  return (index + 1).toString(16).padStart(64, '0');
}

export class HvCluster {
  nowMs = 0;
  readonly nodes = new Map<NodeId, HvNode>();
  /** Every effect, in order, for assertions. */
  readonly effects: { readonly node: NodeId; readonly effect: HyParViewEffect }[] = [];
  /** Return true to drop a message silently. */
  dropIf: ((from: NodeId, to: NodeId, message: HyParViewMessage) => boolean) | null = null;
  private readonly queue: Delivery[] = [];
  private queueHead = 0;
  private timers: PendingTimer[] = [];
  private timerSeq = 0;

  constructor(private readonly options: HvClusterOptions) {}

  addNode(index: number): NodeId {
    const id = hvNodeId(index);
    if (this.nodes.has(id)) throw new Error(`node ${index} exists`);
    const node: HvNode = {
      id,
      state: createHyParView(id, this.options.config),
      rng: createTestRng(`${this.options.seed}/${index}`),
      alive: true,
    };
    this.nodes.set(id, node);
    return id;
  }

  node(id: NodeId): HvNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`unknown node ${id}`);
    return node;
  }

  liveIds(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.alive).map((n) => n.id);
  }

  active(id: NodeId): readonly NodeId[] { return activeView(this.node(id).state); }
  passive(id: NodeId): readonly NodeId[] { return passiveView(this.node(id).state); }

  /** Queues an event for a node; it runs on the next drain. */
  enqueue(to: NodeId, event: HyParViewEvent): void {
    this.queue.push({ to, event });
  }

  /** Runs one event now, outside the queue; returns its effects (already processed). */
  apply(id: NodeId, event: HyParViewEvent): HyParViewEffect[] {
    const node = this.node(id);
    if (!node.alive) return [];
    const effects = handleHyParView(node.state, event, this.nowMs, node.rng);
    for (const effect of effects) this.processEffect(id, effect);
    return effects;
  }

  join(id: NodeId, contacts: readonly NodeId[]): void {
    this.enqueue(id, { kind: 'join', contacts });
    this.drain();
  }

  /** Kills a node silently; its active neighbours get peerDown unless told otherwise. */
  kill(id: NodeId, notifyNeighbours = true): void {
    this.node(id).alive = false;
    if (!notifyNeighbours) return;
    for (const other of this.liveIds()) {
      if (this.active(other).includes(id)) this.enqueue(other, { kind: 'peerDown', peer: id });
    }
    this.drain();
  }

  /** Delivers queued events until the queue is empty. */
  drain(): void {
    const max = this.options.maxStepsPerDrain ?? 200_000;
    let steps = 0;
    while (this.queueHead < this.queue.length) {
      if (++steps > max) throw new Error(`no quiescence after ${max} deliveries at ${this.nowMs} ms`);
      const { to, event } = this.queue[this.queueHead++]!;
      this.apply(to, event);
    }
    this.queue.length = 0;
    this.queueHead = 0;
  }

  /** Moves the virtual clock forward by `durationMs`, firing timers in (time, arming) order. */
  advance(durationMs: number): void {
    const endMs = this.nowMs + durationMs;
    this.drain();
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.atMs > endMs) break;
      this.timers.shift();
      this.nowMs = next.atMs;
      this.apply(next.node, { kind: 'timer', timer: next.timer });
      this.drain();
    }
    this.nowMs = endMs;
  }

  /** Pairs (a, b) where b is in a's active view but a is not in b's (live nodes only). */
  asymmetries(): string[] {
    const problems: string[] = [];
    for (const a of this.liveIds()) {
      for (const b of this.active(a)) {
        const other = this.node(b);
        if (!other.alive || !activeView(other.state).includes(a)) problems.push(`${short(a)} -> ${short(b)}`);
      }
    }
    return problems;
  }

  /** True if the active views of the live nodes form one connected graph. */
  isConnected(): boolean {
    const live = this.liveIds();
    if (live.length === 0) return true;
    const seen = new Set<NodeId>([live[0]!]);
    const stack = [live[0]!];
    while (stack.length > 0) {
      for (const peer of this.active(stack.pop()!)) {
        if (!seen.has(peer) && this.node(peer).alive) {
          seen.add(peer);
          stack.push(peer);
        }
      }
    }
    return seen.size === live.length;
  }

  private processEffect(from: NodeId, effect: HyParViewEffect): void {
    this.effects.push({ node: from, effect });
    if (effect.kind === 'timer') {
      this.addTimer({ atMs: this.nowMs + effect.delayMs, seq: this.timerSeq++, node: from, timer: effect.timer });
    } else if (effect.kind === 'send') {
      const target = this.nodes.get(effect.to);
      if (target === undefined || !target.alive) {
        if ((this.options.deadPeers ?? 'refuse') === 'refuse') this.enqueue(from, { kind: 'peerDown', peer: effect.to });
      } else if (this.dropIf === null || !this.dropIf(from, effect.to, effect.message)) {
        this.enqueue(effect.to, { kind: 'message', from, message: effect.message });
      }
    }
  }

  private addTimer(timer: PendingTimer): void {
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.atMs > timer.atMs) i--;
    this.timers.splice(i, 0, timer);
  }
}

export function short(id: NodeId): string {
  return id.replace(/^0+/, '') || '0';
}
