/**
 * DiskFull: a node's data dir fills up (ballast leaves no free byte) for `durationMs`, then
 * the ballast is removed. A failed write must degrade gracefully: a span, and keep running.
 *
 * Evidence (the victim's spans):
 *  1. mesh.disk.write_failed after apply (a write hit the full disk);
 *  2. then mesh.disk.write_recovered (writes succeed again once the ballast is gone);
 *  3. while full — after apply and before that recovery span — a mesh.heartbeat and a
 *     mesh.probe.delivered for a probe sent after apply: it kept serving. Recovery without
 *     them is a failed_assertion (the node stopped serving while full). The probe is excused
 *     only when every round sent while full found other chaos events had cut the victim off
 *     from every origin (reach.ts): a round that found it so is sent again a resend period
 *     later, and one round that could reach it owes the delivery. The heartbeat never is.
 * Deadline: full duration + persist interval 5 s + slack 5 s. A timeout names the span the
 * last poll waited for (write_failed, then write_recovered) and what it had not yet shown while full.
 * The duration should be at least the persist interval + the heartbeat interval (default 15 s),
 * so that a write is attempted and a heartbeat falls while full.
 * Revert (after `durationMs`): clear the ballast (idempotent).
 */
import type { SpanRecord } from '../sim/telemetry/index.js';
import { DirectedProbe } from './directed-probe.js';
import { emitted, failedAssertion, meshesOf, nameOf, passed } from './evidence.js';
import { othersCutOff } from './reach.js';
import { deadlineOf, drawParam, FAULT_LENGTH_MS_MAX, paramOf, paramTerm, timer, type PrimitiveSpec } from './schema.js';
import { pickNodes } from './targets.js';
import { probeRoundMs, T, type Timers } from './timing.js';
import type { ChaosWorld, Detector, Fault, Primitive } from './types.js';

export const DISK_FULL_DURATION_MS_DEFAULT = 15_000;

export const diskFullSpec: PrimitiveSpec = {
  name: 'disk_full',
  substrateEvidence: 'peer-cache disk writes and heartbeats',
  params: [
    {
      name: 'durationMs',
      unit: 'ms',
      min: 1,
      max: FAULT_LENGTH_MS_MAX,
      default: DISK_FULL_DURATION_MS_DEFAULT,
      draw: { kind: 'fixed' },
      explore: { min: 5_000, max: 30_000, step: 500 },
      doc: 'how long the data dir stays full (at least persist 5 s + heartbeat 5 s to show anything)',
    },
  ],
  targets: { min: 1, max: 1, shape: 'node', kills: false },
  faultLengthMs: (p) => p.durationMs,
  deadline: (p, t) => [paramTerm('full duration', p.durationMs), timer('persist', t.persistIntervalMs), timer('slack', t.slackMs)],
};

export function diskFullDeadlineMs(durationMs: number, timers: Timers = T): number {
  return deadlineOf(diskFullSpec, { durationMs }, timers).ms;
}

export const diskFull: Primitive = {
  name: 'disk_full',
  spec: diskFullSpec,
  choose: (world, rng, overrides) => {
    const targets = pickNodes(world, rng, 1);
    if (targets === null) return null;
    const durationMs = drawParam(diskFullSpec.params[0], overrides, () => DISK_FULL_DURATION_MS_DEFAULT);
    return { targets, params: { durationMs } };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.disk.fill(id);
  },
  revert: (world, fault) => {
    for (const id of fault.targets) world.disk.drain(id);
  },
  revertPolicy: (fault) => ({ afterMs: durationOf(fault) }),
  detector: (world, fault, appliedAtMs) => diskFullDetector(world, fault, appliedAtMs),
};

function durationOf(fault: Fault): number {
  return paramOf(diskFullSpec, fault, 'durationMs');
}

function diskFullDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number): Detector {
  const victim = fault.targets[0];
  const name = nameOf(world, victim);
  const newRound = (): DirectedProbe => new DirectedProbe(world, meshesOf(world, victim), { mustReach: [victim], cutOff: othersCutOff(world, fault, appliedAtMs) });
  let probe = newRound();
  let delivered: SpanRecord | undefined;
  // Whether every round so far excused the victim (other events had cut it off from every
  // origin; null before the first round), and when the next round is due.
  let cutOffAtEveryRound: boolean | null = null;
  let nextRoundAtMs = -1;
  // What the last poll waited for, in words (the timeout's message).
  let missing = `${name}: mesh.disk.write_failed (a write to its full disk)`;
  return {
    evidence: 'while full the victim emits mesh.disk.write_failed, mesh.heartbeat and mesh.probe.delivered; then mesh.disk.write_recovered',
    deadlineFormula: deadlineOf(diskFullSpec, { durationMs: 0 }, world.timers).formula,
    deadlineMs: diskFullDeadlineMs(durationOf(fault), world.timers),
    missing: () => missing,
    poll: (nowMs) => {
      const waitedMs = nowMs - appliedAtMs;
      const failed = emitted(world, victim, 'mesh.disk.write_failed', appliedAtMs);
      // The node's own recovery span ends "while full"; the ballast may go early (end of run).
      const recovered = failed === undefined ? undefined : emitted(world, victim, 'mesh.disk.write_recovered', failed.endMs);
      const fullUntilMs = recovered?.endMs ?? Infinity;
      if (delivered === undefined && recovered === undefined && nowMs >= nextRoundAtMs) {
        const r = probe.poll(nowMs);
        delivered = r.evidence.find((s) => s.node === name);
        if (cutOffAtEveryRound !== false) cutOffAtEveryRound = probe.excusedFromRound(victim, nowMs) ?? cutOffAtEveryRound;
        if (delivered === undefined && r.done) {
          // Done without the victim: the round excused it. Ask again a resend period later.
          nextRoundAtMs = nowMs + probeRoundMs(world.timers);
          probe = newRound();
        }
      }
      // Recovered between two polls: the round in flight may have reached the victim before its
      // recovery (read, not sent again; the delivery's time is judged below). nat-shift under
      // --chaos 20, seed 658: a probe sent at 55.57 s was delivered at 55.59 s, the recovery came
      // at 55.70 s, and the next poll, at 56.07 s, no longer read the round.
      if (delivered === undefined && recovered !== undefined) delivered = probe.outcome().evidence.find((s) => s.node === name);
      const beat = emitted(world, victim, 'mesh.heartbeat', appliedAtMs);
      if (recovered === undefined) {
        // While full, what it has not shown yet (judged once it recovers).
        const lacking = [beat === undefined ? 'a mesh.heartbeat' : '', delivered === undefined ? 'a probe delivered' : ''].filter((x) => x !== '');
        const whileFull = lacking.length === 0 ? '' : `; and, while full, ${lacking.join(' and ')}`;
        missing = failed === undefined ? `${name}: mesh.disk.write_failed (a write to its full disk)${whileFull}` : `${name}: mesh.disk.write_recovered after its write_failed at ${failed.endMs} ms (the disk is drained at ${appliedAtMs + durationOf(fault)} ms)${whileFull}`;
        return null;
      }
      const whileFull = (s: SpanRecord | undefined): s is SpanRecord => s !== undefined && s.endMs <= fullUntilMs;
      if (whileFull(beat) && !whileFull(delivered) && cutOffAtEveryRound === true) return passed(waitedMs, [failed!, recovered, beat]);
      if (!whileFull(beat) || !whileFull(delivered)) {
        const lacking = [whileFull(beat) ? '' : 'no heartbeat', whileFull(delivered) ? '' : 'no probe delivered'].filter((x) => x !== '');
        return failedAssertion(waitedMs, `${name} stopped serving while its disk was full: ${lacking.join(', ')}`, [failed!, recovered]);
      }
      return passed(waitedMs, [failed!, recovered, beat, delivered]);
    },
  };
}
