/**
 * Short-lived byte arrays carved out of shared slabs (src/protocol/byte-slab.ts). Goal: every
 * array is zero-filled, exactly as long as asked, never overlaps another live array (across slab
 * boundaries too), and arrays larger than a slab item are still served; copies equal `slice`;
 * decoders' copies never share a slab with encoded arrays (so the many copies that die at once
 * do not keep frames' slabs, or frames theirs, alive). Method: many allocations of mixed sizes, each written with its own marker and re-read after
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

  it('copies and encoded arrays come from separate slabs, while either kind shares its own', () => {
    const source = Uint8Array.from({ length: 100 }, (_, i) => i);
    const frames = [allocBytes(100), allocBytes(100)];
    const copies = [copyBytes(source, 0, 100), copyBytes(source, 0, 100)];
    const frame = allocBytes(100);
    // Slabs are 32 KiB: two arrays in a row usually share one; a new slab may start between any two.
    const slabsOf = (arrays: Uint8Array[]): Set<ArrayBufferLike> => new Set(arrays.map((a) => a.buffer));
    expect(slabsOf([...frames, frame]).size).toBeLessThanOrEqual(2);
    expect(slabsOf(copies).size).toBeLessThanOrEqual(2);
    for (const copy of copies) for (const f of [...frames, frame]) expect(copy.buffer).not.toBe(f.buffer);
  });
});
