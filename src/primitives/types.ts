/**
 * The one interface every chaos primitive implements (SPEC §5): choose targets and parameters
 * from the primitive's own seeded stream, apply the damage, revert it, and detect — from spans
 * the nodes emit — that the mesh noticed and recovered, within a deadline stated as a formula
 * of protocol timers. Primitives act through the narrow world's levers (processes, disks,
 * clocks, links) but judge only by evidence in the trace.
 */
import type { ProbeRecord } from '../scenario/checker.js';
import type { SplitPart } from '../scenario/overlay-parts.js';
import type { NodePlan } from '../scenario/topology.js';
import type { LinkState, NetworkConfig } from '../sim/network/index.js';
import type { SimRng } from '../sim/rng.js';
import type { SpanQuery, SpanRecord } from '../sim/telemetry/index.js';
import type { PrimitiveSpec } from './schema.js';
import type { Timers } from './timing.js';

export const PRIMITIVE_NAMES = [
  'kill_node',
  'restart_node',
  'burst_kill',
  'wedge_node',
  'disk_full',
  'partition_pair',
  'partition_subset',
  'flap_link',
  'firewall_inbound',
  'clock_skew',
  'nat_shift',
  'slow_link',
  'lossy_link',
] as const;

export type PrimitiveName = (typeof PRIMITIVE_NAMES)[number];

/**
 * A detection's outcome. Detectors return `passed`, `failed_assertion` or nothing yet; the
 * engine adds `failed_timeout` at the deadline and turns a pass that carries no evidence span
 * into `unobserved` (engine.ts, `settle`): neither passed nor failed.
 */
export type Verdict =
  | { readonly result: 'passed'; readonly waitedMs: number }
  | { readonly result: 'unobserved'; readonly waitedMs: number }
  | { readonly result: 'failed_timeout'; readonly waitedMs: number }
  | { readonly result: 'failed_assertion'; readonly waitedMs: number; readonly message: string };

/** Whether a verdict is no failure: passed, or unobserved (nothing left to show it, nothing seen wrong). */
export function settledClean(result: Verdict['result']): boolean {
  return result === 'passed' || result === 'unobserved';
}

/** JSON-friendly parameter values, so a fault can be written to a seed file and read back. */
export type ParamValue = string | number | boolean | readonly string[];

/**
 * A decoded fault: who is hit and how. `targets` are node ids; primitives add their own
 * parameters (durations, latencies, ratios). Everything here must be plain data.
 */
export interface Fault {
  readonly targets: readonly string[];
  readonly params: Readonly<Record<string, ParamValue>>;
}

/**
 * What a primitive may use, and nothing more: facts about the layout, each node's process
 * status, levers with named inverses (processes, disks, clocks, links), a timer on virtual
 * time, the typed span query, and probe stimulus. It holds no cluster, host, application or
 * network object (the engine adapts the cluster to it, in world.ts), so a primitive cannot
 * reach around the levers; the tidy test keeps primitives from importing the cluster.
 */
export interface ChaosWorld {
  nowMs(): number;
  /** Run `fn` after `delayMs` of virtual time (a fault's own schedule, e.g. a flapping link). */
  after(delayMs: number, fn: () => void): void;
  /** Every planned node, in plan order (plain data). */
  readonly nodes: readonly NodePlan[];
  node(nodeId: string): NodePlan;
  /** A node's name (spans carry names; attributes and faults carry node ids). */
  nameOf(nodeId: string): string;
  /** Every topic (mesh id), sorted. */
  meshIds(): readonly string[];
  /** Nodes subscribed to `meshId`, in plan order. */
  subscribers(meshId: string): readonly NodePlan[];
  status(nodeId: string): ProcessStatus;
  /** A running node's active view on `meshId` as its application reports it; empty when down or when it keeps none. */
  activeView(nodeId: string, meshId: string): readonly string[];
  /** Peers a running node holds a connection to, as its application reports it; empty when down. */
  connectedPeers(nodeId: string): readonly string[];
  /**
   * Where the topic's overlay stands apart now, read from the lower layer (views, seeds,
   * partitions, firewalls: scenario/overlay-parts.ts): for a failure's diagnosis, never for a
   * verdict.
   */
  splitOf(meshId: string): readonly SplitPart[];
  readonly process: ProcessLevers;
  readonly disk: DiskLevers;
  readonly clock: ClockLevers;
  readonly links: LinkLevers;
  /** The run's protocol timers (its scenario's network and node settings): what deadlines and evidence windows are made of. */
  readonly timers: Timers;
  /** The trace so far: where detectors find their evidence. */
  readonly spans: SpanQuery;
  /** Broadcast a probe (stimulus); delivery shows up as `mesh.probe.delivered` spans. */
  probe(meshId: string, originNodeId?: string): ProbeRecord | null;
  /** Nodes under another active fault; choosers avoid them, detectors may discount them. */
  isFaulted(nodeId: string): boolean;
  /** Nodes the scenario's own workload depends on (e.g. a flood's client and server); choosers avoid them. */
  isProtected(nodeId: string): boolean;
}

