/**
 * FlapLink: the link between two overlay neighbours goes down (both directions blocked) and up
 * again `flaps` times: `downMs` down, `upMs` up, starting at apply.
 *
 * Evidence (spans after apply):
 *  1. no reconnect storm: at each end, the mesh.peer.connected + mesh.peer.dial_failed spans
 *     about the other end number at most DIALS_PER_FLAP_MAX (3) in each flap's period (its own
 *     redial, the other's redial it accepts, one dial failed inside the down phase) — exceeded
 *     at any poll: failed_assertion;
 *  2. the mesh ends connected: after the last flap, a probe round on every topic reaches every
 *     healthy subscriber, the pair included (mesh.probe.delivered); only nodes another chaos
 *     event touched, or had cut off from the round's origin when it was sent (reach.ts), are
 *     excused.
 * Deadline: flaps·(downMs + upMs) + probe round 5 s + slack 5 s.
 * Revert (after the flapping window, or early at the end of a run): repair the link and cancel
 * the flaps not yet done — idempotent.
 * The flap schedule runs on the world's virtual-time timer (`world.after`); it must not read any other clock.
 */
import { failedAssertion, nameOf, passed, ProbeRound } from './evidence.js';
import { pickNeighborPair } from './partition-pair.js';
import { afterOwnDamage } from './reach.js';
import { deadlineOf, drawParam, FAULT_LENGTH_MS_MAX, paramOf, paramTerm, timer, type PrimitiveSpec } from './schema.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import type { ChaosWorld, Detection, Fault, Primitive } from './types.js';
import { probeRoundMs } from './timing.js';

export const FLAPS_MIN = 4;
export const FLAPS_MAX = 6;
export const FLAP_DOWN_MS_MIN = 2_000;
export const FLAP_DOWN_MS_MAX = 4_000;
export const FLAP_UP_MS_MIN = 2_000;
export const FLAP_UP_MS_MAX = 4_000;
/** Most flaps one application may ask for: each flap is two scheduled events, and more proves nothing new. */
export const FLAPS_CEILING = 50;
/**
 * Connection attempts (connected or failed) one end may show about the other per flap: its own
 * redial, the other end's redial it accepts, and one dial that failed inside the down phase.
 */
export const DIALS_PER_FLAP_MAX = 3;

export const flapLinkSpec: PrimitiveSpec = {
  name: 'flap_link',
  params: [
    {
      name: 'flaps',
      unit: 'count',
      min: 1,
      max: FLAPS_CEILING,
      default: FLAPS_MIN,
      draw: { kind: 'range', min: FLAPS_MIN, max: FLAPS_MAX },
      explore: { min: 2, max: 6, step: 1 },
      doc: 'down-up cycles; flaps·(downMs + upMs) may not exceed the longest fault',
    },
    {
      name: 'downMs',
      unit: 'ms',
      min: 1,
      max: FAULT_LENGTH_MS_MAX,
      default: FLAP_DOWN_MS_MIN,
      draw: { kind: 'range', min: FLAP_DOWN_MS_MIN, max: FLAP_DOWN_MS_MAX },
      explore: { min: FLAP_DOWN_MS_MIN, max: FLAP_DOWN_MS_MAX, step: 500 },
      doc: 'how long the link is down in each flap',
    },
    {
      name: 'upMs',
      unit: 'ms',
      min: 0,
      max: FAULT_LENGTH_MS_MAX,
      default: FLAP_UP_MS_MIN,
      draw: { kind: 'range', min: FLAP_UP_MS_MIN, max: FLAP_UP_MS_MAX },
      explore: { min: FLAP_UP_MS_MIN, max: FLAP_UP_MS_MAX, step: 500 },
      doc: 'how long the link is up between downs',
    },
  ],
  targets: { min: 2, max: 2, shape: 'link', kills: false },
  faultLengthMs: (p) => p.flaps * (p.downMs + p.upMs),
  deadline: (p, t) => [paramTerm('flaps·(downMs + upMs)', p.flaps * (p.downMs + p.upMs)), timer('probe round', probeRoundMs(t)), timer('slack', t.slackMs)],
};

