/**
 * The framer, LEB128 lengths, traced (0x10) and echo (0x11) frames — SPEC §4 and §6.
 *
 * Goal: every frame a peer can send decodes back to itself; every malformed or hostile byte
 * sequence yields an error value (never an exception), the same one however the bytes are
 * chunked. Method: fast-check properties over all 256 tags and every frame kind, strict
 * prefixes, random chunkings and random bytes, plus fixed vectors for the LEB128 edge cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../src/protocol/codec.js';
import {
  FRAME_LIMIT_BI, FRAME_LIMIT_UNI, type Frame, FrameDecoder, TAG_ECHO, TAG_TRACED,
  decodeFrame, encodeFrame, isKnownTag,
} from '../src/protocol/framer.js';
import { U32_MAX, U64_MAX, bytesToHex, encodeLeb128U32, encodeLeb128U64, readLeb128U32, readLeb128U64 } from '../src/protocol/leb128.js';
import type { TopicEnvelope } from '../src/protocol/messages.js';
import type { DecodeError, Result } from '../src/protocol/result.js';
import { type Traced, decodeTraced, decodeTracedPayload, encodeEcho, encodeTraced, encodeTracedPayload } from '../src/protocol/traced.js';

// ---- arbitraries ----

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
const u32 = fc.integer({ min: 0, max: U32_MAX });
const wireString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', 'mesh-a', '\uFEFFbom', 'é😀'));

const tracedArb: fc.Arbitrary<Traced> = fc.record({
  traceId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  spanId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  flags: fc.integer({ min: 0, max: 255 }),
  message: fc.oneof(
    fc.record({ type: fc.constant('Ping' as const), orgId: fc.bigInt(0n, U64_MAX) }),
    fc.record({ type: fc.constant('Pong' as const), orgId: fc.bigInt(0n, U64_MAX) }),
    fc.record({ type: fc.constant('Hello' as const), meshId: wireString, nodeType: wireString }),
  ),
});

/** A few control messages; codec.test.ts covers every message type in depth. */
const envelopeArb: fc.Arbitrary<TopicEnvelope> = fc.record({
  topic: hexId,
  message: fc.oneof(
    fc.constant({ type: 'Join' as const }),
    fc.record({ type: fc.constant('ForwardJoin' as const), peer: hexId, ttl: u32 }),
    fc.record({ type: fc.constant('Gossip' as const), id: hexId, round: u32, content: fc.uint8Array({ maxLength: 300 }) }),
  ),
});

type Kind = 'control' | 'traced' | 'echo';
/** A payload of one frame kind, as its encoder produces it. */
const kindPayloadArb: fc.Arbitrary<{ kind: Kind; payload: Uint8Array }> = fc.oneof(
  envelopeArb.map((env) => ({ kind: 'control' as const, payload: decodeOk(encodeEnvelope(env), FRAME_LIMIT_BI).payload })),
  tracedArb.map((t) => ({ kind: 'traced' as const, payload: encodeTracedPayload(t) })),
  fc.uint8Array({ maxLength: 400 }).map((payload) => ({ kind: 'echo' as const, payload })),
);

/** A valid frame of any kind with its expected decoding. */
const validFrameArb: fc.Arbitrary<{ bytes: Uint8Array; frame: Frame }> = fc.oneof(
  envelopeArb.map((env) => encodeEnvelope(env)),
  tracedArb.map((t) => encodeTraced(t)),
  fc.uint8Array({ maxLength: 400 }).map((p) => encodeEcho(p)),
).map((bytes) => ({ bytes, frame: decodeOk(bytes, FRAME_LIMIT_BI) }));

// ---- helpers ----

/** Builds a frame byte for byte, bypassing encodeFrame's assertions (any tag, any payload). */
function rawFrame(tag: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([tag, ...encodeLeb128U32(payload.length), ...payload]);
}

