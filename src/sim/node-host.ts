/**
 * The process a virtual node runs in: lifecycle (start, kill, restart, graceful stop), wedging,
 * timers owned by the node, its clock and its data dir.
 *
 * A kill loses all process state at once: every timer the old incarnation armed dies, and its
 * endpoint closes without a goodbye. Incarnations are numbered by start: 1 for the first life,
 * 2 after the first restart, and so on. A kill is a 'crash'
 * (the process dies on a live host; what peers hear follows the network's deadPeer, silence by
 * default) or a 'vanish' (the host is gone: always silence). The clock and the data dir belong
 * to the machine and survive restarts. While wedged, nothing runs: inbound work
 * and expiring timers queue up (bounded) and run, late, on unwedge.
 * The host must not know what the application does; it only runs the callbacks it is handed.
 */
import { assert } from './assert.js';
import { NodeClock } from './clock/node-clock.js';
import { DataDir } from './data-dir.js';
import type { Endpoint, EndpointOwner, Connection, KillMode, Network } from './network/index.js';
import type { RngStreams, SimRng } from './rng.js';
import { runEvent, type SimEvent, type EventId, type Scheduler, type Task } from './scheduler.js';
import { HARNESS_NODE, type Telemetry } from './telemetry/index.js';

export interface NodeIdentity {
  readonly nodeId: string;
  readonly name: string;
  readonly role: string;
  readonly meshId: string;
}

/** What a node's application hands back to its host when started. */
export interface NodeApp {
  /** A peer opened a connection to this node. */
  onIncoming(conn: Connection): void;
  /** Graceful stop: say goodbye (spans, close connections). Not called on kill. */
  stop(reason: string): void;
}

export interface NodeContext {
  readonly identity: NodeIdentity;
  readonly incarnation: number;
  readonly clock: NodeClock;
  /** This incarnation's random stream (a restart gets a new one). */
  readonly rng: SimRng;
  readonly endpoint: Endpoint;
  readonly dataDir: DataDir;
  readonly telemetry: Telemetry;
  nowMs(): number;
  /**
   * A timer owned by this incarnation: it dies with a kill and fires late if the node is wedged.
   * `fn` is a function, or a task (an object whose `run` is called): a node that arms timers at
   * every message can make the timer itself the object, with no closure per timer. `delayMs`
   * is whole virtual milliseconds, 0 or more (virtual time has no finer grain): a fraction or a
   * negative delay is refused with an error naming it.
   */
  setTimer(delayMs: number, fn: SimEvent): EventId;
  cancelTimer(id: EventId): void;
}

export type AppFactory = (ctx: NodeContext) => NodeApp;

export interface NodeHostDeps {
  readonly scheduler: Scheduler;
  readonly network: Network;
  readonly telemetry: Telemetry;
  readonly rng: RngStreams;
  /** Told after every change of a host's status (start, stop, wedge, unwedge); see `Cluster.statusEpoch`. */
  readonly statusChanged?: () => void;
}

export interface NodeHostOptions {
  /** Data dir capacity, bytes. Default 1 MiB. */
  readonly diskCapacityBytes?: number;
  /**
   * Inbound callbacks queued while wedged before more are dropped. Default 10 000. Timers are
   * always kept: a process that stops answering loses what arrives for it, not its own timers
   * (a node arms a bounded number of them, and a dropped one could silence it for good: a
   * protocol that arms a timer only when none is armed would wait for it forever).
   */
  readonly wedgeBacklogMax?: number;
}

export type NodeStatus = 'stopped' | 'running' | 'wedged';

export class NodeHost implements EndpointOwner {
  readonly clock: NodeClock;
  readonly dataDir: DataDir;
  private statusValue: NodeStatus = 'stopped';
  private app: NodeApp | null = null;
  private endpoint: Endpoint | null = null;
  private readonly backlog: SimEvent[] = [];
  private readonly backlogMax: number;
  /** Inbound callbacks dropped because the wedge backlog was full. */
  droppedWhileWedged = 0;
  /** Lives started so far; a timer or backlog item of an earlier life never runs in a later one. */
  private incarnationValue = 0;

  constructor(
    private readonly deps: NodeHostDeps,
    readonly identity: NodeIdentity,
    private readonly factory: AppFactory,
    options: NodeHostOptions = {},
  ) {
    this.clock = new NodeClock(deps.scheduler);
    this.dataDir = new DataDir(options.diskCapacityBytes ?? 1024 * 1024);
    this.backlogMax = options.wedgeBacklogMax ?? 10_000;
  }

  get status(): NodeStatus {
    return this.statusValue;
  }

  private setStatus(status: NodeStatus): void {
    this.statusValue = status;
    this.deps.statusChanged?.();
  }

  /** Which life this is: 1 after the first start, 2 after the first restart; 0 before any start. */
  get incarnation(): number {
    return this.incarnationValue;
  }

  get backlogLength(): number {
    return this.backlog.length;
  }

  // ---- EndpointOwner ----
  isUp(): boolean {
    return this.statusValue !== 'stopped';
  }

  isResponsive(): boolean {
    return this.statusValue === 'running';
  }

