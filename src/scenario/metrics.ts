/**
 * The papers' metrics for every broadcast, and overlay snapshots (SPEC §10.4), computed from
 * the evidence the nodes emit while the run goes: `mesh.probe.sent` (message id, size),
 * `mesh.probe.delivered` (hop = Plumtree's round), and the tally of every Gossip payload
 * received (duplicates included). Listeners see every span whether or not it is kept in
 * memory, so metrics cost O(deliveries) at any size. Snapshots read the live nodes' views.
 *
 * Per broadcast: expected (running subscribers at send time, sender included), reached (sender +
 * expected nodes that delivered), reliability = reached / expected, missed, ldh (largest hop),
 * meanHop, rmr = payloads received / (reached − 1) − 1 (Plumtree paper §4; 0 = no redundancy),
 * latencyMs {p50, p99, max}. Must not read clocks or randomness.
 */
import { activeView, passiveView } from '../protocol/hyparview.js';
import type { ProbeRecord } from './checker.js';
import type { Cluster } from './cluster.js';
import { UnionFind } from './union-find.js';

export interface BroadcastMetrics {
  readonly probeId: string;
  readonly meshId: string;
  readonly sentAtMs: number;
  readonly expected: number;
  readonly reached: number;
  readonly missed: number;
  readonly reliability: number;
  readonly ldh: number;
  readonly meanHop: number;
  readonly rmr: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export interface Spread {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

export interface OverlaySnapshot {
  readonly atMs: number;
  readonly reason: 'failure' | 'periodic' | 'end';
  readonly meshId: string;
  readonly live: number;
  readonly components: number;
  readonly largestComponentShare: number;
  readonly isolated: number;
  readonly deadActiveEntries: number;
  readonly activeView: Spread;
  readonly passiveView: Spread;
}

export interface RunMetrics {
  /** Over every broadcast (mean, min, max), for tables and experiments. */
  readonly summary: {
    readonly broadcasts: number;
    readonly reliability: Spread;
    readonly missed: Spread;
    readonly ldh: Spread;
    readonly meanHop: Spread;
    readonly rmr: Spread;
    readonly latencyP50Ms: Spread;
    readonly latencyP99Ms: Spread;
    /** Overlay at the end: the most components any topic's live active-view graph has (1 = connected). */
    readonly components: number;
    readonly largestComponentShare: number;
    readonly isolated: number;
  };
  readonly broadcasts: readonly BroadcastMetrics[];
  readonly overlay: readonly OverlaySnapshot[];
}

/** See `MetricsCollector.deliveries`. */
export interface DeliveryProgress {
  readonly reached: number;
  readonly expected: number;
}

interface Tracked {
  readonly record: ProbeRecord;
  readonly expected: ReadonlySet<string>;
  reached: number;
  hopMax: number;
  hopSum: number;
  receipts: number;
  /** Delivery latency → count (integer ms): bounded by the distinct latencies, not the deliveries. */
  readonly latencies: Map<number, number>;
}

export class MetricsCollector {
  private readonly tracked = new Map<string, Tracked>();
  private readonly byMessageId = new Map<string, Tracked>();
  private readonly expectedSets = new WeakMap<readonly string[], ReadonlySet<string>>();
  private readonly snapshots: OverlaySnapshot[] = [];
  /** Running totals over the broadcasts sent so far, for a long run's progress (`deliveries`). */
  private expectedTotal = 0;
  private reachedTotal = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly records: () => readonly ProbeRecord[],
  ) {
    const tel = cluster.telemetry;
    tel.listen('mesh.probe.sent', (r) => {
      const t = this.track(String(r.attrs.probeId));
      if (t !== undefined) this.byMessageId.set(String(r.attrs.messageId), t);
    });
    tel.listen('mesh.probe.delivered', (r) => {
      const t = this.track(String(r.attrs.probeId));
      if (t === undefined || !t.expected.has(cluster.idOfName(r.node))) return;
      const hop = Number(r.attrs.hop);
      t.reached++;
      this.reachedTotal++;
      t.hopSum += hop;
      if (hop > t.hopMax) t.hopMax = hop;
      const latencyMs = r.endMs - t.record.sentAtMs;
      t.latencies.set(latencyMs, (t.latencies.get(latencyMs) ?? 0) + 1);
    });
    tel.listenTally('mesh.gossip.payload_received', (messageId) => {
      const t = this.byMessageId.get(messageId);
      if (t !== undefined) t.receipts++;
    });
  }

  /**
   * Deliveries so far, summed over the broadcasts sent so far (probes and the workload's): how
   * many of their expected nodes they reached (senders included, as per broadcast), of how many.
   * Counters kept as the spans arrive: O(1) to read at any size.
   */
  deliveries(): DeliveryProgress {
    return { reached: this.reachedTotal, expected: this.expectedTotal };
  }

  /** Overlay snapshots every `everyMs` from `fromMs` to `untilMs` (0 = none). */
  snapshotEvery(everyMs: number, fromMs: number, untilMs: number): void {
    if (everyMs <= 0) return;
    const tick = (): void => {
      this.snapshot('periodic');
      if (this.cluster.scheduler.nowMs + everyMs <= untilMs) this.cluster.scheduler.after(everyMs, tick);
    };
    if (fromMs <= untilMs) this.cluster.scheduler.at(fromMs, tick);
  }

  /** One snapshot per topic of the live active-view graph and view sizes. */
  snapshot(reason: OverlaySnapshot['reason']): void {
    for (const meshId of this.cluster.meshIds()) {
      const live = this.cluster.subscribers(meshId).filter((p) => this.cluster.app(p.nodeId) !== undefined);
      if (live.length === 0) continue;
      const index = new Map(live.map((p, i) => [p.nodeId, i]));
      const parts = new UnionFind(live.length);
      const actives: number[] = [];
      const passives: number[] = [];
      let dead = 0;
      let isolated = 0;
      live.forEach((p, i) => {
        const state = this.cluster.app(p.nodeId)!.topicState(meshId)!.hyparview;
        const active = activeView(state);
        actives.push(active.length);
        passives.push(passiveView(state).length);
        let liveNeighbours = 0;
        for (const peer of active) {
          const j = index.get(peer);
          if (j === undefined) {
            dead++;
            continue;
          }
          liveNeighbours++;
          parts.join(i, j);
        }
        if (liveNeighbours === 0) isolated++;
      });
      const sizes = new Map<number, number>();
      for (let i = 0; i < live.length; i++) sizes.set(parts.find(i), (sizes.get(parts.find(i)) ?? 0) + 1);
      this.snapshots.push({
        atMs: this.cluster.scheduler.nowMs,
        reason,
        meshId,
        live: live.length,
        components: sizes.size,
        largestComponentShare: round(maxOf(sizes.values()) / live.length),
        isolated,
        deadActiveEntries: dead,
        activeView: spread(actives),
        passiveView: spread(passives),
      });
    }
  }

  /** The metrics of every broadcast sent so far, and the snapshots taken. */
  finish(): RunMetrics {
    const broadcasts = this.records().map((r) => this.metricsOf(this.track(r.probeId)!));
    const last = new Map<string, OverlaySnapshot>();
    for (const s of this.snapshots) last.set(s.meshId, s);
    const ends = [...last.values()];
    return {
      summary: {
        broadcasts: broadcasts.length,
        reliability: spread(broadcasts.map((b) => b.reliability)),
        missed: spread(broadcasts.map((b) => b.missed)),
        ldh: spread(broadcasts.map((b) => b.ldh)),
        meanHop: spread(broadcasts.map((b) => b.meanHop)),
        rmr: spread(broadcasts.map((b) => b.rmr)),
        latencyP50Ms: spread(broadcasts.map((b) => b.latencyMs.p50)),
        latencyP99Ms: spread(broadcasts.map((b) => b.latencyMs.p99)),
        components: maxOf(ends.map((s) => s.components)),
        largestComponentShare: ends.length === 0 ? 0 : Math.min(...ends.map((s) => s.largestComponentShare)),
        isolated: ends.reduce((n, s) => n + s.isolated, 0),
      },
      broadcasts,
      overlay: this.snapshots,
    };
  }

  private track(probeId: string): Tracked | undefined {
    let t = this.tracked.get(probeId);
    if (t !== undefined) return t;
    const record = this.records().at(-1);
    // Probes are tracked as they are sent: the newest record is the one being sent now.
    if (record === undefined || record.probeId !== probeId) return undefined;
    let expected = this.expectedSets.get(record.expected);
    if (expected === undefined) this.expectedSets.set(record.expected, (expected = new Set(record.expected)));
    t = { record, expected, reached: 0, hopMax: 0, hopSum: 0, receipts: 0, latencies: new Map() };
    this.tracked.set(probeId, t);
    this.expectedTotal += record.expected.length;
    if (expected.has(record.origin)) this.reachedTotal++; // the sender counts, as in `reached`
    return t;
  }

  private metricsOf(t: Tracked): BroadcastMetrics {
    const expected = t.record.expected.length;
    const senderCounts = t.expected.has(t.record.origin) ? 1 : 0;
    const reached = senderCounts + t.reached;
    const lat = [...t.latencies.keys()].sort((a, b) => a - b);
    const counts = lat.map((ms) => t.latencies.get(ms)!);
    return {
      probeId: t.record.probeId,
      meshId: t.record.meshId,
      sentAtMs: t.record.sentAtMs,
      expected,
      reached,
      missed: expected - reached,
      reliability: expected === 0 ? 1 : round(reached / expected),
      ldh: t.hopMax,
      meanHop: t.reached === 0 ? 0 : round(t.hopSum / t.reached),
      rmr: reached <= 1 ? 0 : round(t.receipts / (reached - 1) - 1),
      latencyMs: { p50: percentileOf(lat, counts, 0.5), p99: percentileOf(lat, counts, 0.99), max: lat.length === 0 ? 0 : lat[lat.length - 1] },
    };
  }
}

/** Nearest-rank percentile of a histogram: ascending values and their counts (0 when empty). */
export function percentileOf(values: readonly number[], counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    seen += counts[i];
    if (seen >= rank) return values[i];
  }
  return values[values.length - 1];
}

/** Nearest-rank percentile of sorted values (0 when empty). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: 0, mean: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, mean: round(sum / values.length), max };
}

function maxOf(values: Iterable<number>): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
