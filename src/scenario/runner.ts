/**
 * Runs a scenario for a seed: boot, main phase with the probe workload and periodic safety
 * checks, then all faults reverted and a heal window in which liveness must come to hold.
 * Returns a report as data (a failed run is a verdict, not an exception). It never reads a
 * wall clock; the CLI measures wall time around it.
 */
import { checkDigests, checkGhosts, checkProbes, checkSafety, checkViews, type ProbeRecord, type Violation } from './checker.js';
import { Cluster } from './cluster.js';
import { checkChurn } from './invariants/churn.js';
import { CrossLayerMonitor, settledViolations } from './invariants/cross-layer.js';
import { checkSubstrate } from './invariants/substrate.js';
import type { RunContext, RunExtension, Scenario } from './scenario.js';

export interface RunOptions {
  /** Override the scenario's main-phase duration, ms. */
  readonly durationMs?: number;
  readonly traceLevel?: 'info' | 'trace';
}

export interface RunReport {
  readonly seed: string;
  readonly scenario: string;
  readonly virtualMs: number;
  readonly events: number;
  readonly spans: number;
  readonly spansByName: Record<string, number>;
  readonly traceDigest: string;
  readonly verdict: 'pass' | 'fail';
  readonly violations: readonly Violation[];
  readonly replay: string;
  readonly nodes: { readonly total: number; readonly live: number };
  readonly connections: number;
  /** Per topic: min/mean/max active view size among live subscribers. */
  readonly views: Record<string, { readonly min: number; readonly mean: number; readonly max: number; readonly subscribers: number }>;
  readonly probes: { readonly sent: number; readonly deliveries: number };
  readonly [extra: string]: unknown;
}

export interface RunOutcome {
  readonly report: RunReport;
  readonly cluster: Cluster;
}

const SAFETY_CHECK_INTERVAL_MS = 1_000;
const LIVENESS_POLL_MS = 1_000;
const PROBE_WARMUP_MS = 10_000;
const VIOLATIONS_KEPT = 50;
/** Margin past the last pending deadline for extensions to settle, ms. */
const SETTLE_SLACK_MS = 2_000;

export function replayCommand(scenario: string, seed: string, durationMs?: number): string {
  return `npx meshsim run --scenario ${scenario} --seed ${seed}${durationMs === undefined ? '' : ` --duration ${durationMs}ms`}`;
}

export function runScenario(scenario: Scenario, seed: string, options: RunOptions = {}): RunOutcome {
  const durationMs = options.durationMs ?? scenario.durationMs;
  const cluster = new Cluster({
    seed,
    topology: scenario.topology,
    traceLevel: options.traceLevel ?? scenario.traceLevel,
    network: scenario.network,
    node: scenario.node,
    variantOf: scenario.variantOf,
  });
  const probes = new ProbeWorkload(cluster);
  const ctx: RunContext = { scenario, seed, cluster, mainEndMs: durationMs, probe: (meshId, origin) => probes.probe(meshId, origin), protectedNodes: new Set() };
  const extensions: RunExtension[] = (scenario.extensions ?? []).map((make) => make(ctx));
  const violations = new ViolationLog();
  const { scheduler } = cluster;

  cluster.boot();
  for (const ext of extensions) ext.start();
  const probeIntervalMs = scenario.probeIntervalMs ?? 5_000;
  if (probeIntervalMs > 0) probes.every(probeIntervalMs, PROBE_WARMUP_MS, durationMs);
  const crossLayer = new CrossLayerMonitor(cluster);
  const safety = (): void => {
    violations.add(checkSafety(cluster, probes.ids));
    violations.add(crossLayer.sample());
    if (scheduler.nowMs + SAFETY_CHECK_INTERVAL_MS <= durationMs) scheduler.after(SAFETY_CHECK_INTERVAL_MS, safety);
  };
  scheduler.after(SAFETY_CHECK_INTERVAL_MS, safety);
  const main = scheduler.runFor(durationMs);
  if (!main.ok) violations.add([{ check: 'run-budget', message: `main phase stopped: ${main.reason} at ${main.nowMs} ms` }]);

  // Let pending work (detections, scheduled reverts) run its course, then revert what is left.
  const settleUntilMs = Math.max(scheduler.nowMs, ...extensions.map((e) => e.pendingUntilMs?.() ?? 0)) + SETTLE_SLACK_MS;
  const settled = scheduler.runUntil(() => extensions.every((e) => e.settled?.() ?? true), { virtualMs: settleUntilMs - scheduler.nowMs });
  if (!settled.ok) violations.add([{ check: 'run-budget', message: `extensions did not settle: ${settled.reason} at ${settled.nowMs} ms` }]);
  for (const ext of extensions) ext.finish();
  if (scenario.liveness !== false) heal(cluster, probes, violations, scenario.healWindowMs ?? 60_000);
  violations.add(checkSafety(cluster, probes.ids));
  violations.add(checkChurn(cluster));
  violations.add(checkSubstrate(cluster));
  for (const ext of extensions) violations.add(ext.violations());
  if (scenario.expect) violations.add(scenario.expect(ctx));

  const extra = Object.assign({}, ...extensions.map((e) => e.report())) as Record<string, unknown>;
  const report: RunReport = {
    ...summarize(cluster, probes),
    seed,
    scenario: scenario.name,
    verdict: violations.list.length === 0 ? 'pass' : 'fail',
    violations: violations.list,
    replay: replayCommand(scenario.name, seed, options.durationMs),
    ...extra,
  };
  return { report, cluster };
}

/**
 * Liveness phase: wait (polling every second) until views are symmetric and connected, digests
 * known and no ghosts remain; then send one probe per topic and wait until every live
 * subscriber has it. Whatever still fails when the window closes is reported.
 */
