/**
 * DiskFull: a node's data dir fills up (ballast leaves no free byte) for `durationMs`, then
 * the ballast is removed. A failed write must degrade gracefully: a span, and keep running.
 *
 * Evidence (the victim's spans):
 *  1. while full (after apply, before apply + durationMs): mesh.disk.write_failed, a
 *     mesh.heartbeat, and mesh.probe.delivered for a probe sent after apply — it keeps serving;
 *     if the disk is cleared before all three showed, that is a failed_assertion;
 *  2. after the ballast is removed: mesh.disk.write_recovered (writes succeed again).
 * Deadline: full duration + persist interval 5 s + slack 5 s.
 * The duration should be at least the persist interval + the heartbeat interval (default 15 s),
 * so that a write is attempted and a heartbeat falls while full.
 * Revert (after `durationMs`): clear the ballast (idempotent).
 */
import type { SpanRecord } from '../sim/telemetry/index.js';
import { DirectedProbe, victimFirst } from './directed-probe.js';
import { emitted, failedAssertion, meshesOf, nameOf, passed } from './evidence.js';
import { pickNodes } from './targets.js';
import { T } from './timing.js';
import type { ChaosWorld, Detector, Fault, Primitive } from './types.js';

export const DISK_FULL_DURATION_MS_DEFAULT = 15_000;
export const DISK_FULL_DEADLINE_FORMULA = 'full duration + persist 5 s + slack 5 s';

export function diskFullDeadlineMs(durationMs: number): number {
  return durationMs + T.persistIntervalMs + T.slackMs;
}

export const diskFull: Primitive = {
  name: 'disk_full',
  choose: (world, rng, overrides) => {
    const targets = pickNodes(world, rng, 1);
    if (targets === null) return null;
    const durationMs = typeof overrides?.durationMs === 'number' ? overrides.durationMs : DISK_FULL_DURATION_MS_DEFAULT;
    return { targets, params: { durationMs } };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.cluster.host(id).dataDir.fill();
  },
  revert: (world, fault) => {
    for (const id of fault.targets) world.cluster.host(id).dataDir.clearBallast();
  },
  revertPolicy: (fault) => ({ afterMs: durationOf(fault) }),
  detector: (world, fault, appliedAtMs) => diskFullDetector(world, fault, appliedAtMs),
};

function durationOf(fault: Fault): number {
  const v = fault.params.durationMs;
  return typeof v === 'number' ? v : DISK_FULL_DURATION_MS_DEFAULT;
}

function diskFullDetector(world: ChaosWorld, fault: Fault, appliedAtMs: number): Detector {
  const victim = fault.targets[0];
  const clearedAtMs = appliedAtMs + durationOf(fault);
  const probe = new DirectedProbe(world, meshesOf(world, victim), { mustReach: [victim] });
  const whileFull = (s: SpanRecord | undefined): SpanRecord | undefined => (s !== undefined && s.endMs < clearedAtMs ? s : undefined);
  let delivered: readonly SpanRecord[] | null = null;
  return {
    evidence: 'while full the victim emits mesh.disk.write_failed, mesh.heartbeat and mesh.probe.delivered; after revert mesh.disk.write_recovered',
    deadlineFormula: DISK_FULL_DEADLINE_FORMULA,
    deadlineMs: diskFullDeadlineMs(durationOf(fault)),
    poll: (nowMs) => {
      const waitedMs = nowMs - appliedAtMs;
      if (delivered === null && nowMs < clearedAtMs) {
        const r = probe.poll(nowMs);
        if (r.done) delivered = victimFirst(world, victim, r.evidence);
      }
      const failed = whileFull(emitted(world, victim, 'mesh.disk.write_failed', appliedAtMs));
      const beat = whileFull(emitted(world, victim, 'mesh.heartbeat', appliedAtMs));
      if (nowMs < clearedAtMs) return null;
      if (failed === undefined || beat === undefined || delivered === null) {
        const lacking = [failed ? '' : 'no write_failed', beat ? '' : 'no heartbeat', delivered ? '' : 'no probe delivered'].filter((x) => x !== '');
        return failedAssertion(waitedMs, `${nameOf(world, victim)} while its disk was full: ${lacking.join(', ')}`);
      }
      const recovered = emitted(world, victim, 'mesh.disk.write_recovered', clearedAtMs);
      if (recovered === undefined) return null;
      return passed(waitedMs, [failed, recovered, beat, ...delivered]);
    },
  };
}
