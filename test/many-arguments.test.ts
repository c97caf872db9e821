/**
 * Lists as long as a mesh: a run's view summary and a detector's evidence.
 *
 * Goal: a topic with more subscribers than a function call takes arguments (about 120,000 in
 * V8) is summarised and its probe deliveries gathered without a RangeError. The run's summary
 * took `Math.min(...sizes)` over every subscriber's active view size, so a 200,000-node mesh
 * ran its whole course and then died in its report; a probe round appended a probe's deliveries
 * with `push(...delivered)`.
 * Method: the two helpers those places now use, on 300,000 items, against a loop's own answer.
 * Each is red with the spread call put back.
 */
import { describe, expect, it } from 'vitest';
import { appendAll } from '../src/primitives/evidence.js';
import { viewSizeSummary } from '../src/scenario/runner.js';

const N = 300_000;

describe('lists longer than a call takes arguments', () => {
  it('the view summary of a 300,000-subscriber topic', () => {
    const sizes = Array.from({ length: N }, (_, i) => (i === 12_345 ? 1 : i === 250_000 ? 7 : 5));
    const summary = viewSizeSummary(sizes);
    expect(summary).toEqual({ min: 1, mean: Math.round(((N - 2) * 5 + 1 + 7) / N * 100) / 100, max: 7, subscribers: N });
  });

  it('the summary of no subscriber is all zero', () => {
    expect(viewSizeSummary([])).toEqual({ min: 0, mean: 0, max: 0, subscribers: 0 });
  });

  it('appends 300,000 items after those already there, in order', () => {
    const out = ['a', 'b'];
    const items = Array.from({ length: N }, (_, i) => `n${i}`);
    appendAll(out, items);
    expect(out.length).toBe(N + 2);
    expect([out[0], out[1], out[2], out[N + 1]]).toEqual(['a', 'b', 'n0', `n${N - 1}`]);
  });
});
