/**
 * What a scenario is: topology + durations + workload (+ chaos, through run extensions).
 * Scenarios are data; `runScenario` executes one for a seed and returns a report.
 */
import type { MeshNodeConfig, NodeProfile, NodeVariant } from '../mesh/config.js';
import type { LinkState, NetworkConfig } from '../sim/network/index.js';
import type { SpanLevel } from '../sim/telemetry/index.js';
import type { ProbeRecord, Violation } from './checker.js';
import type { Cluster } from './cluster.js';
import { DEFAULT_BOOT_SPACING_MS, lastBootAtMs, nodeCount, type NodePlan, type TopologySpec } from './topology.js';
import type { WorkloadEntry } from './workload.js';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly topology: TopologySpec;
  /** Main phase (chaos runs here), ms of virtual time. */
  readonly durationMs: number;
  /** Budget for liveness to hold after all faults are reverted, ms. Default 60 000. */
  readonly healWindowMs?: number;
  /** Workload: a probe broadcast from a random live node every this many ms (0 = none). Default 5 000. */
  readonly probeIntervalMs?: number;
  /** Default 'info'. */
  readonly traceLevel?: SpanLevel;
  /** What every node runs (SPEC §10.1). Default 'full'. */
  readonly profile?: NodeProfile;
  readonly node?: Partial<Omit<MeshNodeConfig, 'variant' | 'profile'>>;
  readonly network?: Partial<NetworkConfig>;
  /** Default link of every node pair (SPEC §10.3 `network.latencyMs` etc.). Default: DEFAULT_LINK. */
  readonly link?: Partial<LinkState>;
  /** Overlay snapshots (SPEC §10.4) every this many ms of the main phase; 0 = only after failures and at the end. Default 10 000. */
  readonly overlayEveryMs?: number;
  /** Timed broadcasts and failures (SPEC §10.3), in the order given. Default none. */
  readonly workload?: readonly WorkloadEntry[];
  readonly variantOf?: (plan: NodePlan) => NodeVariant;
  /** Extensions that act during the run (chaos, flood workloads). */
  readonly extensions?: readonly RunExtensionFactory[];
  /** Scenario-specific assertions over the finished run. */
  readonly expect?: (ctx: RunContext) => Violation[];
  /** Check liveness at the end (default true). */
  readonly liveness?: boolean;
}

/** A run's heal window when its scenario does not say (`healWindowMs`), ms. */
export const DEFAULT_HEAL_WINDOW_MS = 60_000;

/**
 * Why a run of `scenario` with a main phase of `durationMs` would end before something it plans
 * happens, or null when nothing would be lost. Bad input, said before anything runs:
 * - a node due to start after the run ends (its main phase and, when it checks liveness, its
 *   heal window) would never run, and the verdict would speak of the nodes that did (a split
 *   overlay amid the boot, or a pass over a fraction of the topology);
 * - a workload broadcast or failure due after the main phase's end (the main phase runs what is
 *   due at its last millisecond) would fire in the heal window, meant to judge the mesh after
 *   the faults, or never, if the heal settles first;
 * - an extension's own plan (`RunExtensionFactory.endsEarly`): a chaos event due at or after
 *   the main phase's end would never fire.
 */
export function runEndsEarly(scenario: Scenario, durationMs: number = scenario.durationMs): string | null {
  const lastMs = lastBootAtMs(scenario.topology);
  const healMs = scenario.liveness === false ? 0 : (scenario.healWindowMs ?? DEFAULT_HEAL_WINDOW_MS);
  const endMs = durationMs + healMs;
  if (lastMs >= endMs) {
    const spacingMs = scenario.topology.bootSpacingMs ?? DEFAULT_BOOT_SPACING_MS;
    const ends = healMs === 0 ? `durationMs ${durationMs}` : `durationMs ${durationMs} + healWindowMs ${healMs}`;
    return `the boot starts the last of ${nodeCount(scenario.topology)} nodes at ${lastMs} ms (one every ${spacingMs} ms), and the run ends at ${endMs} ms (${ends}): lengthen durationMs or shorten bootSpacingMs`;
  }
  const workload = scenario.workload ?? [];
  for (let i = 0; i < workload.length; i++) {
    const e = workload[i];
    const dueMs = e.kind === 'failure' ? e.atMs : e.fromMs + (e.count - 1) * e.everyMs;
    if (dueMs <= durationMs) continue;
    const what = e.kind === 'failure' ? 'its failure' : e.count === 1 ? 'its broadcast' : `the last of its ${e.count} broadcasts`;
    return `workload[${i}]: ${what} is due at ${dueMs} ms, not within the main phase (durationMs ${durationMs})`;
  }
  for (const extension of scenario.extensions ?? []) {
    const late = extension.endsEarly?.(durationMs) ?? null;
    if (late !== null) return late;
  }
  return null;
}

/** What extensions and assertions see of a run. */
export interface RunContext {
  readonly scenario: Scenario;
  readonly seed: string;
  readonly cluster: Cluster;
  /** Virtual time the main phase ends, ms. */
  readonly mainEndMs: number;
  /**
   * Stimulus: broadcast a liveness probe on `meshId` from `originNodeId` (default: a random
   * running subscriber). Returns null when no running subscriber can send it. Whether it
   * arrived is evidence the nodes emit (`mesh.probe.delivered`).
   */
  probe(meshId: string, originNodeId?: string): ProbeRecord | null;
  /** Node ids the scenario's workloads depend on; chaos does not target them. Extensions may add. */
  readonly protectedNodes: Set<string>;
}

/**
 * What a scenario lists as an extension: it makes the run's extension, and may say what of its
 * plan a main phase of `durationMs` would leave out (`runEndsEarly`: the chaos engine's events
 * due after the main phase would never fire, and a battery scenario run with a short
 * `--duration` passed with no fault applied).
 */
export type RunExtensionFactory = ((ctx: RunContext) => RunExtension) & { readonly endsEarly?: (durationMs: number) => string | null };

/** A pluggable part of a run (e.g. the chaos engine). */
export interface RunExtension {
  /** Called once after boot is scheduled, at virtual time 0. */
  start(): void;
  /** Called after the main phase and the settle wait: revert every fault still applied. */
  finish(): void;
  /** Whether the extension is done acting (e.g. every detection settled); default: always. */
  settled?(): boolean;
  /** Virtual time until which the runner should wait for `settled()`, ms. */
  pendingUntilMs?(): number;
  /** Violations this extension found (e.g. failed detections beyond the flake budget). */
  violations(): Violation[];
  /** Extra fields for the run report (e.g. `chaos`). */
  report(): Record<string, unknown>;
}
