/**
 * SlowLink: extra latency on both directions of a connected pair's link, for `durationMs`
 * (default 20 s). Override `latencyMs` = the ADDED one-way latency (default drawn from
 * 100..500 ms); the link's latency becomes its base + latencyMs.
 *
 * Evidence (spans only; shared with LossyLink through `damagedLinkDetector`):
 *  - slow is not dead: no mesh.peer.disconnected{reason: idle-timeout} (nor {cause: dead-path})
 *    between the pair during the damaged period (either end) — else failed_assertion. Other
 *    close reasons are the overlay dropping an unused connection, not a false death; nor is a
 *    dead-path close that only followed the other end's own close, lost on the damaged link and
 *    told by its redial, or its restart since the connection opened (evidence.ts `peerLetGoFirst`);
 *  - broadcasts still flow: a probe round sent during the damaged period — from the pair itself
 *    on each of its meshes, so the damaged link is on the path — is delivered
 *    (mesh.probe.delivered) to every running subscriber, the pair included;
 *  - Plumtree tree repair (mesh.plumtree.graft|prune by the pair) is attached as evidence when
 *    it happens; it is not required, since the tree need not route over the damaged link.
 * It passes once the whole damaged period has been watched and the round is complete.
 * Deadline: durationMs (20 s) + probe resend 5 s + slack 5 s = 30 s.
 * Revert (after `durationMs`): resetLink both directions (idempotent).
 */
import { atResend, failedAssertion, MISSING_SHOWN, nameOf, passed, silenceDeath, type ProbeCutOff } from './evidence.js';
import { othersCutOff } from './reach.js';
import { assert } from '../sim/assert.js';
import { deadlineOf, FAULT_LENGTH_MS_MAX, paramOf, paramTerm, timer, type ParamSpec, type PrimitiveSpec } from './schema.js';
import { pickLinkedPair, intParam } from './targets.js';
import type { ChaosWorld, Detector, Fault, ParamValue, Primitive } from './types.js';
import type { ProbeRecord } from '../scenario/checker.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { probeRoundMs } from './timing.js';

export const LINK_DAMAGE_DURATION_MS = 20_000;
/** Most latency a schedule may add, one way, ms (twice the idle timeout: beyond it a link is plainly dead). */
export const SLOW_LINK_LATENCY_MS_MAX = 60_000;

/** The damaged period of SlowLink and LossyLink. */
export const LINK_DURATION_PARAM: ParamSpec = {
  name: 'durationMs',
  unit: 'ms',
  min: 1,
  max: FAULT_LENGTH_MS_MAX,
  default: LINK_DAMAGE_DURATION_MS,
  draw: { kind: 'fixed' },
  explore: { min: 5_000, max: 30_000, step: 500 },
  doc: 'how long the link stays damaged',
};

/** The deadline of SlowLink and LossyLink: the damaged period is watched whole, then a probe resend. */
export function damagedLinkSpec(name: 'slow_link' | 'lossy_link', first: ParamSpec): PrimitiveSpec {
  return {
    name,
    params: [first, LINK_DURATION_PARAM],
    targets: { min: 2, max: 2, shape: 'link', kills: false },
    faultLengthMs: (p) => p.durationMs,
    deadline: (p, t) => [paramTerm('durationMs', p.durationMs), timer('probe resend', probeRoundMs(t)), timer('slack', t.slackMs)],
  };
}

export const slowLinkSpec = damagedLinkSpec('slow_link', {
  name: 'latencyMs',
  unit: 'ms',
  min: 0,
  max: SLOW_LINK_LATENCY_MS_MAX,
  default: 100,
  draw: { kind: 'range', min: 100, max: 500 },
  explore: { min: 50, max: 1_000, step: 50 },
  doc: "one-way latency ADDED to the link's own, both directions",
});