/** Applications reverted (their pending flaps must not fire). Keyed by the fault object. */
const reverted = new WeakSet<Fault>();
/** Faults whose link is down right now (they hold one partition of the pair). */
const holding = new WeakSet<Fault>();

function release(world: ChaosWorld, fault: Fault): void {
  if (!holding.has(fault)) return;
  holding.delete(fault);
  world.links.repair(fault.targets[0], fault.targets[1]);
}

export const flapLink: Primitive = {
  name: 'flap_link',
  spec: flapLinkSpec,
  choose: (world, rng, overrides) => {
    const pair = pickNeighborPair(world, rng);
    if (pair === null) return null;
    const draw = (lo: number, hi: number): number => rng.rangeInclusive(lo, hi);
    const [flapsSpec, downSpec, upSpec] = flapLinkSpec.params;
    const flaps = drawParam(flapsSpec, overrides, draw);
    const downMs = drawParam(downSpec, overrides, draw);
    const upMs = drawParam(upSpec, overrides, draw);
    if (flaps < 1 || downMs < 1 || upMs < 0) return null;
    return { targets: pair, params: { flaps, downMs, upMs } };
  },
  apply: (world, fault) => {
    const [a, b] = fault.targets;
    const { flaps, downMs, upMs } = flapParams(fault);
    const net = world.links;
    // Partitions are counted per pair: this fault holds at most one, and releases only its own.
    for (let i = 0; i < flaps; i++) {
      const downAtMs = i * (downMs + upMs);
      const down = (): void => {
        if (reverted.has(fault) || holding.has(fault)) return;
        holding.add(fault);
        net.partition(a, b);
      };
      if (downAtMs === 0) down();
      else world.after(downAtMs, down);
      world.after(downAtMs + downMs, () => release(world, fault));
    }
  },
  revert: (world, fault) => {
    reverted.add(fault);
    release(world, fault);
  },
  revertPolicy: (fault) => ({ afterMs: windowMs(fault) }),
  detector: (world, fault, appliedAtMs) => {
    const [a, b] = fault.targets;
    const endAtMs = appliedAtMs + windowMs(fault);
    let round: ProbeRound | null = null;
    let missing = 'the last flap';
    return {
      evidence: `each end's mesh.peer.connected + mesh.peer.dial_failed about the other stay ≤ ${DIALS_PER_FLAP_MAX} per flap; after the last flap a probe round reaches every subscriber`,
      deadlineFormula: deadlineOf(flapLinkSpec, { flaps: 0, downMs: 0, upMs: 0 }, world.timers).formula,
      deadlineMs: deadlineOf(flapLinkSpec, flapParams(fault), world.timers).ms,
      missing: () => missing,
      poll: (nowMs): Detection | null => {
        const waitedMs = nowMs - appliedAtMs;
        const attempts = [...dialSpans(world, a, b, appliedAtMs), ...dialSpans(world, b, a, appliedAtMs)];
        const storm = stormIn(attempts.filter((s) => !refillAfterThirdLoss(world, s, a, b)), appliedAtMs, fault);
        if (storm !== null) return failedAssertion(waitedMs, storm.message, storm.spans);
        if (nowMs <= endAtMs) return null;
        // The pair counts as faulted until this verdict (`world.isFaulted`): owed the round too,
        // unless another event touched them.
        round ??= new ProbeRound(world, world.meshIds(), [], afterOwnDamage(world, fault, appliedAtMs));
        const r = round.poll(nowMs);
        if (!r.done) {
          missing = `probe deliveries: ${r.missing.join(', ')}`;
          return null;
        }
        return passed(waitedMs, [...attempts, ...r.evidence]);
      },
    };
  },
};

/**
 * The first (end, flap) whose connection attempts exceed DIALS_PER_FLAP_MAX. Flap i spans
 * [i·period, (i+1)·period) after apply; anything after the window counts for the last flap.
 */
