/**
 * The one interface every chaos primitive implements (SPEC §5): choose targets and parameters
 * from the primitive's own seeded stream, apply the damage, revert it, and detect — from spans
 * the nodes emit — that the mesh noticed and recovered, within a deadline stated as a formula
 * of protocol timers. Primitives act through the harness's levers (hosts, network, disks) but
 * judge only by evidence in the trace.
 */
import type { ProbeRecord } from '../scenario/checker.js';
import type { Cluster } from '../scenario/cluster.js';
import type { SimRng } from '../sim/rng.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import type { PrimitiveSpec } from './schema.js';

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

export type Verdict =
  | { readonly result: 'passed'; readonly waitedMs: number }
  | { readonly result: 'failed_timeout'; readonly waitedMs: number }
  | { readonly result: 'failed_assertion'; readonly waitedMs: number; readonly message: string };

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

/** What a primitive may use: the cluster's levers, the trace, and probe stimulus. */
export interface ChaosWorld {
  readonly cluster: Cluster;
  nowMs(): number;
  /** Broadcast a probe (stimulus); delivery shows up as `mesh.probe.delivered` spans. */
  probe(meshId: string, originNodeId?: string): ProbeRecord | null;
  /** Nodes under another active fault; choosers avoid them, detectors may discount them. */
  isFaulted(nodeId: string): boolean;
  /** Nodes the scenario's own workload depends on (e.g. a flood's client and server); choosers avoid them. */
  isProtected(nodeId: string): boolean;
}

/** The outcome of one poll: still waiting (null), or a verdict with the spans that decided it. */
export interface Detection {
  readonly verdict: Verdict;
  readonly evidence: readonly SpanRecord[];
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
