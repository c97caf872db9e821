/**
 * Runs a scenario for a seed: boot, main phase with the probe workload and periodic safety
 * checks, then all faults reverted and a heal window in which liveness must come to hold.
 * Returns a report as data (a failed run is a verdict, not an exception). It never reads a
 * wall clock; the CLI measures wall time around it.
 */
import { checkDigests, checkGhosts, checkNodeSafety, checkProbes, checkSafety, checkViews, missedBy, watchProbeDeliveries, type DeliveredTo, type ProbeRecord, type Violation } from './checker.js';
import { Cluster } from './cluster.js';
import { ProbeWorkload } from './probes.js';
import { ChurnWatcher, checkChurn } from './invariants/churn.js';
import { CrossLayerMonitor } from './invariants/cross-layer.js';
import { checkSubstrate } from './invariants/substrate.js';
import { DEFAULT_HEAL_WINDOW_MS, type RunContext, type RunExtension, type Scenario } from './scenario.js';
import { evictionCount } from '../protocol/plumtree.js';
import { trafficPerNodeSecond, type TrafficRow } from '../mesh/traffic.js';
import { tableBounds } from './table-bounds.js';
import { scenarioProblem } from './scenario-json.js';
import { MeshsimInputError } from '../io/input-error.js';
import { nodeCount } from './topology.js';
import { scheduleWorkload, type WorkloadLog } from './workload.js';
import { MetricsCollector, type DeliveryProgress, type RunMetrics } from './metrics.js';
import { runReplay, type ReplayRef } from './replay-ref.js';
import type { SpanName, SpanRetention } from '../sim/telemetry/index.js';

export interface RunOptions {
  /** Override the scenario's main-phase duration, ms. */
  readonly durationMs?: number;
  readonly traceLevel?: 'info' | 'trace';
  /**
   * Called about once per virtual second, from checks the run makes anyway, and after every
   * PROGRESS_EVERY_EVENTS events between two events (a virtual second can hold millions: an
   * all-nodes burst is over within one). No event is added, so the trace is the same with or
   * without it. It must not touch the run; it may throw to stop it (the CLI's heap watch does).
   */
  readonly onProgress?: (progress: RunProgress) => void;
  /**
   * Called once the cluster is built, before it boots: for an observer to listen to the trace as
   * it is made (the report's topology, from spans a large run does not keep). It must not
   * schedule anything or touch the nodes.
   */
  readonly onStart?: (cluster: Cluster) => void;
}

export interface RunProgress {
  readonly phase: 'main' | 'heal';
  readonly virtualMs: number;
  /** Virtual time the main phase ends, ms. */
  readonly mainEndMs: number;
  readonly events: number;
  /** The broadcasts sent so far (probes and workload): their deliveries made, of those expected. */
  readonly deliveries: DeliveryProgress;
  /**
   * 'second': from the once-per-virtual-second checks (at whole virtual seconds of the phase);
   * 'events': PROGRESS_EVERY_EVENTS more events ran, at whatever virtual time that was.
   */
  readonly pace: 'second' | 'events';
}

/** Events between two progress calls paced by events (see RunOptions.onProgress). */
export const PROGRESS_EVERY_EVENTS = 4_096;

