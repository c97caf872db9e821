/**
 * The scale bench's summary lines (bench/scale.ts). Goal: the 10k/1k line the goal is read
 * from is computed per pass, and with several passes their median is printed — one slow
 * 1,000-node run must not decide the figure; a bad `SCALE_REPEAT` or an unknown `SCALE_ONLY`
 * name is refused, not guessed or skipped.
 * Method: `familyLines` over runs with made-up times (the bench itself runs for minutes).
 */
import { describe, expect, it } from 'vitest';
import { familyLines, pickRuns, repeatOf } from '../bench/scale.js';

const run = (nodes: number, wallMs: number, cpuMs = wallMs) => ({ nodes, wallMs, cpuMs, events: nodes * 800 });

describe('bench scale: the 10k/1k lines', () => {
  it('one pass: its growth and 10k/1k line, no median', () => {
    const lines = familyLines('protocol-Nk', [[run(1_000, 5_000), run(10_000, 75_000)]]);
    expect(lines).toEqual(['growth: wall ∝ nodes^1.18 (protocol-Nk runs)', '10k / 1k (protocol-Nk): wall 15.0, CPU 15.0, events 10.0']);
  });

  it('several passes: each pass its own line, then the median of their ratios', () => {
    const passes = [
      [run(1_000, 6_500), run(10_000, 76_000)], // a slow 1k run: 11.7
      [run(1_000, 5_000), run(10_000, 77_000)], // 15.4
      [run(1_000, 5_000), run(10_000, 80_000, 70_000)], // 16.0, CPU 14.0
    ];
    const lines = familyLines('protocol-Nk', passes);
    expect(lines.filter((l) => l.startsWith('10k / 1k (protocol-Nk, pass'))).toHaveLength(3);
    expect(lines.at(-1)).toBe('10k / 1k (protocol-Nk), median of 3 passes: wall 15.4, CPU 14.0');
    // An even count takes the mean of the middle two.
    expect(familyLines('f', passes.slice(0, 2)).at(-1)).toBe('10k / 1k (f), median of 2 passes: wall 13.5, CPU 13.5');
  });

  it('a pass without both sizes gives its growth line only', () => {
    expect(familyLines('f', [[run(1_000, 5_000), run(2_000, 10_000)]])).toEqual(['growth: wall ∝ nodes^1.00 (f runs)']);
  });

  it('SCALE_REPEAT: a whole number from 1 to 100; unset is 1', () => {
    expect(repeatOf(undefined)).toBe(1);
    expect(repeatOf('')).toBe(1);
    expect(repeatOf('3')).toBe(3);
    for (const bad of ['0', '-1', '2.5', 'three', '101']) expect(() => repeatOf(bad)).toThrow(/SCALE_REPEAT must be a whole number from 1 to 100/);
  });

  it('SCALE_ONLY: the named runs in the bench\'s order; an unknown name is refused', () => {
    expect(pickRuns(undefined)).toContain('protocol-10k');
    expect(pickRuns(undefined)).not.toContain('protocol-100k'); // opt-in: only when named
    expect(pickRuns(['protocol-10k', 'protocol-1k'])).toEqual(['protocol-1k', 'protocol-10k']);
    expect(pickRuns(['protocol-100k'])).toEqual(['protocol-100k']);
    expect(() => pickRuns(['protocol-1kk'])).toThrow(/unknown SCALE_ONLY run\(s\): protocol-1kk; known: protocol-1k, /);
  });
});
