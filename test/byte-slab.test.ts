/**
 * Short-lived byte arrays carved out of shared slabs (src/protocol/byte-slab.ts). Goal: every
 * array is zero-filled, exactly as long as asked, never overlaps another live array (across slab
 * boundaries too), and arrays larger than a slab item are still served; copies equal `slice`.
 * Method: many allocations of mixed sizes, each written with its own marker and re-read after
 * all the others were written.
 */
import { describe, expect, it } from 'vitest';
import { allocBytes, copyBytes } from '../src/protocol/byte-slab.js';

describe('byte slab', () => {
  it('arrays are zero-filled, the size asked, and never share bytes', () => {
    const sizes = [1, 64, 65, 1000, 4096, 4097, 40_000, 700, 32 * 1024, 3];
    const arrays: Uint8Array[] = [];
    for (let round = 0; round < 20; round++) {
      for (const size of sizes) {
        const a = allocBytes(size);
        expect(a.length).toBe(size);
        expect(a.every((b) => b === 0)).toBe(true);
        a.fill(arrays.length % 251 + 1);
        arrays.push(a);
      }
    }
    arrays.forEach((a, i) => expect(a.every((b) => b === i % 251 + 1)).toBe(true));
  });

  it('copies equal slice for short and long ranges', () => {
    const source = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
    for (const [start, end] of [[0, 0], [3, 131], [10, 138], [10, 139], [0, 1000], [999, 1000]] as const) {
      expect(copyBytes(source, start, end)).toEqual(source.slice(start, end));
    }
  });
});
