/**
 * Plumtree's pending grafts. Goals: the queue by due time lets entries leave in the order they
 * came (their due order), through the slot compaction of a long queue and its reset when
 * emptied, and `peek` always names the oldest (undefined when empty); a request's advertisers,
 * stored as a first one inline and the rest flat, read as the list of (peer, round) they stand
 * for, in order, through additions (a peer never twice) and removals anywhere.
 * Method: thousands of requests pushed and taken out in interleaved rounds, against a plain
 * list; random additions and removals (fast-check) against a list of pairs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraftQueue, PendingGraft } from '../src/protocol/plumtree-state.js';

const request = (n: number): PendingGraft => {
  const r = new PendingGraft(`m${n}`, 'p', 0, 0);
  r.dueMs = n;
  return r;
};

describe('GraftQueue', () => {
  it('keeps arrival order through compaction and emptying', () => {
    const q = new GraftQueue();
    const model: PendingGraft[] = [];
    let next = 0;
    expect(q.peek()).toBeUndefined();
    for (const [push, take] of [[3_000, 2_500], [10, 510], [5_000, 1_200], [0, 3_800], [7, 3]]) {
      for (let i = 0; i < push; i++) {
        const r = request(next++);
        q.push(r);
        model.push(r);
      }
      for (let i = 0; i < take; i++) {
        expect(q.peek()).toBe(model[0]);
        expect(q.shift()).toBe(model.shift());
      }
      expect(q.peek()).toBe(model[0]);
    }
    expect(model.length).toBe(4);
  });
});

describe('PendingGraft advertisers', () => {
  type Op = { add: true; peer: number; round: number } | { add: false; at: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ add: fc.constant(true as const), peer: fc.integer({ min: 0, max: 5 }), round: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ add: fc.constant(false as const), at: fc.nat(6) }),
  );

  it('reads as the list of (peer, round) pairs it was given, in order', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.nat(40), fc.array(op, { maxLength: 40 }), (first, round, ops) => {
      const r = new PendingGraft('m', `p${first}`, round, 7);
      const model: [string, number][] = [[`p${first}`, round]];
      for (const o of ops) {
        if (o.add) {
          const peer = `p${o.peer}`;
          r.add(peer, o.round);
          if (!model.some(([p]) => p === peer)) model.push([peer, o.round]);
        } else if (model.length > 0) {
          const at = o.at % model.length;
          r.removeAt(at);
          model.splice(at, 1);
        }
        expect(r.count).toBe(model.length);
        expect(Array.from({ length: r.count }, (_, i) => [r.peerAt(i), r.roundAt(i)])).toEqual(model);
        for (let p = 0; p < 6; p++) expect(r.indexOf(`p${p}`)).toBe(model.findIndex(([q]) => q === `p${p}`));
      }
      expect([r.id, r.createdAtMs]).toEqual(['m', 7]);
    }));
  });
});