/** A node's process: up and working, up but wedged (processing nothing), or down. */
export type ProcessStatus = 'running' | 'wedged' | 'stopped';

/** A node's process. */
export interface ProcessLevers {
  /** The process dies silently: all state lost, no goodbye (SPEC §3). Inverse: start. */
  kill(nodeId: string): void;
  /** Start a stopped process; it reads its identity back from its data dir. */
  start(nodeId: string): void;
  /** Stop processing events; inbound work queues up. Inverse: unwedge. */
  wedge(nodeId: string): void;
  unwedge(nodeId: string): void;
}

/** A node's data dir. */
export interface DiskLevers {
  /** Fill the disk to capacity with ballast; writes fail. Inverse: drain. */
  fill(nodeId: string): void;
  /** Remove the ballast. */
  drain(nodeId: string): void;
}

/** A node's wall clock (its monotonic clock is virtual time and cannot be moved). */
export interface ClockLevers {
  /** Move the wall clock by `deltaMs` (negative: back); the inverse is the opposite jump. */
  jump(nodeId: string, deltaMs: number): void;
}

/** The network between nodes; link state is per direction (from → to). */
export interface LinkLevers {
  /** The network's timers (idle timeout, keep-alive), for deadlines. */
  readonly config: Readonly<NetworkConfig>;
  link(from: string, to: string): Readonly<LinkState>;
  /** Change one direction's latency, loss, bandwidth… Inverse: resetLink. */
  setLink(from: string, to: string, patch: Partial<LinkState>): void;
  /** Back to the network's default link (a partition still held stays blocked). */
  resetLink(from: string, to: string): void;
  /** Block both directions between a and b (counted per pair). Inverse: repair. */
  partition(a: string, b: string): void;
  repair(a: string, b: string): void;
  /** Drop every inbound connection attempt to `nodeId`. Inverse: allowInbound. */
  blockInbound(nodeId: string): void;
  allowInbound(nodeId: string): void;
  /** Give `nodeId` a new address (NAT rebinding): old paths die. */
  remapAddress(nodeId: string): void;
}

/** The outcome of one poll: still waiting (null), or a verdict with the spans that decided it. */
export interface Detection {
  readonly verdict: Verdict;
  readonly evidence: readonly SpanRecord[];
  /** A failure's overlay parts apart from the rest, where its detector read them (`ChaosWorld.splitOf`). */
  readonly split?: readonly SplitPart[];
}

export interface Detector {
  /** One line: which spans prove recovery. */
  readonly evidence: string;
  /** The deadline as a formula of protocol timers, e.g. "idle 30 s + pruner 5 s + slack 5 s". */
  readonly deadlineFormula: string;
  /** Deadline after apply, ms: past it, a pending detection is failed_timeout. */
  readonly deadlineMs: number;
  /** Look at the trace now; null = keep waiting. Called every poll interval from apply on. */
  poll(nowMs: number): Detection | null;
  /** What evidence is still missing (for the failed_timeout message); optional. */
  missing?(): string;
}

export type RevertPolicy = { readonly afterMs: number } | 'after-detection';

export interface Primitive {
  readonly name: PrimitiveName;
  /** Parameters, targets and deadline as data (schema.ts): what validation, docs and tests read. */
  readonly spec: PrimitiveSpec;
  /** Choose targets and parameters from the primitive's stream; null when nothing fits now. */
  choose(world: ChaosWorld, rng: SimRng, overrides?: Readonly<Record<string, ParamValue>>): Fault | null;
  /** Do the damage. */
  apply(world: ChaosWorld, fault: Fault): void;
  /** Put things back (restart, heal, unwedge, ...). Must be safe to call once after apply. */
  revert(world: ChaosWorld, fault: Fault): void;
  /** When the engine reverts: a fixed time after apply, or once the detection settles. */
  revertPolicy(fault: Fault): RevertPolicy;
  /** The detector for this application (created at apply time). */
  detector(world: ChaosWorld, fault: Fault, appliedAtMs: number): Detector;
}