export const slowLink: Primitive = {
  name: 'slow_link',
  spec: slowLinkSpec,
  choose: (world, rng, overrides) => {
    const pair = pickLinkedPair(world, rng);
    if (pair === null) return null;
    const latency = slowLinkSpec.params[0];
    assert(latency.draw.kind === 'range', 'slow_link draws its latency from a range');
    return { targets: pair, params: { latencyMs: Math.max(0, Math.round(intParam(overrides, 'latencyMs', rng, latency.draw.min, latency.draw.max))), durationMs: durationParam(overrides) } };
  },
  apply: (world, fault) => {
    const [a, b] = pairOf(fault);
    const addedMs = paramOf(slowLinkSpec, fault, 'latencyMs');
    const net = world.links;
    net.setLink(a, b, { latencyMs: net.link(a, b).latencyMs + addedMs });
    net.setLink(b, a, { latencyMs: net.link(b, a).latencyMs + addedMs });
  },
  revert: (world, fault) => resetPair(world, fault),
  revertPolicy: (fault) => ({ afterMs: paramOf(slowLinkSpec, fault, 'durationMs') }),
  detector: (world, fault, appliedAtMs) => damagedLinkDetector(world, slowLinkSpec, fault, appliedAtMs, 'slow'),
};

export function durationParam(overrides: Readonly<Record<string, ParamValue>> | undefined): number {
  const v = overrides?.durationMs;
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : LINK_DAMAGE_DURATION_MS;
}

export function pairOf(fault: Fault): [string, string] {
  if (fault.targets.length !== 2) throw new Error(`a link fault needs two targets, got ${fault.targets.length}`);
  return [fault.targets[0], fault.targets[1]];
}

export function resetPair(world: ChaosWorld, fault: Fault): void {
  const [a, b] = pairOf(fault);
  world.links.resetLink(a, b);
  world.links.resetLink(b, a);
}

/** The detector shared by SlowLink and LossyLink (see the header). */
export function damagedLinkDetector(world: ChaosWorld, spec: PrimitiveSpec, fault: Fault, appliedAtMs: number, what: string): Detector {
  const [a, b] = pairOf(fault);
  const durationMs = paramOf(spec, fault, 'durationMs');
  const deadline = deadlineOf(spec, { durationMs }, world.timers);
  const damagedUntilMs = appliedAtMs + durationMs;
  // An idle timeout judges the silence of the idle timeout before it: one declared sooner after
  // the apply judged a silence that began while the link was whole (another event's cut of the
  // pair, a wedged peer), not the damage. mesh-grow-shrink under --chaos 8, seed 100, until
  // running endpoints answered for connections they had closed: a partition_pair held the pair
  // apart from 15.0 s, and the lossy_link applied to it at 42.9 s was blamed for the idle
  // timeout at 44.4 s of a silence that began at 14.4 s (test/silence-death.test.ts).
  const idleSinceMs = appliedAtMs + world.links.config.idleTimeoutMs;
  const q = world.spans;
  const origins: [string, string][] = [];
  for (const meshId of world.node(a).meshIds) origins.push([meshId, a]);
  for (const meshId of world.node(b).meshIds) if (!origins.some(([m]) => m === meshId)) origins.push([meshId, b]);
  const round = new TargetedProbeRound(world, origins, fault.targets, damagedUntilMs, othersCutOff(world, fault, appliedAtMs));
  let missing = 'nothing yet';
  return {
    evidence: `no idle-timeout or dead-path disconnect between ${nameOf(world, a)} and ${nameOf(world, b)} while the link is ${what}; a probe round from the pair sent meanwhile reaches every running subscriber`,
    deadlineFormula: deadline.formula,
    deadlineMs: deadline.ms,
    missing: () => missing,
    poll: (nowMs) => {
      const waitedMs = nowMs - appliedAtMs;
      const untilMs = Math.min(nowMs, damagedUntilMs);
      for (const [x, y] of [[a, b], [b, a]] as const) {
        const down = silenceDeath(world, nameOf(world, x), appliedAtMs, untilMs, y, idleSinceMs, x);
        if (down !== undefined) return failedAssertion(waitedMs, `${nameOf(world, x)} declared ${nameOf(world, y)} dead (${down.attrs.reason === 'idle-timeout' ? 'idle timeout' : 'dead path'}) over a ${what} link`, [down]);
      }
      const r = round.poll(nowMs);
      if (!r.done) missing = r.missing.length === 0 ? 'a probe from each end (none could be sent yet)' : `probe deliveries: ${r.missing.join(', ')}`;
      else if (nowMs < damagedUntilMs) missing = `the end of the ${what} link`;
      if (!r.done || nowMs < damagedUntilMs) return null;
      const repair = [a, b].flatMap((x) => [
        ...q.find({ name: 'mesh.plumtree.graft', node: nameOf(world, x), sinceMs: appliedAtMs, untilMs }),
        ...q.find({ name: 'mesh.plumtree.prune', node: nameOf(world, x), sinceMs: appliedAtMs, untilMs }),
      ]);
      return passed(waitedMs, [...repair.slice(0, 2), ...r.evidence]);
    },
  };
}

