/**
 * The control-plane codec: every HyParView and Plumtree message in a 0x01–0x0F frame.
 *
 * Goal: each message type roundtrips exactly, the byte layout matches docs/wire.md, and every
 * malformed payload is a `BadPayload` value rather than an exception or a half-built message.
 * Method: a fast-check arbitrary per message type, fixed vectors, and hand-broken payloads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FRAME_LIMIT_CONTROL, GOSSIP_CONTENT_MAX_BYTES, IHAVE_ENTRIES_MAX, SHUFFLE_NODES_MAX,
  decodeAny, decodeEnvelope, encodeEnvelope, sharedEnvelopeFrame,
} from '../src/protocol/codec.js';
import { FRAME_LIMIT_BI, FRAME_LIMIT_UNI, decodeFrame } from '../src/protocol/framer.js';
import { U32_MAX, bytesToHex, encodeLeb128U32 } from '../src/protocol/leb128.js';
import { isMessageIdOf, messageIdOf, verifiedContentOf } from '../src/protocol/message-id.js';
import { MESSAGE_TAG, type TopicEnvelope, type TopicMessage } from '../src/protocol/messages.js';
import { encodeEcho, encodeTraced } from '../src/protocol/traced.js';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
const u32 = fc.integer({ min: 0, max: U32_MAX });
const ids = fc.array(hexId, { maxLength: 12 });

const messageArbs: { [K in TopicMessage['type']]: fc.Arbitrary<Extract<TopicMessage, { type: K }>> } = {
  Join: fc.constant({ type: 'Join' }),
  ForwardJoin: fc.record({ type: fc.constant('ForwardJoin'), peer: hexId, ttl: u32 }),
  Neighbor: fc.record({ type: fc.constant('Neighbor'), priority: fc.constantFrom('high', 'low') }),
  NeighborReply: fc.record({ type: fc.constant('NeighborReply'), accepted: fc.boolean() }),
  Disconnect: fc.record({ type: fc.constant('Disconnect'), alive: fc.boolean() }),
  Shuffle: fc.record({ type: fc.constant('Shuffle'), origin: hexId, ttl: u32, nodes: ids }),
  ShuffleReply: fc.record({ type: fc.constant('ShuffleReply'), nodes: ids }),
  Gossip: fc.record({
    type: fc.constant('Gossip'), id: hexId, round: u32,
    content: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 4000, maxLength: GOSSIP_CONTENT_MAX_BYTES })),
  }),
  IHave: fc.record({ type: fc.constant('IHave'), entries: fc.array(fc.record({ id: hexId, round: u32 }), { maxLength: 20 }) }),
  Graft: fc.record({ type: fc.constant('Graft'), id: fc.option(hexId, { nil: null }), round: u32 }),
  Prune: fc.constant({ type: 'Prune' }),
};

const TOPIC = 'ab'.repeat(32);
const ID_A = '01'.repeat(32);

function roundtrip(envelope: TopicEnvelope): unknown {
  const frame = decodeFrame(encodeEnvelope(envelope), FRAME_LIMIT_CONTROL);
  if (!frame.ok) return frame;
  expect(frame.value.tag).toBe(MESSAGE_TAG[envelope.message.type]);
  return decodeEnvelope(frame.value);
}

/** A control frame with a hand-made payload: topic, then `rest`. */
function controlFrame(tag: number, rest: number[]): { tag: number; payload: Uint8Array } {
  return { tag, payload: Uint8Array.from([...new Array(32).fill(0xab), ...rest]) };
}