function decodeOk(bytes: Uint8Array, limit: number): Frame {
  const result = decodeFrame(bytes, limit);
  if (!result.ok) throw new Error(`expected a frame, got ${JSON.stringify(result.error)}`);
  return result.value;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Drains a decoder: every result until null, stopping after the first error. */
function drain(decoder: FrameDecoder, into: Result<Frame>[]): void {
  for (let result = decoder.next(); result !== null; result = decoder.next()) {
    into.push(result);
    if (!result.ok) return;
  }
}

/**
 * Feeds `bytes` split at `cuts`, draining after every chunk; returns results and end(). With
 * `reuse`, every chunk is pushed from one scratch buffer that is overwritten after the drain,
 * as a socket reader reuses its read buffer.
 */
function decodeChunked(bytes: Uint8Array, cuts: number[], limit: number, reuse = false): { results: Result<Frame>[]; end: DecodeError | null } {
  const decoder = new FrameDecoder(limit);
  const results: Result<Frame>[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const scratch = new Uint8Array(bytes.length);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    if (reuse) {
      scratch.set(bytes.subarray(from, to));
      decoder.push(scratch.subarray(0, to - from));
    } else {
      decoder.push(bytes.subarray(from, to));
    }
    from = to;
    if (results.length === 0 || results[results.length - 1].ok) drain(decoder, results);
    scratch.fill(0xaa);
  }
  return { results: dedupeTrailingError(results), end: decoder.end() };
}

/** A poisoned decoder repeats its error on every drain; keep it once. */
function dedupeTrailingError(results: Result<Frame>[]): Result<Frame>[] {
  const firstError = results.findIndex((r) => !r.ok);
  return firstError === -1 ? results : results.slice(0, firstError + 1);
}

// ---- tests ----

describe('framer', () => {
  it('framer-roundtrip', () => {
    // Every payload kind under every one of the 256 tags: known tags roundtrip through both
    // readers, the others are UnknownTag.
    fc.assert(fc.property(kindPayloadArb, ({ payload }) => {
      for (let tag = 0; tag < 256; tag++) {
        const bytes = rawFrame(tag, payload);
        const whole = decodeFrame(bytes, FRAME_LIMIT_BI);
        const decoder = new FrameDecoder(FRAME_LIMIT_BI);
        decoder.push(bytes);
        const streamed = decoder.next();
        if (isKnownTag(tag)) {
          expect(whole).toEqual({ ok: true, value: { tag, payload } });
          expect(streamed).toEqual(whole);
          expect(decoder.next()).toBeNull();
          expect(decoder.end()).toBeNull();
          expect(encodeFrame(tag, payload)).toEqual(bytes);
        } else {
          expect(whole).toEqual({ ok: false, error: { kind: 'UnknownTag', tag } });
          expect(streamed).toEqual(whole);
        }
      }
    }), { numRuns: 60 });
  });

  it('framer-roundtrip: each kind decodes back through its own decoder', () => {
    fc.assert(fc.property(tracedArb, fc.uint8Array({ maxLength: 200 }), (traced, echo) => {
      const tracedFrame = decodeOk(encodeTraced(traced), FRAME_LIMIT_UNI);
      expect(tracedFrame.tag).toBe(TAG_TRACED);
      expect(decodeTraced(tracedFrame)).toEqual({ ok: true, value: traced });
      expect(decodeOk(encodeEcho(echo), FRAME_LIMIT_UNI)).toEqual({ tag: TAG_ECHO, payload: echo });
    }));
  });

  it('framer-truncation', () => {
    fc.assert(fc.property(validFrameArb, ({ bytes, frame }) => {
      const headerBytes = bytes.length - frame.payload.length;
      for (let k = 0; k < bytes.length; k++) {
        const prefix = bytes.slice(0, k);
        const expected: DecodeError = k === 0 ? { kind: 'Empty' }
          : k < headerBytes ? { kind: 'BadLength' }
            : { kind: 'Truncated', declared: frame.payload.length, available: k - headerBytes };
        expect(decodeFrame(prefix, FRAME_LIMIT_BI)).toEqual({ ok: false, error: expected });
        const decoder = new FrameDecoder(FRAME_LIMIT_BI);
        decoder.push(prefix);
        expect(decoder.next()).toBeNull();
        expect(decoder.end()).toEqual(k === 0 ? null : expected);
      }
    }), { numRuns: 40 });
  });

  it('unknown-tag-rejected', () => {
    for (const tag of [0x00, 0x12, 0x7f, 0x80, 0xff]) {
      expect(decodeFrame(Uint8Array.of(tag, 0), FRAME_LIMIT_UNI)).toEqual({ ok: false, error: { kind: 'UnknownTag', tag } });
      // The streaming decoder rejects on the tag byte alone and stays failed afterwards.
      const decoder = new FrameDecoder(FRAME_LIMIT_UNI);
      decoder.push(Uint8Array.of(tag));
      expect(decoder.next()).toEqual({ ok: false, error: { kind: 'UnknownTag', tag } });
      decoder.push(encodeEcho(Uint8Array.of(1, 2)));
      expect(decoder.next()).toEqual({ ok: false, error: { kind: 'UnknownTag', tag } });
      expect(decoder.end()).toEqual({ kind: 'UnknownTag', tag });
    }
    expect(decodeTraced({ tag: TAG_ECHO, payload: new Uint8Array(0) })).toEqual({ ok: false, error: { kind: 'UnknownTag', tag: TAG_ECHO } });
    expect(() => encodeFrame(0x00, new Uint8Array(0))).toThrow();
    expect(() => encodeFrame(0x12, new Uint8Array(0))).toThrow();
  });

  it('decoding arbitrary bytes never throws', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Valid frames with a few bytes overwritten reach deeper into the payload decoders.
      fc.tuple(validFrameArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
        .map(([{ bytes }, edits]) => {
          const out = bytes.slice();
          for (const [at, value] of edits) out[at % out.length] = value;
          return out;
        }),
    );
    fc.assert(fc.property(bytesArb, (bytes) => {
      for (const limit of [0, FRAME_LIMIT_UNI, FRAME_LIMIT_BI]) {
        const whole = decodeFrame(bytes, limit);
        expect(typeof whole.ok).toBe('boolean');
        const decoder = new FrameDecoder(limit);
        decoder.push(bytes);
        drain(decoder, []);
      }
      expect(typeof decodeTracedPayload(bytes).ok).toBe('boolean');
    }), { numRuns: 500 });
  });

  it('chunked decode equals whole decode', () => {
    const streamArb = fc.tuple(
      fc.array(validFrameArb, { maxLength: 5 }),
      fc.uint8Array({ maxLength: 8 }), // an optional garbage tail: an error or a truncated frame
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.constantFrom(FRAME_LIMIT_UNI, FRAME_LIMIT_BI, 64),
    );
    fc.assert(fc.property(streamArb, ([frames, tail, cuts, limit]) => {
      const bytes = concat([...frames.map((f) => f.bytes), tail]);
      const whole = decodeChunked(bytes, [], limit);
      const chunked = decodeChunked(bytes, cuts, limit);
      expect(chunked).toEqual(whole);
      const byteByByte = decodeChunked(bytes, Array.from({ length: bytes.length }, (_, i) => i), limit);
      expect(byteByByte).toEqual(whole);
      // The decoder reads a chunk in place, yet once drained it holds none of the caller's bytes,
      // and it never writes into them.
      expect(decodeChunked(bytes, cuts, limit, true)).toEqual(whole);
      expect(bytes).toEqual(concat([...frames.map((f) => f.bytes), tail]));
      // A stream of exactly one frame agrees with the one-frame decoder.
      if (frames.length === 1 && tail.length === 0) {
        expect(whole.results).toEqual([decodeFrame(bytes, limit)]);
      }
    }), { numRuns: 200 });
  });

  it('a chunk read in place is never written: a long chunk with an incomplete tail stays as it was', () => {
    const first = encodeFrame(TAG_ECHO, new Uint8Array(300).fill(7));
    const second = encodeFrame(TAG_ECHO, new Uint8Array(40).fill(9));
    const chunk = concat([first, second.subarray(0, 10)]);
    const before = chunk.slice();
    const decoder = new FrameDecoder(FRAME_LIMIT_BI);
    decoder.push(chunk);
    const results: Result<Frame>[] = [];
    drain(decoder, results);
    expect(chunk).toEqual(before);
    chunk.fill(0xaa); // the caller reuses its buffer
    decoder.push(second.subarray(10));
    drain(decoder, results);
    expect(results).toEqual([
      { ok: true, value: { tag: TAG_ECHO, payload: new Uint8Array(300).fill(7) } },
      { ok: true, value: { tag: TAG_ECHO, payload: new Uint8Array(40).fill(9) } },
    ]);
  });

  it('a chunk handed over (pushOwned) gives frames that are views of it, not copies', () => {
    const first = encodeFrame(TAG_ECHO, new Uint8Array(300).fill(7));
    const second = encodeFrame(TAG_ECHO, new Uint8Array(40).fill(9));
    const chunk = concat([first, second.subarray(0, 10)]);
    const decoder = new FrameDecoder(FRAME_LIMIT_BI);
    decoder.pushOwned(chunk);
    const results: Result<Frame>[] = [];
    drain(decoder, results);
    const viewed = results[0].ok ? results[0].value.payload : null;
    expect(viewed?.buffer).toBe(chunk.buffer);
    expect(viewed?.byteOffset).toBe(chunk.byteOffset + first.length - 300);
    // The incomplete tail was copied out, so the frame it completes is the decoder's own bytes.
    const rest = second.slice(10);
    decoder.pushOwned(rest);
    drain(decoder, results);
    const completed = results[1].ok ? results[1].value.payload : null;
    expect(completed?.buffer).not.toBe(chunk.buffer);
    expect(completed?.buffer).not.toBe(rest.buffer);
    expect(results).toEqual([
      { ok: true, value: { tag: TAG_ECHO, payload: new Uint8Array(300).fill(7) } },
      { ok: true, value: { tag: TAG_ECHO, payload: new Uint8Array(40).fill(9) } },
    ]);
    // `push` still copies: its caller may reuse the chunk.
    const copying = new FrameDecoder(FRAME_LIMIT_BI);
    copying.push(first);
    const copied = copying.next();
    expect(copied?.ok && copied.value.payload.buffer).not.toBe(first.buffer);
  });

  it('owned chunks decode as copied ones do, whatever the cuts', () => {
    fc.assert(fc.property(fc.array(validFrameArb, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (frames, cuts) => {
      const bytes = concat(frames.map((f) => f.bytes));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const owned = new FrameDecoder(FRAME_LIMIT_BI);
      const results: Result<Frame>[] = [];
      let from = 0;
      for (const to of [...points, bytes.length]) {
        owned.pushOwned(bytes.slice(from, to));
        from = to;
        drain(owned, results);
      }
      expect({ results, end: owned.end() }).toEqual(decodeChunked(bytes, cuts, FRAME_LIMIT_BI));
    }), { numRuns: 200 });
  });

  it('oversize rejected before the payload arrives', () => {
    const header = Uint8Array.from([0x11, ...encodeLeb128U32(FRAME_LIMIT_UNI + 1)]);
    const oversize = { ok: false, error: { kind: 'Oversize', declared: FRAME_LIMIT_UNI + 1, max: FRAME_LIMIT_UNI } };
    expect(decodeFrame(header, FRAME_LIMIT_UNI)).toEqual(oversize);
    const decoder = new FrameDecoder(FRAME_LIMIT_UNI);
    decoder.push(header);
    expect(decoder.next()).toEqual(oversize);
    // Exactly at the limit is fine: the decoder waits for the payload.
    const atLimit = new FrameDecoder(FRAME_LIMIT_UNI);
    atLimit.push(Uint8Array.from([0x11, ...encodeLeb128U32(FRAME_LIMIT_UNI)]));
    expect(atLimit.next()).toBeNull();
    atLimit.push(new Uint8Array(FRAME_LIMIT_UNI));
    expect(atLimit.next()).toMatchObject({ ok: true, value: { tag: 0x11 } });
    // The largest legal length is still Oversize for a bi stream, decided from 6 bytes.
    expect(decodeFrame(Uint8Array.of(0x11, 0xff, 0xff, 0xff, 0xff, 0x0f), FRAME_LIMIT_BI))
      .toEqual({ ok: false, error: { kind: 'Oversize', declared: U32_MAX, max: FRAME_LIMIT_BI } });
  });
});

describe('LEB128 lengths', () => {
  const badLength = { ok: false, error: { kind: 'BadLength' } };

  it('rejects non-minimal encodings', () => {
    expect(decodeFrame(Uint8Array.of(0x11, 0x80, 0x00), FRAME_LIMIT_BI)).toEqual(badLength);
    expect(decodeFrame(Uint8Array.of(0x11, 0x81, 0x80, 0x00, 0x01), FRAME_LIMIT_BI)).toEqual(badLength);
    expect(readLeb128U32(Uint8Array.of(0x00), 0)).toEqual({ kind: 'ok', value: 0, next: 1 });
  });

  it('rejects a 6-byte length, as soon as the 5th byte shows it', () => {
    expect(decodeFrame(Uint8Array.of(0x11, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), FRAME_LIMIT_BI)).toEqual(badLength);
    const decoder = new FrameDecoder(FRAME_LIMIT_BI);
    decoder.push(Uint8Array.of(0x11, 0x80, 0x80, 0x80, 0x80));
    expect(decoder.next()).toBeNull();
    decoder.push(Uint8Array.of(0x80));
    expect(decoder.next()).toEqual(badLength);
  });

  it('rejects 2^32 and accepts 2^32-1', () => {
    expect(decodeFrame(Uint8Array.of(0x11, 0x80, 0x80, 0x80, 0x80, 0x10), U32_MAX)).toEqual(badLength);
    expect(readLeb128U32(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 0)).toEqual({ kind: 'ok', value: U32_MAX, next: 5 });
    expect(encodeLeb128U32(U32_MAX)).toEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f));
    expect(() => encodeLeb128U32(U32_MAX + 1)).toThrow();
  });

  it('u32 and u64 roundtrip and stay minimal', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: U32_MAX }), (value) => {
      const bytes = encodeLeb128U32(value);
      expect(readLeb128U32(bytes, 0)).toEqual({ kind: 'ok', value, next: bytes.length });
      expect(readLeb128U32(bytes.subarray(0, bytes.length - 1), 0)).toEqual({ kind: 'incomplete' });
    }));
    fc.assert(fc.property(fc.bigInt(0n, U64_MAX), (value) => {
      const bytes = encodeLeb128U64(value);
      expect(readLeb128U64(bytes, 0)).toEqual({ kind: 'ok', value, next: bytes.length });
    }));
  });

  it('u64 edge cases: 2^64-1, 2^64, 11 bytes, non-minimal', () => {
    const max = encodeLeb128U64(U64_MAX);
    expect(max.length).toBe(10);
    expect(readLeb128U64(max, 0)).toEqual({ kind: 'ok', value: U64_MAX, next: 10 });
    expect(readLeb128U64(Uint8Array.of(...new Array(9).fill(0x80), 0x02), 0)).toEqual({ kind: 'bad' });
    expect(readLeb128U64(Uint8Array.of(...new Array(10).fill(0x80), 0x01), 0)).toEqual({ kind: 'bad' });
    expect(readLeb128U64(Uint8Array.of(0xff, 0x00), 0)).toEqual({ kind: 'bad' });
  });
});

