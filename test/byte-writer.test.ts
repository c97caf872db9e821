/**
 * The byte writer and id checks under the codecs (src/protocol/leb128.ts, hex-ids.ts). Goal: a
 * writer that starts small grows to hold whatever is written and `reset` starts it over; only 64
 * lowercase hex digits make an id (length, every character, non-ASCII) and an encoder refuses an
 * id with one bad digit in either half of a byte; an id read from a buffer that the caller later
 * overwrites still reads back right afterwards; interning an id never changes its characters.
 * The table of known ids answers exactly as a list of the last `capacity` ids remembered would.
 * Method: direct calls with hand-made values, and fast-check properties for interning and the
 * table (against that list).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../src/protocol/codec.js';
import { idBytesOf, internedId, KNOWN_MAX, KnownIds, knownHexId } from '../src/protocol/hex-ids.js';
import { ByteReader, ByteWriter, isHexId } from '../src/protocol/leb128.js';

describe('ByteWriter', () => {
  it('grows from one byte to hold large writes, and reset starts over', () => {
    const w = new ByteWriter(1);
    const big = Uint8Array.from({ length: 1_000 }, (_, i) => i % 251);
    w.u8(7);
    w.bytes(big);
    w.u32(300);
    expect(Array.from(w.finish())).toEqual([7, ...big, 0xac, 0x02]);
    w.reset();
    w.u8(9);
    expect(Array.from(w.finish())).toEqual([9]);
  });
});

describe('ids', () => {
  it('are exactly 64 lowercase hex digits', () => {
    const good = '0123456789abcdef'.repeat(4);
    expect(isHexId(good)).toBe(true);
    for (const bad of [good.slice(1), good + '0', 'g' + good.slice(1), good.slice(0, 63) + 'g', good.slice(0, 63) + 'A', good.slice(0, 63) + '\u0080', good.slice(0, 63) + '€']) {
      expect(isHexId(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('an encoder refuses an id with one bad digit, high or low half of a byte', () => {
    for (const peer of ['g' + '0'.repeat(63), '0g' + '0'.repeat(62), '0'.repeat(62) + 'x0']) {
      expect(() => encodeEnvelope({ topic: 'ab'.repeat(32), message: { type: 'ForwardJoin', peer, ttl: 1 } }), peer).toThrow();
    }
  });

  it('an id read from a buffer the caller then overwrites still reads back as itself later', () => {
    const first = 'abcdef' + '12'.repeat(29);
    const second = 'abcdef' + '34'.repeat(29);
    const buffer = Uint8Array.from(Buffer.from(first, 'hex'));
    expect(new ByteReader(buffer).id32('id')).toBe(first);
    buffer.set(Buffer.from(second, 'hex'));
    expect(new ByteReader(Uint8Array.from(Buffer.from(second, 'hex'))).id32('id')).toBe(second);
    expect(new ByteReader(Uint8Array.from(Buffer.from(first, 'hex'))).id32('id')).toBe(first);
  });
});

describe('interned ids', () => {
  it('are the same characters as the string given, for any string (the table only picks the object)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => internedId(s) === s));
    for (const s of ['', '0'.repeat(64), 'f'.repeat(64), '123', '4294967295', '__proto__', 'constructor']) expect(internedId(s)).toBe(s);
  });

  it('an id read off the wire twice comes back with the same characters, through the interned table entry', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) & 0xff);
    const first = new ByteReader(bytes).id32('id');
    const second = new ByteReader(bytes.slice()).id32('id');
    expect(first).toBe(Buffer.from(bytes).toString('hex'));
    expect(second).toBe(first);
  });

  it('both tables keep the ids of an all-nodes burst at 10,000 nodes (its message ids and node ids) between two reads of one', () => {
    expect(KNOWN_MAX).toBeGreaterThanOrEqual(20_001);
    const ids = Array.from({ length: 20_001 }, (_, i) => {
      const b = new Uint8Array(32);
      new DataView(b.buffer).setUint32(0, i * 2_654_435_761 >>> 0); // spread over the first bytes, as hashes are
      b[31] = 1;
      return b;
    });
    const hexes = ids.map((b) => new ByteReader(b).id32('id'));
    const writer = new ByteWriter();
    for (const hex of hexes) writer.id32(hex);
    expect(knownHexId(ids[0], 0)).toBe(hexes[0]); // read 20,000 other ids ago: still known
    expect(idBytesOf(hexes[0])).toEqual(ids[0]); // written 20,000 other ids ago: still known
  });
});

describe('the table of known ids', () => {
  /** An id from a small alphabet of first bytes, so that ids share keys and buckets often. */
  const idArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 })).map(([a, b, c]) => {
    const bytes = new Uint8Array(40);
    bytes[5] = a; // at offset 5: reads do not start at 0
    bytes[7] = b;
    bytes[36] = c; // last byte of the id: ids with the same key differ here
    return bytes;
  });
  const hexOf = (bytes: Uint8Array) => Buffer.from(bytes.subarray(5, 37)).toString('hex');

  it('answers as the list of the last `capacity` ids remembered (oldest replaced first), whatever keys they share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(idArb, { maxLength: 120 }), (capacity, reads) => {
        const table = new KnownIds(capacity);
        const model: string[] = []; // oldest first
        for (const bytes of reads) {
          const hex = hexOf(bytes);
          const got = table.get(bytes, 5);
          expect(got).toBe(model.includes(hex) ? hex : undefined);
          if (got === undefined) {
            table.add(bytes, 5, hex);
            model.push(hex);
            if (model.length > capacity) model.shift();
          }
          expect(table.size).toBe(model.length);
        }
        // Every id ever read: known exactly when the list holds it.
        for (const bytes of reads) expect(table.get(bytes, 5)).toBe(model.includes(hexOf(bytes)) ? hexOf(bytes) : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its own copy of the bytes, and two ids with the same first three bytes side by side', () => {
    const table = new KnownIds(4);
    const a = new Uint8Array(32).fill(7);
    const b = a.slice();
    b[31] = 8;
    table.add(a, 0, 'a');
    table.add(b, 0, 'b');
    const aAgain = a.slice();
    a.fill(0); // the caller reuses its buffer
    expect([table.get(aAgain, 0), table.get(b, 0), table.get(a, 0)]).toEqual(['a', 'b', undefined]);
    expect(() => new KnownIds(0)).toThrow(RangeError);
  });
});
