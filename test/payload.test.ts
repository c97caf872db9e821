/**
 * Gossip application payloads (digests and probes) in their binary layout.
 *
 * Goal: every digest and probe roundtrips exactly (ids, arbitrary Unicode strings, negative and
 * fractional numbers), the layout is the documented one, and bad bytes — random garbage,
 * truncations, trailing bytes, invalid UTF-8 — decode to null instead of throwing.
 * Method: fast-check arbitraries for both kinds and for garbage, plus hand-built vectors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/protocol/leb128.js';
import { decodePayload, decodePayloadOf, digestChanged, encodePayload, type AppPayload, type Digest } from '../src/mesh/payload.js';
import { messageIdOf } from '../src/protocol/message-id.js';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
/** Ids as the mesh makes them, and any other string a caller might pass. */
const text = fc.oneof(hexId, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 80 }));
const num = fc.oneof(fc.integer({ min: -1e12, max: 1e12 }), fc.double({ noNaN: true }), fc.constant(Number.MAX_SAFE_INTEGER));

const digestArb: fc.Arbitrary<Digest> = fc.record({
  nodeId: text, name: text, meshId: text, nodeType: text,
  peerCount: num, peerIds: fc.array(text, { maxLength: 30 }),
  framesSent: num, framesReceived: num, wallTimeMs: num,
  cpuUsedPermille: num, ramUsedBytes: num, cpuBudgetPermille: num, ramBudgetBytes: num, seq: num,
});
const payloadArb: fc.Arbitrary<AppPayload> = fc.oneof(
  digestArb.map((digest) => ({ kind: 'digest' as const, digest })),
  fc.record({ probeId: text, origin: text }).map((probe) => ({ kind: 'probe' as const, probe })),
);

const sample: Digest = {
  nodeId: 'ab'.repeat(32), name: 'gateway-0a1b2c3d', meshId: 'mesh-a', nodeType: 'gateway',
  peerCount: 2, peerIds: ['01'.repeat(32), 'fe'.repeat(32)], framesSent: 10, framesReceived: 12,
  wallTimeMs: -5_000, cpuUsedPermille: 34, ramUsedBytes: 50_331_648, cpuBudgetPermille: 1000,
  ramBudgetBytes: 536_870_912, seq: 7,
};