export interface RunReport {
  readonly seed: string;
  readonly scenario: string;
  readonly virtualMs: number;
  readonly events: number;
  readonly spans: number;
  readonly spansByName: Record<string, number>;
  /** Spans recorded (counted, hashed, listened to) but not kept in memory (see `spanRetention`). */
  readonly spansNotRetained: number;
  readonly traceDigest: string;
  readonly verdict: 'pass' | 'fail';
  /** The violations found, each once: at most VIOLATIONS_PER_CHECK of one check, VIOLATIONS_KEPT in all. */
  readonly violations: readonly Violation[];
  /**
   * Per check, the distinct violations found past those bounds and not listed (absent when
   * none were): a 200,000-node run with its views still settling had 50 listed, all
   * `views-symmetric`, and nothing said that more, and other checks', were left out.
   */
  readonly violationsNotListed?: Readonly<Record<string, number>>;
  /** What reproduces this run, as data (the CLI spells it as a command line). */
  readonly replay: ReplayRef;
  readonly nodes: { readonly total: number; readonly live: number };
  readonly connections: number;
  /** Per topic: min/mean/max active view size among live subscribers. */
  readonly views: Record<string, { readonly min: number; readonly mean: number; readonly max: number; readonly subscribers: number }>;
  readonly probes: { readonly sent: number; readonly deliveries: number };
  /** Mean per live node and virtual second of the run, by frame type. */
  readonly traffic: readonly TrafficRow[];
  /** Table entries live nodes shed under load (bounded tables evict instead of failing). */
  readonly evictions: { readonly plumtree: number; readonly digests: number };
  /** The papers' metrics for every broadcast, and overlay snapshots (SPEC §10.4). */
  readonly metrics: RunMetrics;
  /** What the scenario's workload did (its failure entries, broadcasts without a live sender); absent without a workload. */
  readonly workload?: WorkloadLog;
  /** What the scenario's extensions report, each under its own key (the chaos engine: `chaos`, typed in `RunJson`). */
  readonly [extra: string]: unknown;
}

export interface RunOutcome {
  readonly report: RunReport;
  readonly cluster: Cluster;
}

const SAFETY_CHECK_INTERVAL_MS = 1_000;
/** Overlay snapshots during the main phase (SPEC §10.4), ms. */
const DEFAULT_OVERLAY_EVERY_MS = 10_000;
const LIVENESS_POLL_MS = 1_000;
/** How long a final probe is out before a receiver's miss counts as a race, not a flight, ms. */
const FINAL_PROBE_FLIGHT_MS = 2_000;
/** How many times the heal phase sends a raced final probe again (`racedViewChange`). */
const FINAL_PROBE_RESENDS_MAX = 3;
const PROBE_WARMUP_MS = 10_000;
const VIOLATIONS_KEPT = 50;
/** Violations of one check listed at most, so that one check's flood leaves room for the others'. */
const VIOLATIONS_PER_CHECK = 10;
/** Distinct unlisted violations counted at most (their keys are held to count each once). */
const NOT_LISTED_COUNTED_MAX = 100_000;
/** Margin past the last pending deadline for extensions to settle, ms. */
const SETTLE_SLACK_MS = 2_000;

/**
 * Events a phase may run before it is stopped as a runaway (a reported failure, never a hang):
 * generous per node and virtual second, plus the full profile's Θ(n) digest deliveries per
 * node per second (every node gossips its digest to every other).
 */
export function eventBudget(scenario: Scenario, phaseMs: number): number {
  const nodes = nodeCount(scenario.topology);
  const perNodeSecond = EVENTS_PER_NODE_SECOND + (scenario.profile === 'protocol' ? 0 : EVENTS_PER_NODE_PAIR_SECOND * nodes);
  return Math.max(MIN_EVENT_BUDGET, Math.ceil(((phaseMs + BOOT_MARGIN_MS) / 1000) * nodes * perNodeSecond));
}

const MIN_EVENT_BUDGET = 50_000_000;
/** Guess, ~10× what a protocol-profile node uses at one broadcast per second. */
const EVENTS_PER_NODE_SECOND = 2_000;
/** Guess, ~10× the measured full-profile digest cost per node pair and second. */
const EVENTS_PER_NODE_PAIR_SECOND = 30;
const BOOT_MARGIN_MS = 60_000;

/**
 * Above this many nodes, per-pair and per-message spans are counted, hashed into the trace
 * digest and seen by listeners (checkers, metrics), but not kept in memory: kept, they would
 * grow as nodes × messages. Runs with extensions (chaos detectors query them) keep them all but
 * the deliveries of probes no detector sent (`spanRetention`).
 */
export const RETAIN_ALL_SPANS_NODES_MAX = 1_000;

/**
 * At or below RETAIN_ALL_SPANS_NODES_MAX nodes, how many per-pair and per-message spans a run
 * without extensions keeps in memory (about 330 bytes each, so ~330 MB); later ones are
 * counted, hashed and listened to like the rest, but not kept. The node count alone is no
 * bound: the full profile's digest gossip makes them grow as nodes² × time. 500 nodes × 60 s
 * kept about 8.6 million of them (41.2 M events × the 0.21 spans per event full-100 makes),
 * about 3 GB of its 6 GB peak; at full-200, spans were 61 % of the live heap.
 */