describe('codec', () => {
  for (const type of Object.keys(messageArbs) as TopicMessage['type'][]) {
    it(`codec roundtrip: ${type}`, () => {
      fc.assert(fc.property(hexId, messageArbs[type] as fc.Arbitrary<TopicMessage>, (topic, message) => {
        const envelope: TopicEnvelope = { topic, message };
        expect(roundtrip(envelope)).toEqual({ ok: true, value: envelope });
      }), { numRuns: 60 });
    });
  }

  it('tags are distinct and inside the control range', () => {
    const tags = Object.values(MESSAGE_TAG);
    expect(new Set(tags).size).toBe(tags.length);
    for (const tag of tags) expect(tag >= 0x01 && tag <= 0x0f).toBe(true);
  });

  it('byte layout matches docs/wire.md', () => {
    const fj = encodeEnvelope({ topic: TOPIC, message: { type: 'ForwardJoin', peer: ID_A, ttl: 300 } });
    expect([...fj]).toEqual([0x02, 66, ...new Array(32).fill(0xab), ...new Array(32).fill(0x01), 0xac, 0x02]);
    const graft = encodeEnvelope({ topic: TOPIC, message: { type: 'Graft', id: null, round: 3 } });
    expect([...graft]).toEqual([0x0a, 34, ...new Array(32).fill(0xab), 0x00, 0x03]);
    const neighbor = encodeEnvelope({ topic: TOPIC, message: { type: 'Neighbor', priority: 'high' } });
    expect([...neighbor.subarray(34)]).toEqual([0x01]);
    const gossip = encodeEnvelope({ topic: TOPIC, message: { type: 'Gossip', id: ID_A, round: 1, content: Uint8Array.of(9, 8) } });
    expect([...gossip.subarray(2 + 64)]).toEqual([0x01, 0x02, 9, 8]);
  });

  it('enforces the 4096-byte Gossip content limit', () => {
    const big = { topic: TOPIC, message: { type: 'Gossip', id: ID_A, round: U32_MAX, content: new Uint8Array(GOSSIP_CONTENT_MAX_BYTES) } } as const;
    const bytes = encodeEnvelope(big);
    expect(bytes.length - 1 - encodeLeb128U32(FRAME_LIMIT_CONTROL).length).toBe(FRAME_LIMIT_CONTROL);
    expect(roundtrip(big)).toEqual({ ok: true, value: big });
    expect(() => encodeEnvelope({ ...big, message: { ...big.message, content: new Uint8Array(GOSSIP_CONTENT_MAX_BYTES + 1) } })).toThrow();
    const overLimit = controlFrame(MESSAGE_TAG.Gossip, [...new Array(32).fill(1), 0x00, ...encodeLeb128U32(4097), ...new Array(4097).fill(0)]);
    expect(decodeEnvelope(overLimit)).toMatchObject({ ok: false, error: { kind: 'BadPayload', reason: expect.stringContaining('4097') } });
  });

  it('largest IHave and Shuffle batches fit one control frame', () => {
    const entries = Array.from({ length: IHAVE_ENTRIES_MAX }, () => ({ id: ID_A, round: U32_MAX }));
    expect(roundtrip({ topic: TOPIC, message: { type: 'IHave', entries } })).toMatchObject({ ok: true });
    const nodes = new Array(SHUFFLE_NODES_MAX).fill(ID_A);
    expect(roundtrip({ topic: TOPIC, message: { type: 'Shuffle', origin: ID_A, ttl: U32_MAX, nodes } })).toMatchObject({ ok: true });
    expect(FRAME_LIMIT_CONTROL).toBeGreaterThan(FRAME_LIMIT_UNI);
  });

  it('rejects control tags with no message as UnknownTag', () => {
    for (const tag of [0x00, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0xff]) {
      expect(decodeEnvelope({ tag, payload: new Uint8Array(32) })).toEqual({ ok: false, error: { kind: 'UnknownTag', tag } });
    }
  });

  it('rejects malformed payloads as BadPayload', () => {
    const cases: [number, number[]][] = [
      [MESSAGE_TAG.Join, [0x00]], // trailing byte
      [MESSAGE_TAG.Neighbor, [0x02]], // priority neither 0 nor 1
      [MESSAGE_TAG.NeighborReply, []], // missing field
      [MESSAGE_TAG.Disconnect, [0xff]],
      [MESSAGE_TAG.ForwardJoin, [...new Array(31).fill(1)]], // short peer id
      [MESSAGE_TAG.ForwardJoin, [...new Array(32).fill(1), 0x80, 0x00]], // non-minimal ttl
      [MESSAGE_TAG.ShuffleReply, [0xff, 0xff, 0xff, 0xff, 0x0f]], // count far beyond the bytes
      [MESSAGE_TAG.ShuffleReply, [0x02, ...new Array(32).fill(1)]], // one id short
      [MESSAGE_TAG.IHave, [0x01, ...new Array(32).fill(1)]], // entry without round
      [MESSAGE_TAG.Graft, [0x02, 0x00]], // bad id flag
      [MESSAGE_TAG.Graft, [0x01, 0x00]], // flag says id, none follows
      [MESSAGE_TAG.Gossip, [...new Array(32).fill(1), 0x00, 0x05, 1, 2]], // content shorter than declared
    ];
    for (const [tag, rest] of cases) {
      expect(decodeEnvelope(controlFrame(tag, rest))).toMatchObject({ ok: false, error: { kind: 'BadPayload' } });
    }
    expect(decodeEnvelope({ tag: MESSAGE_TAG.Prune, payload: new Uint8Array(31) })).toMatchObject({ ok: false, error: { kind: 'BadPayload' } });
  });

  it('decoding arbitrary control payloads never throws', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 120 }), (tag, payload) => {
      const result = decodeEnvelope({ tag, payload });
      expect(typeof result.ok).toBe('boolean');
      expect(typeof decodeAny(Uint8Array.from([tag, ...encodeLeb128U32(payload.length), ...payload])).ok).toBe('boolean');
    }), { numRuns: 1000 });
  });

  it('encoders assert on values our own code must never produce', () => {
    expect(() => encodeEnvelope({ topic: 'AB'.repeat(32), message: { type: 'Join' } })).toThrow();
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'ForwardJoin', peer: 'xyz', ttl: 1 } })).toThrow();
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'ForwardJoin', peer: ID_A, ttl: -1 } })).toThrow();
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'Graft', id: null, round: 1.5 } })).toThrow();
  });
});

