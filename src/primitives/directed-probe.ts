/**
 * A probe round with a chosen sender and named receivers, for detectors of the lifecycle
 * primitives: "a probe FROM the restarted node reaches everyone", "a probe reaches the wedged
 * node after unwedge", "the node with the full disk still delivers a probe". Like ProbeRound
 * (evidence.ts) it is stimulus plus span evidence (mesh.probe.delivered); it must not read
 * node state, only which nodes are up.
 */
import type { ProbeRecord } from '../scenario/checker.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { appendAll, atResend, emitted, healthyNodes, meshesOf, nameOf, probeDeliveries, type ProbeCutOff } from './evidence.js';
import { probeFlightMs } from './reach.js';
import type { ChaosWorld } from './types.js';
import { probeRoundMs } from './timing.js';

export interface DirectedProbeOptions {
  /** Sender of every probe; default: the first healthy subscriber not in `mustReach`. */
  readonly origin?: string;
  /** Receivers that must deliver the probe even if they are under a fault (e.g. the victim). */
  readonly mustReach?: readonly string[];
  /** Re-send a round that has not completed after this long, ms. Default 5 000. */
  readonly resendMs?: number;
  /**
   * Receivers other chaos events had cut off from a probe's origin when it was sent (reach.ts,
   * `othersCutOff`): not expected to have that probe. The default origin is then the first
   * candidate no other event cut off from the `mustReach` nodes; a `mustReach` node is excused
   * only for a probe sent when other events had cut it off from every candidate (the round is
   * re-sent every `resendMs`, so it is owed the next probe a candidate can reach it with).
   * Default: none.
   */
  readonly cutOff?: ProbeCutOff;
}

export interface ProbeOutcome {
  readonly done: boolean;
  readonly missing: readonly string[];
  readonly evidence: readonly SpanRecord[];
}

export class DirectedProbe {
  private probes: ProbeRecord[] = [];
  /** `${probeId} ${nodeId}` of the `mustReach` nodes other events had cut off from every candidate origin of that probe. */
  private unreachable = new Set<string>();
  /** Probes of the last round that could not be sent from an origin there was (e.g. not running). */
  private unsent = 0;
  private sentAtMs = -1;

  constructor(
    private readonly world: ChaosWorld,
    private readonly meshIds: readonly string[],
    private readonly options: DirectedProbeOptions = {},
  ) {}

  /**
   * Send (or re-send) the round if due; complete once every healthy subscriber and every
   * `mustReach` node delivered it, on every topic with a healthy subscriber to send from.
   * At a re-send: `atResend` (evidence.ts), when both rounds sent every probe.
   */
  poll(nowMs: number): ProbeOutcome {
    if (this.sentAtMs < 0) this.send(nowMs);
    else if (nowMs - this.sentAtMs >= (this.options.resendMs ?? probeRoundMs(this.world.timers))) {
      const last = this.outcome();
      if (last.done) return last;
      const lastSent = this.sentAll();
      this.send(nowMs);
      return atResend(last, this.outcome(), lastSent && this.sentAll());
    }
    return this.outcome();
  }

  /**
   * Whether the round sent last excused `id` (a `mustReach` node) from every probe it owed it:
   * other events had cut it off from every candidate origin on each of its topics when it was
   * sent, or from the probe's origin while the probe was in flight (reach.ts, probeFlightMs).
   * So does a round that found no origin on any topic (every other subscriber down or under
   * another fault: random layouts under chaos, a partition_subset that took every other node of
   * a six-node mesh, seed 47503): nobody could show it anything.
   * Null at `nowMs` within the flight when the send did not excuse it: not yet known.
   */
  excusedFromRound(id: string, nowMs: number): boolean | null {
    const owed = this.probes.filter((p) => p.origin !== id && meshesOf(this.world, id).includes(p.meshId));
    if (owed.length === 0) return this.sentAtMs >= 0 && this.probes.length === 0 && this.unsent === 0;
    if (owed.every((p) => this.unreachable.has(`${p.probeId} ${id}`))) return true;
    if (nowMs <= this.sentAtMs + probeFlightMs(this.world.timers)) return null;
    return owed.every((p) => this.unreachable.has(`${p.probeId} ${id}`) || this.cutInFlight(p, id));
  }

  /** Whether other events cut `id` off from `p`'s origin at its send or in its flight (`cutOff.from`). */
  private cutInFlight(p: ProbeRecord, id: string): boolean {
    return this.options.cutOff?.from(p.meshId, p.origin, p.sentAtMs).has(id) ?? false;
  }

