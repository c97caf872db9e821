/**
 * The trace digest hashes canonical bytes written straight into a buffer (no line strings).
 * Goal: those bytes are exactly the UTF-8 of `canonicalLine`, record by record, for any record:
 * escapes, non-ASCII and lone surrogates, negative, fractional and huge numbers, links, a name
 * seen again with other keys or another key order, and pieces larger than the buffer.
 * Method: fast-check records, digest compared with SHA-256 over the joined lines.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalLine, traceDigestOf } from '../src/sim/telemetry/digest.js';
import type { SpanRecord } from '../src/sim/telemetry/span-record.js';

const hexId = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('"', '\\', '\n', '\u007f', '\ud800', 'a\udc00b', 'é', '€', '😀'),
);
const value = fc.oneof(
  text,
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 1e21, 2 ** 53, -(2 ** 60), 0.1, 5e-324),
  fc.boolean(),
);
const attrs = fc.dictionary(fc.oneof(fc.constantFrom('topic', 'peerId', 'reason', 'b', 'a', '1', '02'), text), value, { maxKeys: 6 });
const record = fc.record({
  seq: fc.nat(),
  traceId: hexId(32),
  spanId: hexId(16),
  parentSpanId: fc.option(hexId(16), { nil: null }),
  node: text,
  name: fc.constantFrom('mesh.peer.connected', 'mesh.probe.delivered', 'app.x'),
  level: fc.constantFrom('info', 'trace'),
  startMs: fc.nat(),
  endMs: fc.nat(),
  attrs,
  links: fc.option(fc.array(fc.record({ traceId: hexId(32), spanId: hexId(16) }), { maxLength: 3 }), { nil: undefined }),
}) as fc.Arbitrary<SpanRecord>;

function byLines(records: readonly SpanRecord[]): string {
  const hash = createHash('sha256');
  hash.update(records.map(canonicalLine).join(''), 'utf8');
  return hash.digest('hex');
}

describe('trace digest bytes', () => {
  it('equal the UTF-8 of the canonical lines, for any records', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 20 }), (records) => {
      expect(traceDigestOf(records)).toBe(byLines(records));
    }), { numRuns: 400 });
  });

  it('the same name with other keys or another key order is sorted afresh', () => {
    const base = { seq: 0, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: null, node: 'n', name: 'app.x', level: 'info', startMs: 0, endMs: 0 } as const;
    const records = [
      { ...base, attrs: { b: 1, a: 'x' } },
      { ...base, attrs: { b: 1, a: 'x' } },
      { ...base, attrs: { a: 'x', b: 1 } },
      { ...base, attrs: { b: 1 } },
      { ...base, attrs: { b: 1, a: 'x', c: true } },
      { ...base, attrs: Object.assign(Object.create({ inherited: 1 }), { b: 2, a: 'y' }) },
    ] as SpanRecord[];
    expect(traceDigestOf(records)).toBe(byLines(records));
  });

  it('pieces larger than the 64 KiB buffer, and many records across its edge (escapes found late too)', () => {
    const base = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), parentSpanId: null, node: 'n', name: 'app.x', level: 'info', startMs: 0, endMs: 0 } as const;
    const records = [
      { ...base, seq: 0, attrs: { big: 'x'.repeat(100_000) } },
      { ...base, seq: 1, attrs: { big: 'é'.repeat(30_000) } },
      ...Array.from({ length: 2_000 }, (_, i) => ({ ...base, seq: i + 2, attrs: { i, s: '€'.repeat(i % 50) } })),
      // ASCII copied while checked, then an escape found at its end: what was copied is taken back.
      ...Array.from({ length: 400 }, (_, i) => ({ ...base, seq: i + 2_002, node: 'n'.repeat(i), attrs: { t: 'a'.repeat(i * 3) + (i % 2 === 0 ? '"' : '\n') } })),
    ] as SpanRecord[];
    expect(traceDigestOf(records)).toBe(byLines(records));
  });
});