export const PER_PAIR_AND_MESSAGE_SPANS_KEPT_MAX = 1_000_000;

const PER_PAIR_AND_MESSAGE_SPANS: ReadonlySet<SpanName> = new Set<SpanName>([
  'mesh.peer.connected', 'mesh.peer.disconnected', 'mesh.peer.dial_failed', 'mesh.cross.peer_connected',
  'mesh.gossip.neighbor_request', 'mesh.gossip.neighbor_up', 'mesh.gossip.neighbor_down', 'mesh.gossip.broadcast', 'mesh.gossip.received',
  'mesh.plumtree.graft', 'mesh.plumtree.prune', 'mesh.probe.sent', 'mesh.probe.delivered', 'mesh.seed.retry',
]);

/**
 * Which spans a run of `scenario` keeps in memory (null: all of them), given its budget of
 * per-pair and per-message spans. Deterministic: it counts spans, never measures memory. A run
 * with extensions keeps every span up to RETAIN_ALL_SPANS_NODES_MAX nodes; above, every span
 * but the deliveries of probes not sent on demand (`sentOnDemand`: the detectors' probes, whose
 * deliveries they read back by probe id). The workload's broadcasts reach every node, so their
 * deliveries grow as nodes × messages (1.2 million spans in two virtual minutes at 10,000
 * nodes); the checks and metrics read them as they finish, not from memory.
 */
export function spanRetention(scenario: Scenario, keptMax = PER_PAIR_AND_MESSAGE_SPANS_KEPT_MAX, sentOnDemand: (probeId: string) => boolean = () => false): SpanRetention | null {
  if ((scenario.extensions ?? []).length > 0) {
    if (nodeCount(scenario.topology) <= RETAIN_ALL_SPANS_NODES_MAX) return null;
    return (name, attrs) => name !== 'mesh.probe.delivered' || sentOnDemand(String(attrs.probeId));
  }
  const budget = keepsPerPairSpans(scenario) ? keptMax : 0;
  let kept = 0;
  return (name) => {
    if (!PER_PAIR_AND_MESSAGE_SPANS.has(name)) return true;
    if (kept >= budget) return false;
    kept++;
    return true;
  };
}

/**
 * Whether a run of `scenario` keeps its per-pair and per-message spans in memory (up to its
 * budget; all of them with extensions): up to RETAIN_ALL_SPANS_NODES_MAX nodes. A run that
 * does not is exported to OTLP as it goes (`OtlpStream`), not from memory.
 */
export function keepsPerPairSpans(scenario: Scenario): boolean {
  return nodeCount(scenario.topology) <= RETAIN_ALL_SPANS_NODES_MAX;
}

