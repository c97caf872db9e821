/**
 * A held digest passed on to a pruner cut off at the kill (src/primitives/held-digest.ts,
 * `heldByRelay`). Goal: a pruner other events had cut off from every path at the kill, with no
 * held copy of its own, waits for the copy of a later neighbour whose own copy was held — until
 * that copy could arrive, plus one pass-on — and only when that neighbour took it up by then and
 * still held it at the cut's revert; without that neighbour, or with it taken up too late or
 * dropped before the revert, nothing is held.
 * Method: chaos, neighbour, connection and digest spans written into an unstarted cluster's
 * trace by hand (the shape of partition-pair under --chaos 20, seed 6817) and `heldDigest`
 * asked directly.
 */
import { describe, expect, it } from 'vitest';
import { heldDigest } from '../src/primitives/held-digest.js';
import { otherCutWindows } from '../src/primitives/reach.js';
import { PLUMTREE_PASS_ON_MS } from '../src/primitives/timing.js';
import { handTrace } from './support/hand-trace.js';

const KILL_MS = 10_000;
const PAIR_REVERT_MS = 20_000;

/**
 * v is killed at KILL_MS. Another event had cut v's one link (to r) and a partition_pair the
 * link r–q: r, holding v's digest, pushed to q over it. A NAT shift had cut off p. After the
 * kill, q takes p up as a neighbour at `relayUpAtMs` (null: never), and drops it at
 * `relayDownAtMs` (null: never).
 */
function build(relayUpAtMs: number | null, relayDownAtMs: number | null = null) {
  const { world, nodes, at, chaos, revert, up, down, link, learn } = handTrace('held-digest-relay', { running: true });
  const [v, p, q, r] = nodes;
  type Node = typeof v;
  at(100);
  for (const n of [p, q, r]) learn(n, v);
  link(v, r);
  link(r, q);
  link(v, p);
  at(1_000);
  const cutV = chaos('partition_pair', [v, r]);
  const pair = chaos('partition_pair', [q, r]);
  const shift = chaos('nat_shift', [p]);
  at(KILL_MS);
  chaos('kill_node', [v]);
  // What follows the kill, in time order.
  const after: [number, () => void][] = [
    [PAIR_REVERT_MS, () => (revert(pair, 'partition_pair'), revert(cutV, 'partition_pair'))],
    [25_000, () => revert(shift, 'nat_shift')],
  ];
  if (relayUpAtMs !== null) after.push([relayUpAtMs, () => up(q, p)]);
  if (relayDownAtMs !== null) after.push([relayDownAtMs, () => down(q, p, 'evicted')]);
  for (const [ms, emit] of after.sort((x, y) => x[0] - y[0])) {
    at(ms);
    emit();
  }
  at(60_000);
  const others = otherCutWindows(world, { targets: [v.nodeId], params: {} }, KILL_MS);
  const ask = (node: Node, relay = true) => heldDigest(world, others, v.nodeId, node.nodeId, [v.nodeId], KILL_MS, 60_000, relay);
  return { relay: ask(q), pruner: ask(p), prunerOwn: ask(p, false) };
}

describe('a held digest passed on to a pruner cut off at the kill', () => {
  it('is waited for until the relay\'s copy could arrive, plus one pass-on', () => {
    const { relay, pruner, prunerOwn } = build(15_000);
    // The premise: the relay's own copy was held by the pair; none of the pruner's own was.
    expect(relay).toEqual({ by: 'partition_pair', revertedAtMs: PAIR_REVERT_MS, untilMs: PAIR_REVERT_MS + 10_000 });
    expect(prunerOwn).toBeNull();
    expect(pruner).toEqual({ ...relay, untilMs: relay!.untilMs + PLUMTREE_PASS_ON_MS });
  });

  it('red: no later neighbour, one taken up after its copy could last arrive, or one dropped before the revert', () => {
    expect(build(null).pruner).toBeNull();
    expect(build(PAIR_REVERT_MS + 10_001).pruner).toBeNull();
    expect(build(15_000, 18_000).pruner).toBeNull();
    // Dropped after the revert, it had the copy to pass on.
    expect(build(15_000, PAIR_REVERT_MS + 1).pruner).not.toBeNull();
  });
});