describe('payload codec', () => {
  it('roundtrips every digest and probe exactly', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        expect(decodePayload(encodePayload(payload))).toEqual(payload);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the number bits exactly (negative zero included)', () => {
    const digest = { ...sample, wallTimeMs: -0, ramUsedBytes: 0.1 + 0.2 };
    const back = decodePayload(encodePayload({ kind: 'digest', digest }));
    expect(back?.kind).toBe('digest');
    if (back?.kind !== 'digest') return;
    expect(Object.is(back.digest.wallTimeMs, -0)).toBe(true);
    expect(back.digest.ramUsedBytes).toBe(0.1 + 0.2);
  });

  it('writes the documented layout: kind byte, ids as 32 raw bytes, strings with a length + 1 header', () => {
    const bytes = encodePayload({ kind: 'probe', probe: { probeId: 'probe-1', origin: 'cd'.repeat(32) } });
    const expected = [0x50, 8, ...new TextEncoder().encode('probe-1'), 0, ...new Array(32).fill(0xcd)];
    expect([...bytes]).toEqual(expected);
    const digest = encodePayload({ kind: 'digest', digest: sample });
    expect(digest[0]).toBe(0x44);
    // kind + 3 ids (33 each incl. header) + 3 short strings + 9 float64 + count + 2 ids
    expect(digest.length).toBe(1 + 33 + (1 + 16) + (1 + 6) + (1 + 7) + 9 * 8 + 1 + 2 * 33);
  });

  it('decodes garbage to null or a payload, never throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0x44, 0x50, 0x00, 0x7b), (body, kind) => {
        const bytes = new Uint8Array(body.length + 1);
        bytes[0] = kind;
        bytes.set(body, 1);
        const decoded = decodePayload(bytes);
        if (decoded !== null) expect(decodePayload(encodePayload(decoded))).toEqual(decoded);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every truncation and any trailing byte of a valid payload', () => {
    fc.assert(
      fc.property(payloadArb, fc.integer({ min: 0, max: 255 }), (payload, extra) => {
        const bytes = encodePayload(payload);
        for (let n = 0; n < bytes.length; n++) expect(decodePayload(bytes.subarray(0, n))).toBeNull();
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        longer[bytes.length] = extra;
        expect(decodePayload(longer)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('rejects invalid UTF-8, unknown kinds, old JSON payloads and huge peer counts', () => {
    expect(decodePayload(Uint8Array.from([0x50, 3, 0xc3, 0x28, 1]))).toBeNull();
    expect(decodePayload(Uint8Array.from([0x51, 1, 1]))).toBeNull();
    expect(decodePayload(new TextEncoder().encode('D{"nodeId":"x","wallTimeMs":1,"peerIds":[]}'))).toBeNull();
    const bytes = encodePayload({ kind: 'digest', digest: { ...sample, peerIds: [] } });
    const huge = Uint8Array.from([...bytes.subarray(0, bytes.length - 1), 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(decodePayload(huge)).toBeNull();
  });

  it('digestChanged ignores the clock and the sequence number only', () => {
    expect(digestChanged(null, sample)).toBe(true);
    expect(digestChanged(sample, { ...sample, wallTimeMs: 1, seq: 8 })).toBe(false);
    expect(digestChanged(sample, { ...sample, peerIds: [sample.peerIds[0]] })).toBe(true);
  });
});

describe('decodePayloadOf', () => {
  it('answers like decodePayload and shares one decoded object per message id', () => {
    const bytes = encodePayload({ kind: 'digest', digest: { ...sample, seq: 99 } });
    const id = messageIdOf(bytes);
    const first = decodePayloadOf(id, bytes);
    expect(first).toEqual(decodePayload(bytes));
    expect(decodePayloadOf(id, bytes.slice())).toBe(first);
    const garbage = Uint8Array.from([0x44, 1, 2]);
    expect(decodePayloadOf(messageIdOf(garbage), garbage)).toBeNull();
  });

  it('keeps the newest 16,384 messages: an all-nodes burst of 10,000 decodes each message once', () => {
    const probe = encodePayload({ kind: 'probe', probe: { probeId: 'p-burst', origin: 'b'.repeat(64) } });
    const first = decodePayloadOf('burst-0', probe);
    for (let i = 1; i < 16_384; i++) decodePayloadOf(`burst-${i}`, probe);
    expect(decodePayloadOf('burst-0', probe)).toBe(first);
    decodePayloadOf('burst-16384', probe); // one more pushes out the oldest
    const again = decodePayloadOf('burst-0', probe);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});

describe('padded probes and digest changes', () => {
  const probe = { probeId: 'p-1', origin: 'o'.repeat(64) };

  it('a padded probe roundtrips with its zero padding; a bare probe has no padBytes', () => {
    const padded = encodePayload({ kind: 'probe', probe: { ...probe, padBytes: 300 } });
    const bare = encodePayload({ kind: 'probe', probe });
    expect(padded.length).toBeGreaterThanOrEqual(bare.length + 300);
    expect(Array.from(padded.subarray(padded.length - 300)).every((b) => b === 0)).toBe(true);
    expect(decodePayload(padded)).toEqual({ kind: 'probe', probe: { ...probe, padBytes: 300 } });
    expect(decodePayload(bare)).toEqual({ kind: 'probe', probe });
    expect(encodePayload({ kind: 'probe', probe: { ...probe, padBytes: 0 } })).toEqual(bare);
  });

  it('a padded probe with a non-zero pad byte, a wrong pad length or a zero pad count is refused', () => {
    const padded = encodePayload({ kind: 'probe', probe: { ...probe, padBytes: 8 } });
    const dirty = padded.slice();
    dirty[dirty.length - 3] = 1;
    expect(decodePayload(dirty)).toBeNull();
    expect(decodePayload(padded.subarray(0, padded.length - 1))).toBeNull();
    expect(decodePayload(Uint8Array.from([...padded, 0]))).toBeNull();
    // The same probe with its pad count rewritten to 0 and no padding.
    const zero = padded.slice(0, padded.length - 8);
    zero[zero.length - 1] = 0;
    expect(decodePayload(zero)).toBeNull();
    expect(decodePayload(Uint8Array.of(padded[0]!))).toBeNull();
  });

  it('a digest with many long peer ids (past the writer\'s first buffer) roundtrips', () => {
    const big: Digest = { ...sample, peerIds: Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(64, '0')) };
    expect(decodePayload(encodePayload({ kind: 'digest', digest: big }))).toEqual({ kind: 'digest', digest: big });
  });

  it('digestChanged: each compared field alone is a change; clock, seq and loads are not', () => {
    expect(digestChanged(sample, { ...sample, wallTimeMs: 1, seq: 99, cpuUsedPermille: 1, ramUsedBytes: 1 })).toBe(false);
    for (const change of [{ peerCount: 3 }, { framesSent: 11 }, { framesReceived: 13 }, { meshId: 'mesh-b' }, { nodeType: 'sensor' }, { peerIds: [sample.peerIds[0]!] }]) {
      expect(digestChanged(sample, { ...sample, ...change }), JSON.stringify(change)).toBe(true);
    }
    expect(digestChanged(null, sample)).toBe(true);
  });

  it('long and non-ASCII strings, padding after a large digest, and an unknown type byte', () => {
    const long = { probeId: 'x'.repeat(5_000), origin: '\u0080\u00ff€' };
    expect(decodePayload(encodePayload({ kind: 'probe', probe: long }))).toEqual({ kind: 'probe', probe: long });
    encodePayload({ kind: 'digest', digest: { ...sample, peerIds: Array.from({ length: 300 }, () => 'ff'.repeat(32)) } });
    const padded = encodePayload({ kind: 'probe', probe: { ...probe, padBytes: 2_000 } });
    expect(Array.from(padded.subarray(padded.length - 2_000)).every((b) => b === 0)).toBe(true);
    const unknown = padded.slice();
    unknown[0] = 0x7f;
    expect(decodePayload(unknown)).toBeNull();
  });

  it('a string whose only non-ASCII character is U+0080 roundtrips (it is not ASCII)', () => {
    const probe = { probeId: 'a\u0080b', origin: '\u0080' };
    expect(decodePayload(encodePayload({ kind: 'probe', probe }))).toEqual({ kind: 'probe', probe });
  });

  it('the pad is zeroed over any bytes an earlier, larger payload left in the writer', () => {
    // About 99 KB of 0xff ids: the writer's buffer is now at least that large and dirty.
    const big = { ...sample, peerIds: Array.from({ length: 3_000 }, () => 'ff'.repeat(32)) };
    expect(decodePayload(encodePayload({ kind: 'digest', digest: big }))).toEqual({ kind: 'digest', digest: big });
    const padBytes = 90_000; // most of the dirty region, and more than half the buffer
    const padded = encodePayload({ kind: 'probe', probe: { ...probe, padBytes } });
    expect(padded.subarray(padded.length - padBytes).every((b) => b === 0)).toBe(true);
    expect(decodePayload(padded)).toEqual({ kind: 'probe', probe: { ...probe, padBytes } });
  });

  it('one string longer than twice the writer\'s buffer is written whole', () => {
    const probe = { probeId: 'y'.repeat(600_000), origin: 'ab'.repeat(32) };
    expect(decodePayload(encodePayload({ kind: 'probe', probe }))).toEqual({ kind: 'probe', probe });
  });
});
