/**
 * BurstKill: `count` nodes die silently at the same instant (default 3), never the last live
 * node of a role nor the observer.
 *
 * Evidence (survivors' spans after apply), the KillNode detector for every victim at once:
 *  1. every survivor that was connected to a victim emits mesh.peer.disconnected{peerId};
 *  2. every survivor that had a victim in its active view emits mesh.gossip.neighbor_down;
 *  3. every survivor that had learned a victim's digest emits mesh.staleness.pruned naming it;
 *  4. then a probe round on EVERY topic (not only the victims') reaches every healthy
 *     subscriber: each topic's overlay stayed or became connected despite the sudden loss.
 * Deadline: the KillNode formula — max(idle 30 s, digest 2 s + TTL 30 s + pruner 5 s) +
 * probe round 5 s + slack 5 s = 47 s; the victims fail in parallel, so it does not grow with count.
 * Revert (after detection): respawn every victim still stopped, with its identity.
 */
import { deathDetector, killDeadlineTerms } from './kill-node.js';
import { drawParam, type PrimitiveSpec } from './schema.js';
import { pickKillable } from './targets.js';
import type { Primitive } from './types.js';

export const BURST_COUNT_DEFAULT = 3;
export const BURST_COUNT_MAX = 5;

export const burstKillSpec: PrimitiveSpec = {
  name: 'burst_kill',
  params: [
    {
      name: 'count',
      unit: 'count',
      min: 2,
      max: BURST_COUNT_MAX,
      default: BURST_COUNT_DEFAULT,
      draw: { kind: 'fixed' },
      equalsTargetCount: true,
      doc: 'nodes killed at once; in a schedule it equals the number of targets (omit it to take that)',
    },
  ],
  targets: { min: 2, max: BURST_COUNT_MAX, shape: 'node', kills: true },
  faultLengthMs: () => 0,
  deadline: (_p, t) => killDeadlineTerms(t),
};

export const burstKill: Primitive = {
  name: 'burst_kill',
  spec: burstKillSpec,
  choose: (world, rng, overrides) => {
    const count = drawParam(burstKillSpec.params[0], overrides, () => BURST_COUNT_DEFAULT);
    const targets = pickKillable(world, rng, count);
    return targets === null ? null : { targets, params: { count } };
  },
  apply: (world, fault) => {
    for (const id of fault.targets) world.process.kill(id);
  },
  revert: (world, fault) => {
    for (const id of fault.targets) if (world.status(id) === 'stopped') world.process.start(id);
  },
  revertPolicy: () => 'after-detection',
  detector: (world, fault, appliedAtMs) => deathDetector(world, fault, appliedAtMs, burstKillSpec, world.meshIds()),
};