describe('traced frames', () => {
  it('traced-frame-roundtrip', () => {
    fc.assert(fc.property(tracedArb, (traced) => {
      const bytes = encodeTraced(traced);
      const frame = decodeOk(bytes, FRAME_LIMIT_UNI);
      expect(decodeTraced(frame)).toEqual({ ok: true, value: traced });
    }), { numRuns: 300 });
  });

  it('traced-frame-roundtrip: byte layout of a Hello is pinned', () => {
    const traceId = Uint8Array.from({ length: 16 }, (_, i) => i);
    const spanId = Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i);
    const bytes = encodeTraced({ traceId, spanId, flags: 1, message: { type: 'Hello', meshId: 'm', nodeType: 'gw' } });
    const payload = [...traceId, ...spanId, 0x01, 0x02, 0x01, 0x6d, 0x02, 0x67, 0x77];
    expect([...bytes]).toEqual([0x10, payload.length, ...payload]);
    const ping = encodeTracedPayload({ traceId, spanId, flags: 0, message: { type: 'Ping', orgId: 300n } });
    expect([...ping.subarray(25)]).toEqual([0x00, 0xac, 0x02]);
  });

  it('invalid UTF-8 rejected', () => {
    const head = new Uint8Array(25);
    const invalid = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]];
    for (const bad of invalid) {
      const asMeshId = Uint8Array.from([...head, 0x02, bad.length, ...bad, 0x00]);
      const asNodeType = Uint8Array.from([...head, 0x02, 0x00, bad.length, ...bad]);
      for (const payload of [asMeshId, asNodeType]) {
        const result = decodeTracedPayload(payload);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toMatchObject({ kind: 'BadPayload', reason: expect.stringContaining('invalid UTF-8') });
      }
    }
  });

  it('rejects bad traced payloads as BadPayload', () => {
    const head = new Uint8Array(25);
    const cases = [
      new Uint8Array(24), // no flags byte
      Uint8Array.from([...head]), // no variant
      Uint8Array.from([...head, 0x03]), // unknown variant
      Uint8Array.from([...head, 0x00]), // Ping without orgId
      Uint8Array.from([...head, 0x00, 0x80, 0x00]), // non-minimal orgId
      Uint8Array.from([...head, 0x01, 0x05, 0x00]), // trailing byte
      Uint8Array.from([...head, 0x02, 0x05, 0x61]), // string longer than the payload
      Uint8Array.from([...head, 0x80, 0x00, 0x05]), // non-minimal variant index
    ];
    for (const payload of cases) {
      expect(decodeTracedPayload(payload)).toMatchObject({ ok: false, error: { kind: 'BadPayload' } });
    }
  });
});