describe('sharedEnvelopeFrame', () => {
  const gossip: TopicMessage = { type: 'Gossip', id: ID_A, round: 3, content: Uint8Array.from({ length: 300 }, (_, i) => i % 251) };
  const OTHER_TOPIC = 'cd'.repeat(32);

  it('gives the same Gossip object sent again on its topic the same frame (an eager push to each peer)', () => {
    const first = sharedEnvelopeFrame({ topic: TOPIC, message: gossip });
    expect(sharedEnvelopeFrame({ topic: TOPIC, message: gossip })).toBe(first);
    expect(first).toEqual(encodeEnvelope({ topic: TOPIC, message: gossip }));
    // An equal Gossip in another object is encoded for itself (the memo keys on the object).
    const twin = sharedEnvelopeFrame({ topic: TOPIC, message: { ...gossip } });
    expect(twin).not.toBe(first);
    expect(twin).toEqual(first);
  });

  it('gives every send of a Gossip object its one frame, whatever was encoded in between (the nodes forwarding at one round)', () => {
    const shared: TopicMessage = { ...gossip, round: 5 };
    const first = sharedEnvelopeFrame({ topic: TOPIC, message: shared });
    sharedEnvelopeFrame({ topic: TOPIC, message: { ...gossip, round: 6 } }); // another node's push
    expect(sharedEnvelopeFrame({ topic: TOPIC, message: shared })).toBe(first);
    // Its own buffer, not a view of a slab that the frame would keep alive.
    expect([first.byteOffset, first.buffer.byteLength]).toEqual([0, first.length]);
  });

  it('gives the frame of the topic asked for, not the one encoded last', () => {
    const message: TopicMessage = { ...gossip, round: 4 };
    expect(sharedEnvelopeFrame({ topic: TOPIC, message })).toEqual(encodeEnvelope({ topic: TOPIC, message }));
    expect(sharedEnvelopeFrame({ topic: OTHER_TOPIC, message })).toEqual(encodeEnvelope({ topic: OTHER_TOPIC, message }));
  });

  it('gives every Prune on a topic one frame of its own (a Prune has no body)', () => {
    const a = sharedEnvelopeFrame({ topic: TOPIC, message: { type: 'Prune' } });
    expect(sharedEnvelopeFrame({ topic: TOPIC, message: { type: 'Prune' } })).toBe(a);
    expect(a).toEqual(encodeEnvelope({ topic: TOPIC, message: { type: 'Prune' } }));
    expect([a.byteOffset, a.buffer.byteLength]).toEqual([0, a.length]);
    const other = sharedEnvelopeFrame({ topic: OTHER_TOPIC, message: { type: 'Prune' } });
    expect(other).toEqual(encodeEnvelope({ topic: OTHER_TOPIC, message: { type: 'Prune' } }));
    expect(other).not.toEqual(a);
  });

  it('encodes every other message anew for each send', () => {
    const graft: TopicMessage = { type: 'Graft', id: null, round: 2 };
    const a = sharedEnvelopeFrame({ topic: TOPIC, message: graft });
    expect(sharedEnvelopeFrame({ topic: TOPIC, message: graft })).not.toBe(a);
    expect(a).toEqual(encodeEnvelope({ topic: TOPIC, message: graft }));
  });
});

