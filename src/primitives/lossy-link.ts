/**
 * LossyLink: a share of packets dropped on both directions of a connected pair's link, for
 * `durationMs` (default 20 s). Override `lossPct` (default drawn from 5..30 %), applied as the
 * integer ratio lossPct/100 on each transmission attempt (setLink lossNum/lossDen).
 *
 * Evidence (spans only; the detector is SlowLink's `damagedLinkDetector`):
 *  - loss is not death: no mesh.peer.disconnected{reason: idle-timeout} between the pair while
 *    the link is lossy (either end) — else failed_assertion;
 *  - retransmission and Plumtree IHave/Graft repair keep every broadcast whole: a probe round
 *    from the pair, sent during the lossy period, is delivered (mesh.probe.delivered) to every
 *    running subscriber, the pair included; grafts/prunes by the pair are attached when seen.
 * Passes once the whole lossy period has been watched and the round is complete.
 * Deadline: durationMs (20 s) + probe resend 5 s + slack 5 s = 30 s.
 * Revert (after `durationMs`): resetLink both directions (idempotent).
 */
import { assert } from '../sim/assert.js';
import { paramOf } from './schema.js';
import { damagedLinkDetector, damagedLinkSpec, durationParam, pairOf, resetPair } from './slow-link.js';
import { intParam, pickLinkedPair } from './targets.js';
import type { Primitive } from './types.js';

const LOSS_DEN = 100;

export const lossyLinkSpec = damagedLinkSpec('lossy_link', {
  name: 'lossPct',
  unit: '%',
  min: 0,
  max: LOSS_DEN,
  default: 5,
  draw: { kind: 'range', min: 5, max: 30 },
  explore: { min: 1, max: 30, step: 1 },
  doc: 'share of packets dropped on each transmission attempt, both directions',
});

export const lossyLink: Primitive = {
  name: 'lossy_link',
  spec: lossyLinkSpec,
  choose: (world, rng, overrides) => {
    const pair = pickLinkedPair(world, rng);
    if (pair === null) return null;
    const loss = lossyLinkSpec.params[0];
    assert(loss.draw.kind === 'range', 'lossy_link draws its loss from a range');
    const lossPct = Math.min(LOSS_DEN, Math.max(0, Math.round(intParam(overrides, 'lossPct', rng, loss.draw.min, loss.draw.max))));
    return { targets: pair, params: { lossPct, durationMs: durationParam(overrides) } };
  },
  apply: (world, fault) => {
    const [a, b] = pairOf(fault);
    const loss = { lossNum: paramOf(lossyLinkSpec, fault, 'lossPct'), lossDen: LOSS_DEN };
    world.links.setLink(a, b, loss);
    world.links.setLink(b, a, loss);
  },
  revert: (world, fault) => resetPair(world, fault),
  revertPolicy: (fault) => ({ afterMs: paramOf(lossyLinkSpec, fault, 'durationMs') }),
  detector: (world, fault, appliedAtMs) => damagedLinkDetector(world, lossyLinkSpec, fault, appliedAtMs, 'lossy'),
};