export function runScenario(scenario: Scenario, seed: string, options: RunOptions = {}): RunOutcome {
  // Exported (meshsim): a caller's Scenario is held to a scenario file's ranges, as `run` holds
  // it; `runScenario(undefined, '1')` threw a TypeError from the topology planner.
  if (typeof scenario !== 'object' || scenario === null) throw new MeshsimInputError('runScenario takes a Scenario (findScenario, parseScenarioJson, or one built in code)');
  const problem = scenarioProblem(scenario);
  if (problem !== null) throw new MeshsimInputError(problem);
  if (options.durationMs !== undefined && !(Number.isSafeInteger(options.durationMs) && options.durationMs >= 1)) throw new MeshsimInputError(`durationMs must be a positive integer, got ${JSON.stringify(options.durationMs)}`);
  const durationMs = options.durationMs ?? scenario.durationMs;
  let probes: ProbeWorkload | undefined;
  const retain = spanRetention(scenario, PER_PAIR_AND_MESSAGE_SPANS_KEPT_MAX, (probeId) => probes?.sentOnDemand(probeId) === true);
  const cluster = new Cluster({
    seed,
    topology: scenario.topology,
    traceLevel: options.traceLevel ?? scenario.traceLevel,
    network: scenario.network,
    link: scenario.link,
    profile: scenario.profile,
    node: scenario.node,
    variantOf: scenario.variantOf,
    ...(retain === null ? {} : { retainSpans: retain }),
  });
  probes = new ProbeWorkload(cluster);
  const metrics = new MetricsCollector(cluster, () => probes.all());
  const workload = scheduleWorkload(scenario.workload ?? [], cluster, probes, () => metrics.snapshot('failure'));
  metrics.snapshotEvery(scenario.overlayEveryMs ?? DEFAULT_OVERLAY_EVERY_MS, scenario.overlayEveryMs ?? DEFAULT_OVERLAY_EVERY_MS, durationMs);
  const ctx: RunContext = { scenario, seed, cluster, mainEndMs: durationMs, probe: (meshId, origin) => probes.probe(meshId, origin), protectedNodes: new Set() };
  const extensions: RunExtension[] = (scenario.extensions ?? []).map((make) => make(ctx));
  const violations = new ViolationLog();
  const { scheduler } = cluster;
  const bounds = tableBounds(scenario, cluster);
  watchProbeDeliveries(cluster, probes.ids, (violation) => violations.add([violation]));
  options.onStart?.(cluster);

  cluster.boot();
  for (const ext of extensions) ext.start();
  const probeIntervalMs = scenario.probeIntervalMs ?? 5_000;
  if (probeIntervalMs > 0) probes.every(probeIntervalMs, PROBE_WARMUP_MS, durationMs);
  const crossLayer = new CrossLayerMonitor(cluster);
  const churn = new ChurnWatcher(cluster);
  let phase: RunProgress['phase'] = 'main';
  const onProgress = options.onProgress;
  const unwatch = onProgress === undefined ? null : scheduler.watchEvents(PROGRESS_EVERY_EVENTS, () => {
    onProgress({ phase, virtualMs: scheduler.nowMs, mainEndMs: durationMs, events: scheduler.eventsRun, deliveries: metrics.deliveries(), pace: 'events' });
  });
  const safety = (): void => {
    onProgress?.({ phase: 'main', virtualMs: scheduler.nowMs, mainEndMs: durationMs, events: scheduler.eventsRun, deliveries: metrics.deliveries(), pace: 'second' });
    // Safety per node inside the cross-layer sample's walk (one read of each node per second).
    const unsafe: Violation[] = [];
    const crossLayerFindings = crossLayer.sampleNew((plan, app) => checkNodeSafety(cluster, bounds, plan, app, unsafe));
    violations.add(unsafe);
    violations.add(crossLayerFindings);
    if (scheduler.nowMs + SAFETY_CHECK_INTERVAL_MS <= durationMs) scheduler.after(SAFETY_CHECK_INTERVAL_MS, safety);
  };
  scheduler.after(SAFETY_CHECK_INTERVAL_MS, safety);
  const budget = { events: eventBudget(scenario, durationMs) };
  const main = scheduler.runFor(durationMs, budget);
  if (!main.ok) violations.add([{ check: 'run-budget', message: `main phase stopped: ${main.reason} at ${main.nowMs} ms` }]);

  // Let pending work (detections, scheduled reverts) run its course, then revert what is left.
  const pendingUntilMs = (): number => Math.max(0, ...extensions.map((e) => e.pendingUntilMs?.() ?? 0));
  const allSettled = (): boolean => extensions.every((e) => e.settled?.() ?? true);
  let settleUntilMs = Math.max(scheduler.nowMs, pendingUntilMs()) + SETTLE_SLACK_MS;
  let settled = scheduler.runUntil(allSettled, { ...budget, virtualMs: settleUntilMs - scheduler.nowMs });
  // A detection may lengthen its deadline while it waits (a kill's prune of a digest another
  // event held): give it that time too. Pending deadlines that did not move end the wait as before.
  while (!settled.ok && settled.reason === 'virtual-time-budget' && pendingUntilMs() + SETTLE_SLACK_MS > settleUntilMs) {
    settleUntilMs = pendingUntilMs() + SETTLE_SLACK_MS;
    settled = scheduler.runUntil(allSettled, { ...budget, virtualMs: settleUntilMs - scheduler.nowMs });
  }
  if (!settled.ok) violations.add([{ check: 'run-budget', message: `extensions did not settle: ${settled.reason} at ${settled.nowMs} ms` }]);
  for (const ext of extensions) ext.finish();
  phase = 'heal';
  const onHealPoll = (): void => onProgress?.({ phase: 'heal', virtualMs: scheduler.nowMs, mainEndMs: durationMs, events: scheduler.eventsRun, deliveries: metrics.deliveries(), pace: 'second' });
  if (scenario.liveness !== false) heal(cluster, probes, crossLayer, violations, scenario.healWindowMs ?? DEFAULT_HEAL_WINDOW_MS, budget.events, onHealPoll);
  unwatch?.(); // the run's own events are over; a caller may go on with the cluster
  violations.add(checkSafety(cluster, bounds));
  violations.add(checkChurn(cluster, churn));
  violations.add(checkSubstrate(cluster));
  for (const ext of extensions) violations.add(ext.violations());
  if (scenario.expect) violations.add(scenario.expect(ctx));

  metrics.snapshot('end');
  const extra = Object.assign({}, ...extensions.map((e) => e.report())) as Record<string, unknown>;
  const report: RunReport = {
    ...summarize(cluster, probes),
    seed,
    scenario: scenario.name,
    verdict: violations.list.length === 0 ? 'pass' : 'fail',
    violations: violations.list,
    ...violations.notListedReport(),
    replay: runReplay(scenario.name, seed, options.durationMs),
    ...extra,
    metrics: metrics.finish(),
    ...((scenario.workload ?? []).length > 0 ? { workload } : {}),
  };
  return { report, cluster };
}

