/**
 * The probe workload: liveness probes broadcast from live nodes, on a timer (the scenario's
 * `probeIntervalMs`), at the end of the heal window (one per topic), on demand (chaos
 * detectors) and from scenario workloads. Each probe is recorded with the live subscribers
 * that must receive it; whether they did is evidence the nodes emit (`mesh.probe.delivered`).
 * Records of probes on the same topic share one expected list while no host's status changes
 * (`Cluster.statusEpoch`), so an all-nodes burst costs O(n), not O(n²), and so does a long run's
 * broadcasts: a list per broadcast was nodes × broadcasts (a 10,000-node hour of one broadcast a
 * second, some 290 MB of lists and 1 GB of the metrics' sets over them). Who delivered a probe
 * is recorded only for the probes whose full delivery the run checks (the final ones): a record
 * per node and probe for all of them would be nodes × probes (the nodes' own such sets were a
 * fifth of what a 1,200-node all-nodes burst left in memory; docs/performance.md, round 20).
 */
import type { ProbeRecord } from './checker.js';
import type { Cluster } from './cluster.js';

export class ProbeWorkload {
  readonly ids = new Set<string>();
  private readonly records: ProbeRecord[] = [];
  /** The final probes (the keys) and the node ids that delivered each, from their `mesh.probe.delivered` spans. */
  private readonly deliveredBy = new Map<string, Set<string>>();
  /** The probes sent on demand (`probe`: chaos detectors), whose deliveries they query. */
  private readonly onDemand = new Set<string>();
  private watching = false;
  private n = 0;
  /** Each topic's expected list last computed, and the status epoch it was computed at. */
  private readonly expectedMemo = new Map<string, { readonly epoch: number; readonly ids: readonly string[] }>();

  constructor(private readonly cluster: Cluster) {}

  every(intervalMs: number, startMs: number, endMs: number): void {
    const rng = this.cluster.rng.stream('workload');
    const tick = (): void => {
      const live = this.cluster.runningPlans();
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
    return this.sendFinalOn(this.cluster.meshIds());
  }

  /**
   * Send each of `raced` final probes again on its topic, and stop checking the old one: the
   * heal phase found that every receiver it missed changed its view while it was out.
   */
  resendFinal(raced: readonly ProbeRecord[]): ProbeRecord[] {
    for (const old of raced) this.deliveredBy.delete(old.probeId);
    return this.sendFinalOn(raced.map((r) => r.meshId));
  }

  private sendFinalOn(meshIds: readonly string[]): ProbeRecord[] {
    const rng = this.cluster.rng.stream('workload');
    const out: ProbeRecord[] = [];
    for (const meshId of meshIds) {
      const live = this.cluster.subscribers(meshId).filter((p) => this.cluster.host(p.nodeId).status === 'running');
      if (live.length < 2) continue;
      this.watchDeliveries();
      const record = this.send(rng.pick(live).nodeId, meshId);
      this.deliveredBy.set(record.probeId, new Set()); // delivery takes a hop: no span came yet
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
    return this.send(origin, meshId, undefined, true);
  }

  /** Whether `probeId` was sent on demand (`probe`): a detector's, whose deliveries it reads back. */
  readonly sentOnDemand = (probeId: string): boolean => this.onDemand.has(probeId);

  /** Probes whose full delivery is required at the end: the final ones. */
  checked(): ProbeRecord[] {
    return this.records.filter((r) => this.deliveredBy.has(r.probeId));
  }

  /** Whether node `nodeId` delivered the checked probe `probeId` (false for a probe not checked). */
  readonly deliveredTo = (probeId: string, nodeId: string): boolean => this.deliveredBy.get(probeId)?.has(nodeId) ?? false;

  /** From the first final probe on: note which nodes deliver the final probes. */
  private watchDeliveries(): void {
    if (this.watching) return;
    this.watching = true;
    this.cluster.telemetry.listen('mesh.probe.delivered', (r) => {
      this.deliveredBy.get(String(r.attrs.probeId))?.add(this.cluster.idOfName(r.node));
    });
  }

  /** Every probe sent, in send order. */
  all(): readonly ProbeRecord[] {
    return this.records;
  }

  get sent(): number {
    return this.records.length;
  }

  /** Broadcast a probe (padded to `sizeBytes` when given) from a running subscriber of `meshId`. */
  send(origin: string, meshId: string, sizeBytes?: number, onDemand = false): ProbeRecord {
    const probeId = `probe-${++this.n}`;
    const record = { probeId, meshId, origin, sentAtMs: this.cluster.scheduler.nowMs, expected: this.expectedOn(meshId) };
    this.ids.add(probeId);
    if (onDemand) this.onDemand.add(probeId);
    this.records.push(record);
    this.cluster.app(origin)!.broadcastProbe(meshId, probeId, sizeBytes);
    return record;
  }

  /** Running subscribers of `meshId` now (shared between probes of the topic while no status changes). */
  private expectedOn(meshId: string): readonly string[] {
    const epoch = this.cluster.statusEpoch;
    const memo = this.expectedMemo.get(meshId);
    if (memo !== undefined && memo.epoch === epoch) return memo.ids;
    const ids = this.cluster
      .subscribers(meshId)
      .filter((p) => this.cluster.host(p.nodeId).status === 'running')
      .map((p) => p.nodeId);
    this.expectedMemo.set(meshId, { epoch, ids });
    return ids;
  }
}
