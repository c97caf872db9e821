/**
 * Plumtree's queue of pending grafts by due time. Goal: entries leave in the order they came
 * (their due order), through the slot compaction of a long queue and its reset when emptied,
 * and `peek` always names the oldest (undefined when empty).
 * Method: thousands of requests pushed and taken out in interleaved rounds, against a plain list.
 */
import { describe, expect, it } from 'vitest';
import { GraftQueue, type PendingGraft } from '../src/protocol/plumtree-state.js';

const request = (n: number): PendingGraft => ({ id: `m${n}`, advertisers: [], nextIndex: 0, dueMs: n, createdAtMs: 0 });

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