/**
 * Liveness phase: wait (polling every second) until views are symmetric and connected, digests
 * known, no ghosts remain and the cross-layer checks are clean; then send one probe per topic and
 * wait until every live subscriber has it. Whatever still fails when the window closes is
 * reported.
 * The cross-layer monitor is the main phase's, so its graces count from the first sample that saw
 * a finding, in either phase: a connection opened by a Shuffle a moment before a poll is not a
 * finding, and one that stays unwanted past its grace is. So that a finding inside its grace is
 * not waved through, the checks count as clean only once every finding that was inside its grace
 * when they first came clean has resolved: gone, or reported when its grace ran out.
 */
function heal(cluster: Cluster, probes: ProbeWorkload, crossLayer: CrossLayerMonitor, violations: ViolationLog, windowMs: number, events: number, onPoll: () => void): void {
  const { scheduler } = cluster;
  const deadlineMs = scheduler.nowMs + windowMs;
  let finalProbes: ProbeRecord[] | null = null;
  let resends = 0;
  let last: Violation[] = [];
  let settled = false;
  let cleanSinceMs: number | null = null;
  const poll = (): void => {
    onPoll();
    if (finalProbes === null) {
      last = [...checkViews(cluster), ...checkDigests(cluster), ...checkGhosts(cluster), ...crossLayer.sample()];
      // Nodes still to boot would join after the checks: clean means clean with every node started.
      if (cluster.bootsPending > 0) last.push({ check: 'liveness', message: `${cluster.bootsPending} node(s) not started yet: the boot outlasts the main phase` });
      cleanSinceMs = last.length > 0 ? null : (cleanSinceMs ?? scheduler.nowMs);
      if (cleanSinceMs !== null && crossLayer.oldestFindingSinceMs() > cleanSinceMs) finalProbes = probes.sendFinal();
    } else {
      last = checkProbes(cluster, [...finalProbes, ...probes.checked()], probes.deliveredTo);
      if (last.length === 0) settled = true;
      else if (resends < FINAL_PROBE_RESENDS_MAX) {
        const sent = finalProbes;
        const raced = sent.filter((p) => scheduler.nowMs - p.sentAtMs >= FINAL_PROBE_FLIGHT_MS && racedViewChange(cluster, p, probes.deliveredTo));
        if (raced.length > 0) {
          resends++;
          finalProbes = [...sent.filter((p) => !raced.includes(p)), ...probes.resendFinal(raced)];
        }
      }
    }
    if (!settled && scheduler.nowMs + LIVENESS_POLL_MS <= deadlineMs) scheduler.after(LIVENESS_POLL_MS, poll);
  };
  scheduler.after(0, poll);
  const result = scheduler.runUntil(() => settled, { virtualMs: windowMs, events });
  if (!result.ok) {
    // Nothing failed at the last poll, which came too late for the final probes to be sent, or
    // to be checked: say which, rather than only that the window's time ran out.
    const why =
      finalProbes !== null ? ' before the final probes sent at its last poll were checked'
      : cleanSinceMs !== null ? `, clean since ${cleanSinceMs} ms, before the final probes were sent`
      : `: ${result.reason}`;
    // Final probes found missing at the last poll may have been sent late in the window, the checks
    // clean only then: the window's end is said with them, so that the misses read with their
    // flight (400 ms a hop, a random layout, seed 70740: clean 2.0 s before the end, and two
    // gateways one Graft short of the last probe).
    const finals = finalProbes as ProbeRecord[] | null; // set in the poll closure
    const sentAtMs = finals === null || finals.length === 0 || last.length === 0 ? null : Math.max(...finals.map((p) => p.sentAtMs));
    const flight = sentAtMs === null ? [] : [{ check: 'liveness', message: `heal window ended ${scheduler.nowMs - sentAtMs} ms after its final probes were sent (clean since ${cleanSinceMs} ms)` }];
    violations.add(last.length > 0 ? [...flight, ...last] : [{ check: 'liveness', message: `heal window ended${why}` }]);
  }
}