/**
 * Probes from chosen origins, one per (mesh, origin); complete when every running subscriber
 * not under ANOTHER fault (this fault's own targets are expected to receive) has each one. An
 * origin not running at a send sends nothing then and is owed nothing.
 * Sent on the first poll and re-sent every 5 s while incomplete, but only before `sendUntilMs`.
 * `missing` names the first MISSING_SHOWN receivers still missing.
 */
export class TargetedProbeRound {
  private probes: ProbeRecord[] = [];
  /** Per probe: who was there to receive it when it was sent (running, not under another fault). */
  private expected = new Map<string, Set<string>>();
  private sentAtMs = -1;

  constructor(
    private readonly world: ChaosWorld,
    private readonly origins: readonly (readonly [meshId: string, origin: string])[],
    private readonly own: readonly string[],
    private readonly sendUntilMs = Infinity,
    /**
     * Receivers (ids) other chaos events had cut off from a probe's origin when it was sent
     * (reach.ts, `othersCutOff`): not expected to have it, the own targets included; a re-send
     * expects them again. Default: none.
     */
    private readonly cutOff?: ProbeCutOff,
  ) {}

  /** Send (or re-send) the round if due (at a re-send: `atResend`, evidence.ts). */
  poll(nowMs: number): { done: boolean; missing: string[]; evidence: SpanRecord[] } {
    const due = this.sentAtMs < 0 || nowMs - this.sentAtMs >= probeRoundMs(this.world.timers);
    if (!due || nowMs >= this.sendUntilMs) return this.check();
    if (this.sentAtMs < 0) {
      this.send();
      return this.check();
    }
    const before = this.check();
    if (before.done) return before;
    this.send();
    return atResend(before, this.check());
  }

  private send(): void {
    this.sentAtMs = this.world.nowMs();
    this.probes = [];
    this.expected.clear();
    for (const [meshId, origin] of this.origins) {
      const record = this.world.probe(meshId, origin);
      if (record === null) continue;
      this.probes.push(record);
      const receivers = this.world
        .subscribers(meshId)
        .filter((s) => this.world.status(s.nodeId) === 'running' && (!this.world.isFaulted(s.nodeId) || this.own.includes(s.nodeId)))
        .map((s) => s.nodeId);
      this.expected.set(record.probeId, new Set(receivers));
    }
  }

  private check(): { done: boolean; missing: string[]; evidence: SpanRecord[] } {
    const missing: string[] = [];
    const evidence: SpanRecord[] = [];
    for (const p of this.probes) {
      const spans = this.world.spans.find({ name: 'mesh.probe.delivered', sinceMs: p.sentAtMs, attrs: { probeId: p.probeId } });
      const got = new Set(spans.map((s) => s.node));
      let cut: ReadonlySet<string> | undefined;
      for (const s of this.world.subscribers(p.meshId)) {
        if (missing.length >= MISSING_SHOWN) break; // one is enough to wait; a few are named
        if (s.nodeId === p.origin || got.has(s.name) || this.world.status(s.nodeId) !== 'running') continue;
        if (!this.expected.get(p.probeId)?.has(s.nodeId)) continue; // under another fault when it was sent
        if (this.world.isFaulted(s.nodeId) && !this.own.includes(s.nodeId)) continue;
        // Asked only of a receiver still missing (the search is over the overlay at send time).
        cut ??= this.cutOff?.from(p.meshId, p.origin, p.sentAtMs) ?? new Set();
        if (cut.has(s.nodeId)) continue;
        const label = `${s.name} (${p.meshId})`;
        if (!missing.includes(label)) missing.push(label); // two origins on one topic (nat_shift's): named once
      }
      evidence.push(...spans.slice(0, 2));
    }
    // An origin down at the send (another event killed or restarted it since the round began:
    // random layouts under chaos, seed 73356, a NAT-shifted bridge whose round's other sender on
    // the bridge topic, the one other bridge, a kill took) sends nothing and is owed nothing.
    return { done: this.probes.length > 0 && missing.length === 0, missing, evidence };
  }
}