  /** Inbound work: runs now while running, queues while wedged (dropped once the backlog is full), dropped while stopped. */
  deliver(fn: () => void): void {
    this.runOrQueue(fn, false);
  }

  /** A timer of life `incarnation` is due: it runs unless that life is over; while wedged it always queues (see `wedgeBacklogMax`). */
  fire(incarnation: number, fn: SimEvent): void {
    if (this.incarnationValue === incarnation) this.runOrQueue(fn, true);
  }

  /** Runs `fn` now while running, queues it while wedged, drops it while stopped. */
  private runOrQueue(fn: SimEvent, timer: boolean): void {
    if (this.statusValue === 'running') runEvent(fn);
    else if (this.statusValue === 'wedged') this.enqueue(fn, timer);
  }

  // ---- lifecycle ----
  start(): void {
    assert(this.statusValue === 'stopped', `${this.identity.name} is already running`);
    const incarnation = ++this.incarnationValue;
    this.setStatus('running');
    this.endpoint = this.deps.network.bind(this.identity.nodeId, this, (conn) => this.app?.onIncoming(conn));
    // The context's functions capture the scheduler itself: `nowMs` runs at every event a node
    // handles, and through the host and its deps it read two more objects from memory each time.
    const scheduler = this.deps.scheduler;
    const ctx: NodeContext = {
      identity: this.identity,
      incarnation,
      clock: this.clock,
      rng: this.deps.rng.fork(`node:${this.identity.nodeId}:${incarnation}`),
      endpoint: this.endpoint,
      dataDir: this.dataDir,
      telemetry: this.deps.telemetry,
      nowMs: () => scheduler.nowMs,
      setTimer: (delayMs, fn) => this.setTimer(incarnation, delayMs, fn),
      cancelTimer: (id) => scheduler.cancel(id),
    };
    this.app = this.factory(ctx);
  }

  /**
   * Die without a goodbye: all process state is lost, the app is not told. `mode` (default
   * 'crash'): 'crash' = the process dies on a live host, and its peers hear what the network's
   * deadPeer says (with the default 'silent', nothing: they notice at idle timeout); 'vanish' =
   * the host is gone, so its peers hear nothing whatever deadPeer says.
   */
  kill(mode: KillMode = 'crash'): void {
    if (this.statusValue === 'stopped') return;
    // The host records the death itself (the process cannot): whatever killed it — chaos, a
    // workload, a test — checks can tell the losses it causes from churn without cause.
    this.deps.telemetry.emit(HARNESS_NODE, 'sim.node.killed', { targets: this.identity.name, mode, incarnation: this.incarnationValue });
    this.setStatus('stopped');
    this.backlog.length = 0;
    const network = this.deps.network;
    const nodeId = this.identity.nodeId;
    assert(network.endpointOf(nodeId) === this.endpoint, `${this.identity.name} is not bound to its own endpoint`);
    if (mode === 'vanish') network.vanish(nodeId);
    else network.crash(nodeId);
    assert(this.endpoint === null || this.endpoint.closed, 'a killed endpoint stays open');
    this.endpoint = null;
    this.app = null;
  }

  /**
   * Graceful stop: the application says goodbye, then the process ends on a live host (a
   * 'crash' kill after the goodbye: under deadPeer 'reset' or 'close' the host answers stray
   * packets with resets).
   */
  stop(reason: string): void {
    if (this.statusValue === 'stopped') return;
    if (this.statusValue === 'wedged') this.unwedge();
    this.app?.stop(reason);
    this.kill('crash');
  }

  /** Kill (if running, in `mode`, default 'crash') and start again with the same identity, clock and data dir. */
  restart(mode: KillMode = 'crash'): void {
    this.kill(mode);
    this.start();
  }

  /** Stop processing: inbound work and timers queue up until unwedge. */
  wedge(): void {
    if (this.statusValue === 'running') this.setStatus('wedged');
  }

  /** Resume: the backlog runs now, in arrival order, before anything new. */
  unwedge(): void {
    if (this.statusValue !== 'wedged') return;
    this.setStatus('running');
    const incarnation = this.incarnationValue;
    const work = this.backlog.splice(0, this.backlog.length);
    for (const fn of work) {
      if (this.incarnationValue !== incarnation || this.status !== 'running') break;
      runEvent(fn);
    }
  }

  /** Dies with its life: while the node is down, fire() drops it; after a restart, the number has moved on. */
  private setTimer(incarnation: number, delayMs: number, fn: SimEvent): EventId {
    return this.deps.scheduler.after(delayMs, new HostTimer(this, incarnation, fn));
  }

  /** Queues work while wedged: a timer always, an inbound callback while the backlog has room. */
  private enqueue(fn: SimEvent, timer: boolean): void {
    if (!timer && this.backlog.length >= this.backlogMax) {
      this.droppedWhileWedged++;
      return;
    }
    this.backlog.push(fn);
  }
}

/** A node's timer in the scheduler's queue: one object, no closure (see `NodeHost.fire`). */
class HostTimer implements Task {
  constructor(
    private readonly host: NodeHost,
    private readonly incarnation: number,
    private readonly fn: SimEvent,
  ) {}

  run(): void {
    this.host.fire(this.incarnation, this.fn);
  }
}