function stormIn(attempts: readonly SpanRecord[], appliedAtMs: number, fault: Fault): { message: string; spans: SpanRecord[] } | null {
  const { flaps, downMs, upMs } = flapParams(fault);
  const periodMs = downMs + upMs;
  const counts = new Map<string, SpanRecord[]>();
  for (const s of attempts) {
    const flap = Math.min(flaps - 1, Math.floor((s.endMs - appliedAtMs) / periodMs));
    const key = `${s.node} ${flap}`;
    const list = counts.get(key) ?? [];
    list.push(s);
    counts.set(key, list);
    if (list.length > DIALS_PER_FLAP_MAX) {
      return { message: `reconnect storm: ${s.node} made or took ${list.length} connection attempts about the other end in flap ${flap + 1} of ${flaps} (bound ${DIALS_PER_FLAP_MAX} per flap)`, spans: list };
    }
  }
  return null;
}

/** How soon after losing a neighbour a node's refill request to a passive peer opens its connection, ms at the latest: a dial's round trip and a retransmission. */
const REFILL_WITHIN_MS = 1_000;

/**
 * Whether connection `s` between the pair (`a`, `b`) was its dialler's view refill, not a redial
 * of the flapped link: within REFILL_WITHIN_MS before its dialler's end opened (the end itself
 * for an outbound connection, the other end for an inbound one), the dialler had dropped a
 * neighbour other than the pair's other end, and HyParView refills an active view from the
 * passive one on each such loss (the pair's other end can be the candidate drawn). A redial of
 * the pair's own link follows the loss of that link, so it still counts, and so does every
 * failed dial. mesh-grow-shrink under `--chaos 20`, seed 4119: in the last flap's up phase the
 * pair reconnected (two attempts at each end) and a refused refill followed the gateway's
 * Disconnect; the compute then lost another neighbour to an idle timeout and its refill, 46 ms
 * later, drew the gateway: a fourth connection in one flap.
 */
function refillAfterThirdLoss(world: ChaosWorld, s: SpanRecord, a: string, b: string): boolean {
  if (s.name !== 'mesh.peer.connected') return false;
  const q = world.spans;
  const [node, peer] = s.node === nameOf(world, a) ? [a, b] : [b, a];
  const [dialler, dialled] = s.attrs.direction === 'outbound' ? [node, peer] : [peer, node];
  const opened =
    s.attrs.direction === 'outbound'
      ? s
      : q.first({ name: 'mesh.peer.connected', node: nameOf(world, dialler), sinceMs: s.endMs, untilMs: s.endMs + REFILL_WITHIN_MS, attrs: { peerId: dialled, direction: 'outbound' } });
  if (opened === undefined) return false;
  return q.find({ name: 'mesh.gossip.neighbor_down', node: nameOf(world, dialler), sinceMs: opened.endMs - REFILL_WITHIN_MS, untilMs: opened.endMs }).some((d) => d.attrs.peerId !== dialled);
}

/** mesh.peer.connected and mesh.peer.dial_failed spans of `end` about `other` since `sinceMs`. */
function dialSpans(world: ChaosWorld, end: string, other: string, sinceMs: number): SpanRecord[] {
  const q = world.spans;
  const node = nameOf(world, end);
  return [
    ...q.find({ name: 'mesh.peer.connected', node, sinceMs, attrs: { peerId: other } }),
    ...q.find({ name: 'mesh.peer.dial_failed', node, sinceMs, attrs: { peerId: other } }),
  ].sort((x, y) => x.seq - y.seq);
}

function flapParams(fault: Fault): { flaps: number; downMs: number; upMs: number } {
  return {
    flaps: paramOf(flapLinkSpec, fault, 'flaps'),
    downMs: paramOf(flapLinkSpec, fault, 'downMs'),
    upMs: paramOf(flapLinkSpec, fault, 'upMs'),
  };
}

/** The flapping window: every down and up phase. */
function windowMs(fault: Fault): number {
  const { flaps, downMs, upMs } = flapParams(fault);
  return flaps * (downMs + upMs);
}