  /** Whether the last round sent a probe on every topic it tried (`outcome` says so otherwise). */
  private sentAll(): boolean {
    return this.probes.length > 0 && this.unsent === 0;
  }

  private send(nowMs: number): void {
    this.sentAtMs = nowMs;
    this.probes = [];
    this.unreachable = new Set();
    this.unsent = 0;
    const healthy = healthyNodes(this.world);
    for (const meshId of this.meshIds) {
      const chosen = this.options.origin === undefined ? this.originFor(meshId, healthy, nowMs) : { origin: this.options.origin, cutOffFromAll: [] };
      // No healthy subscriber but the nodes it must reach: every other one is down or under
      // another fault (a two-bridge topic, its other bridge killed), so nobody there can show
      // anything. The round leaves that topic out; a round with no topic at all is not done.
      if (chosen.origin === undefined) continue;
      const record = this.world.probe(meshId, chosen.origin);
      if (record === null) {
        this.unsent++;
        continue;
      }
      this.probes.push(record);
      for (const id of chosen.cutOffFromAll) this.unreachable.add(`${record.probeId} ${id}`);
    }
  }

  /**
   * The first healthy subscriber of `meshId` not in `mustReach` that no other chaos event had
   * cut off from the `mustReach` nodes there at `nowMs` (the first one if every candidate was).
   */
  private originFor(meshId: string, healthy: readonly string[], nowMs: number): { origin: string | undefined; cutOffFromAll: readonly string[] } {
    const mustReach = this.options.mustReach ?? [];
    const candidates = healthy.filter((id) => !mustReach.includes(id) && meshesOf(this.world, id).includes(meshId));
    const owed = mustReach.filter((id) => meshesOf(this.world, id).includes(meshId));
    const cutOff = this.options.cutOff;
    if (cutOff === undefined || owed.length === 0) return { origin: candidates[0], cutOffFromAll: [] };
    // Per owed node, the origins cut off from it: a search from each owed node, not one from each
    // candidate (at 10,000 nodes, with the victim cut off from everyone, that was O(n²) per send).
    const cutFrom = owed.map((m) => cutOff.towards(meshId, m, nowMs));
    const free = candidates.find((id) => !cutFrom.some((isCut) => isCut(id)));
    if (free !== undefined || candidates.length === 0) return { origin: free, cutOffFromAll: [] };
    // Every candidate was cut off from some owed node: send from the first, and excuse, for this
    // probe only, the owed nodes it was cut off from (other events' doing, not the caller's).
    return { origin: candidates[0], cutOffFromAll: owed.filter((_, i) => cutFrom[i](candidates[0])) };
  }

  /** The outcome of the round sent last, without sending anything (not done before a first send). */
  outcome(): ProbeOutcome {
    // No topic had anybody to send from (every other subscriber down or under a fault): nothing
    // to show, as for a closing round (ProbeRound). The random-layouts property, fast-check seed
    // 202: a mesh of two, the one node besides a wedged victim under another event.
    if (this.sentAtMs >= 0 && this.probes.length === 0 && this.unsent === 0) return { done: true, missing: [], evidence: [] };
    if (!this.sentAll()) return { done: false, missing: ['(no probe could be sent)'], evidence: [] };
    const missing: string[] = [];
    const evidence: SpanRecord[] = [];
    for (const p of this.probes) {
      const r = probeDeliveries(this.world, p);
      const cut = this.options.cutOff?.from(p.meshId, p.origin, p.sentAtMs);
      const excused = new Set([...(cut ?? [])].map((id) => nameOf(this.world, id)));
      for (const m of r.missing) if (!excused.has(m)) missing.push(`${m} (${p.meshId})`);
      appendAll(evidence, r.delivered);
      for (const id of this.options.mustReach ?? []) {
        if (id === p.origin || !meshesOf(this.world, id).includes(p.meshId)) continue;
        const s = emitted(this.world, id, 'mesh.probe.delivered', p.sentAtMs, { probeId: p.probeId });
        if (s === undefined && !this.unreachable.has(`${p.probeId} ${id}`) && !cut?.has(id) && !missing.includes(`${nameOf(this.world, id)} (${p.meshId})`)) missing.push(`${nameOf(this.world, id)} (${p.meshId})`);
      }
    }
    return { done: missing.length === 0, missing, evidence };
  }
}

/** `spans` with those emitted by `nodeId` first (evidence lists are cut short in reports). */
export function victimFirst(world: ChaosWorld, nodeId: string, spans: readonly SpanRecord[]): SpanRecord[] {
  const name = nameOf(world, nodeId);
  return [...spans.filter((s) => s.node === name), ...spans.filter((s) => s.node !== name)];
}