describe('Gossip content of a verified message', () => {
  const content = Uint8Array.from({ length: 120 }, (_, i) => (i * 7) % 256);
  const decodeGossip = (message: TopicMessage): TopicMessage => {
    const frame = decodeFrame(encodeEnvelope({ topic: TOPIC, message }), FRAME_LIMIT_CONTROL);
    if (!frame.ok) throw new Error('frame');
    const envelope = decodeEnvelope(frame.value);
    if (!envelope.ok) throw new Error('envelope');
    return envelope.value.message;
  };

  it('is the memo\'s bytes, not a copy, when the received content equals them', () => {
    const id = messageIdOf(content.slice());
    const decoded = decodeGossip({ type: 'Gossip', id, round: 2, content });
    if (decoded.type !== 'Gossip') throw new Error('not a Gossip');
    expect(decoded.content).toBe(verifiedContentOf(id));
    expect(decoded.content).toEqual(content);
    expect(isMessageIdOf(id, decoded.content)).toBe(true);
  });

  it('is a copy of the bytes received when they differ from the memo\'s under that id (a spoofed id)', () => {
    const id = messageIdOf(content.slice());
    const forged = content.slice();
    forged[60] ^= 1;
    const decoded = decodeGossip({ type: 'Gossip', id, round: 2, content: forged });
    if (decoded.type !== 'Gossip') throw new Error('not a Gossip');
    expect(decoded.content).not.toBe(verifiedContentOf(id));
    expect(decoded.content).toEqual(forged);
    expect(isMessageIdOf(id, decoded.content)).toBe(false);
    // A shorter content under the id is read as itself too.
    const short = decodeGossip({ type: 'Gossip', id, round: 2, content: content.subarray(0, 119) });
    expect(short.type === 'Gossip' && short.content).toEqual(content.subarray(0, 119));
  });

  it('is read, and failed, like any content when the payload is cut short', () => {
    const id = messageIdOf(content.slice());
    const encoded = encodeEnvelope({ topic: TOPIC, message: { type: 'Gossip', id, round: 2, content } });
    const frame = decodeFrame(encoded, FRAME_LIMIT_CONTROL);
    if (!frame.ok) throw new Error('frame');
    const cut = decodeEnvelope({ tag: frame.value.tag, payload: frame.value.payload.subarray(0, frame.value.payload.length - 1) });
    expect(cut.ok).toBe(false);
  });
});

describe('decodeAny', () => {
  it('describes control, traced and echo frames as JSON-friendly data', () => {
    const control = decodeAny(encodeEnvelope({ topic: TOPIC, message: { type: 'Gossip', id: ID_A, round: 2, content: Uint8Array.of(0xca, 0xfe) } }));
    expect(control).toEqual({ ok: true, tag: '0x08', kind: 'control', payloadBytes: 68, topic: TOPIC, message: { type: 'Gossip', id: ID_A, round: 2, contentHex: 'cafe' } });
    const traced = decodeAny(encodeTraced({ traceId: new Uint8Array(16), spanId: new Uint8Array(8).fill(1), flags: 1, message: { type: 'Pong', orgId: 2n ** 64n - 1n } }));
    expect(traced).toMatchObject({ ok: true, kind: 'traced', tag: '0x10', spanId: '01'.repeat(8), message: { type: 'Pong', orgId: '18446744073709551615' } });
    expect(decodeAny(encodeEcho(Uint8Array.of(1, 2, 3)))).toEqual({ ok: true, tag: '0x11', kind: 'echo', payloadBytes: 3, payloadHex: '010203' });
    for (const description of [control, traced]) expect(() => JSON.stringify(description)).not.toThrow();
  });

  it('reports errors as values with a one-line description', () => {
    expect(decodeAny(new Uint8Array(0))).toEqual({ ok: false, error: { kind: 'Empty' }, description: 'Empty' });
    expect(decodeAny(Uint8Array.of(0x12, 0x00))).toEqual({ ok: false, error: { kind: 'UnknownTag', tag: 0x12 }, description: 'UnknownTag{tag=0x12}' });
    expect(decodeAny(Uint8Array.of(0x11, 0x01, 0x00, 0x00))).toMatchObject({ ok: false, error: { kind: 'TrailingBytes', extra: 1 } });
    expect(decodeAny(Uint8Array.of(0x11, 0x05, 0x00), FRAME_LIMIT_BI)).toMatchObject({ ok: false, error: { kind: 'Truncated', declared: 5, available: 1 } });
    expect(decodeAny(Uint8Array.of(0x03, 0x00))).toMatchObject({ ok: false, error: { kind: 'BadPayload' } });
  });
});