/**
 * Whether final probe `probe` raced the overlay rather than found it broken: some live receiver
 * missed it, and every one that did changed its own view on the topic after it was sent (its
 * neighbor_up/neighbor_down spans). A node evicted while a broadcast is on its way, or taken up
 * by new neighbours after it passed them, never gets it: Plumtree hands no node what went by
 * before it joined. The heal phase then asks again with a new probe, a few times at most; a
 * receiver that misses probes with a steady view still fails. firewall-inbound under
 * `--chaos 20`, seed 8666: 5 ms after the final probe left, a gateway back from a partition
 * joined through the observer, which evicted a broker (its only neighbour) to take it; the
 * broker rejoined five peers within 60 ms, after the probe had passed them. (Exported for tests.)
 */
export function racedViewChange(cluster: Cluster, probe: ProbeRecord, deliveredTo: DeliveredTo): boolean {
  const missing = missedBy(cluster, probe, deliveredTo);
  if (missing.length === 0) return false;
  const q = cluster.telemetry.query;
  const changed = (node: string, name: SpanName) => q.find({ name, node, sinceMs: probe.sentAtMs, attrs: { topic: probe.meshId } }).length > 0;
  return missing.every((id) => {
    const node = cluster.nameOf(id);
    return changed(node, 'mesh.gossip.neighbor_down') || changed(node, 'mesh.gossip.neighbor_up');
  });
}

export class ViolationLog {
  readonly list: Violation[] = [];
  private readonly seen = new Set<string>();
  private readonly listedPerCheck = new Map<string, number>();
  /** Keys of the distinct violations not listed (up to NOT_LISTED_COUNTED_MAX), per check. */
  private readonly notListed = new Map<string, Set<string>>();
  private notListedKeys = 0;

  add(items: readonly Violation[]): void {
    for (const item of items) {
      const key = `${item.check}|${item.message}`;
      if (this.seen.has(key)) continue;
      const listed = this.listedPerCheck.get(item.check) ?? 0;
      if (listed < VIOLATIONS_PER_CHECK && this.list.length < VIOLATIONS_KEPT) {
        this.seen.add(key);
        this.listedPerCheck.set(item.check, listed + 1);
        this.list.push(item);
        continue;
      }
      let keys = this.notListed.get(item.check);
      if (keys === undefined) this.notListed.set(item.check, (keys = new Set()));
      if (keys.has(key) || this.notListedKeys >= NOT_LISTED_COUNTED_MAX) continue;
      keys.add(key);
      this.notListedKeys++;
    }
  }