function heal(cluster: Cluster, probes: ProbeWorkload, violations: ViolationLog, windowMs: number): void {
  const { scheduler } = cluster;
  const deadlineMs = scheduler.nowMs + windowMs;
  let finalProbes: ProbeRecord[] | null = null;
  let last: Violation[] = [];
  let settled = false;
  const poll = (): void => {
    if (finalProbes === null) {
      last = [...checkViews(cluster), ...checkDigests(cluster), ...checkGhosts(cluster), ...settledViolations(cluster)];
      if (last.length === 0) finalProbes = probes.sendFinal();
    } else {
      last = checkProbes(cluster, [...finalProbes, ...probes.checked()]);
      if (last.length === 0) settled = true;
    }
    if (!settled && scheduler.nowMs + LIVENESS_POLL_MS <= deadlineMs) scheduler.after(LIVENESS_POLL_MS, poll);
  };
  scheduler.after(0, poll);
  const result = scheduler.runUntil(() => settled, { virtualMs: windowMs });
  if (!result.ok) {
    violations.add(last.length > 0 ? last : [{ check: 'liveness', message: `heal window ended: ${result.reason}` }]);
  }
}

class ProbeWorkload {
  readonly ids = new Set<string>();
  private readonly records: ProbeRecord[] = [];
  private readonly final = new Set<string>();
  private n = 0;

  constructor(private readonly cluster: Cluster) {}

  every(intervalMs: number, startMs: number, endMs: number): void {
    const rng = this.cluster.rng.stream('workload');
    const tick = (): void => {
      const live = this.cluster.livePlans().filter((p) => this.cluster.host(p.nodeId).status === 'running');
      if (live.length > 0) {
        const origin = rng.pick(live);
        this.send(origin.nodeId, rng.pick(origin.meshIds));
      }
      if (this.cluster.scheduler.nowMs + intervalMs <= endMs) this.cluster.scheduler.after(intervalMs, tick);
    };
    if (startMs <= endMs) this.cluster.scheduler.at(startMs, tick);
  }

  /** One probe per topic from a random running subscriber. */
  sendFinal(): ProbeRecord[] {
    const rng = this.cluster.rng.stream('workload');
    const out: ProbeRecord[] = [];
    for (const meshId of this.cluster.meshIds()) {
      const live = this.cluster.subscribers(meshId).filter((p) => this.cluster.host(p.nodeId).status === 'running');
      if (live.length < 2) continue;
      const record = this.send(rng.pick(live).nodeId, meshId);
      this.final.add(record.probeId);
      out.push(record);
    }
    return out;
  }

  /** A probe from `origin` (default: a random running subscriber); null if nobody can send. */
  probe(meshId: string, origin?: string): ProbeRecord | null {
    const running = this.cluster.subscribers(meshId).filter((p) => this.cluster.host(p.nodeId).status === 'running');
    if (origin === undefined) {
      if (running.length === 0) return null;
      origin = this.cluster.rng.stream('probes').pick(running).nodeId;
    } else if (!running.some((p) => p.nodeId === origin)) {
      return null;
    }
    return this.send(origin, meshId);
  }

  /** Probes whose full delivery is required at the end: the final ones. */
  checked(): ProbeRecord[] {
    return this.records.filter((r) => this.final.has(r.probeId));
  }

  get sent(): number {
    return this.records.length;
  }

  private send(origin: string, meshId: string): ProbeRecord {
    const probeId = `probe-${++this.n}`;
    const expected = this.cluster
      .subscribers(meshId)
      .filter((p) => this.cluster.host(p.nodeId).status === 'running')
      .map((p) => p.nodeId);
    const record = { probeId, meshId, origin, sentAtMs: this.cluster.scheduler.nowMs, expected };
    this.ids.add(probeId);
    this.records.push(record);
    this.cluster.app(origin)!.broadcastProbe(meshId, probeId);
    return record;
  }
}

class ViolationLog {
  readonly list: Violation[] = [];
  private readonly seen = new Set<string>();

  add(items: readonly Violation[]): void {
    for (const item of items) {
      const key = `${item.check}|${item.message}`;
      if (this.seen.has(key) || this.list.length >= VIOLATIONS_KEPT) continue;
      this.seen.add(key);
      this.list.push(item);
    }
  }
}

function summarize(cluster: Cluster, probes: ProbeWorkload) {
  const live = cluster.livePlans();
  const views: RunReport['views'] = {};
  for (const meshId of cluster.meshIds()) {
    const sizes = cluster
      .subscribers(meshId)
      .map((p) => cluster.app(p.nodeId)?.activeView(meshId).length)
      .filter((n): n is number => n !== undefined);
    const sum = sizes.reduce((a, b) => a + b, 0);
    views[meshId] = {
      min: sizes.length ? Math.min(...sizes) : 0,
      mean: sizes.length ? Math.round((sum / sizes.length) * 100) / 100 : 0,
      max: sizes.length ? Math.max(...sizes) : 0,
      subscribers: sizes.length,
    };
  }
  const counts = cluster.telemetry.countsByName();
  return {
    virtualMs: cluster.scheduler.nowMs,
    events: cluster.scheduler.eventsRun,
    spans: cluster.telemetry.recordCount,
    spansByName: Object.fromEntries(counts),
    traceDigest: cluster.telemetry.traceDigest(),
    nodes: { total: cluster.plans.length, live: live.length },
    connections: live.reduce((n, p) => n + (cluster.app(p.nodeId)?.peers.connectionCount() ?? 0), 0),
    views,
    probes: { sent: probes.sent, deliveries: counts.get('mesh.probe.delivered') ?? 0 },
  };
}