  /** `{ violationsNotListed }` for the report, or nothing when every violation was listed. */
  notListedReport(): { violationsNotListed?: Record<string, number> } {
    if (this.notListed.size === 0) return {};
    const counts: Record<string, number> = {};
    for (const check of [...this.notListed.keys()].sort()) counts[check] = this.notListed.get(check)!.size;
    return { violationsNotListed: counts };
  }
}

/**
 * A topic's active view sizes as the report gives them: min, mean (two decimals), max and the
 * count. A loop, not `Math.min(...sizes)`: a call takes at most about 120,000 arguments, and a
 * mesh may have a million subscribers (such a run ended in a RangeError after all its work).
 */
export function viewSizeSummary(sizes: readonly number[]): RunReport['views'][string] {
  if (sizes.length === 0) return { min: 0, mean: 0, max: 0, subscribers: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const size of sizes) {
    if (size < min) min = size;
    if (size > max) max = size;
    sum += size;
  }
  return { min, mean: Math.round((sum / sizes.length) * 100) / 100, max, subscribers: sizes.length };
}

function summarize(cluster: Cluster, probes: ProbeWorkload) {
  const live = cluster.livePlans();
  const views: RunReport['views'] = {};
  for (const meshId of cluster.meshIds()) {
    const sizes: number[] = [];
    for (const p of cluster.subscribers(meshId)) {
      const size = cluster.app(p.nodeId)?.activeView(meshId).length;
      if (size !== undefined) sizes.push(size);
    }
    views[meshId] = viewSizeSummary(sizes);
  }
  const counts = cluster.telemetry.countsByName();
  const apps = live.map((p) => cluster.app(p.nodeId)).filter((a) => a !== undefined);
  let plumtreeEvictions = 0;
  for (const app of apps) for (const meshId of app.spec.meshIds) plumtreeEvictions += evictionCount(app.topicState(meshId)!.plumtree);
  return {
    virtualMs: cluster.scheduler.nowMs,
    events: cluster.scheduler.eventsRun,
    spans: cluster.telemetry.recordCount,
    spansNotRetained: cluster.telemetry.notRetained,
    spansByName: Object.fromEntries(counts),
    traceDigest: cluster.telemetry.traceDigest(),
    nodes: { total: cluster.plans.length, live: live.length },
    connections: live.reduce((n, p) => n + (cluster.app(p.nodeId)?.peers.connectionCount() ?? 0), 0),
    views,
    probes: { sent: probes.sent, deliveries: counts.get('mesh.probe.delivered') ?? 0 },
    /** Mean per live node and virtual second of the run, by frame type. */
    traffic: trafficPerNodeSecond(apps.map((a) => a.peers.traffic), cluster.scheduler.nowMs / 1000),
    /** Table entries live nodes shed under load (bounded tables evict instead of failing). */
    evictions: { plumtree: plumtreeEvictions, digests: apps.reduce((n, a) => n + a.digests.evicted, 0) },
  };
}

/**
 * A run's first `shown` violations as `check: message`, and how many more it found: the rest
 * of its list and those its report counted without listing (`violationsNotListed`). A cell or
 * a sweep line that shows three of 42 says so.
 */
export function shownViolations(report: Pick<RunReport, 'violations' | 'violationsNotListed'>, shown: number): { readonly violations: string[]; readonly violationsMore?: number } {
  const violations = report.violations.slice(0, shown).map((v) => `${v.check}: ${v.message}`);
  const more = report.violations.length - violations.length + Object.values(report.violationsNotListed ?? {}).reduce((n, k) => n + k, 0);
  return more > 0 ? { violations, violationsMore: more } : { violations };
}

/** One line per check with violations past the listed ones (`RunReport.violationsNotListed`). */
export function notListedLines(notListed: readonly (readonly [string, number])[]): string[] {
  const counted = notListed.reduce((sum, [, n]) => sum + n, 0);
  const stopped = counted >= NOT_LISTED_COUNTED_MAX ? ` (counting stopped at ${NOT_LISTED_COUNTED_MAX})` : '';
  return notListed.map(([check, n]) => `… and ${n} more ${check} violation${n === 1 ? '' : 's'}, not listed${stopped}`);
}
