/**
 * Decode failures name what was wrong. Goal: every malformed control or traced payload is a
 * `BadPayload` whose reason names the message, the field and the defect (what `meshsim frame
 * decode` and `mesh.frame.decode_failed{error}` show), every `DecodeError` kind has its one-line
 * description, `decodeAny` describes every message shape, and the tables of recently read ids
 * never hand back another id's hex. Method: hand-built payloads, one defect each, with the exact
 * reason expected; ids that share their first three bytes (the key of the id table).
 */
import { describe, expect, it } from 'vitest';
import { FRAME_LIMIT_CONTROL, IHAVE_ENTRIES_MAX, SHUFFLE_NODES_MAX, decodeAny, decodeEnvelope, encodeEnvelope } from '../src/protocol/codec.js';
import { FrameDecoder, decodeFrame, frameKindOf } from '../src/protocol/framer.js';
import { ByteReader, readLeb128U32 } from '../src/protocol/leb128.js';
import { MESSAGE_TAG, type TopicMessage } from '../src/protocol/messages.js';
import { describeDecodeError } from '../src/protocol/result.js';
import { decodeTracedPayload, encodeTraced } from '../src/protocol/traced.js';

const TOPIC = 'ab'.repeat(32);
const ID = new Array<number>(32).fill(1);

function controlReason(tag: number, rest: readonly number[]): unknown {
  const r = decodeEnvelope({ tag, payload: Uint8Array.from([...new Array<number>(32).fill(0xab), ...rest]) });
  return r.ok ? r : r.error.kind === 'BadPayload' ? r.error.reason : r.error;
}

function tracedReason(payload: readonly number[]): unknown {
  const r = decodeTracedPayload(Uint8Array.from(payload));
  return r.ok ? r : r.error.kind === 'BadPayload' ? r.error.reason : r.error;
}

describe('control payload reasons', () => {
  it('name the message, the field and the defect', () => {
    const cases: [number, number[], string][] = [
      [MESSAGE_TAG.Neighbor, [0x02], 'Neighbor: priority: expected 0 or 1, got 2'],
      [MESSAGE_TAG.NeighborReply, [], 'NeighborReply: accepted: need 1 bytes, 0 left'],
      [MESSAGE_TAG.Disconnect, [0xff], 'Disconnect: alive: expected 0 or 1, got 255'],
      [MESSAGE_TAG.ForwardJoin, new Array<number>(31).fill(1), 'ForwardJoin: peer: need 32 bytes, 31 left'],
      [MESSAGE_TAG.ForwardJoin, [...ID, 0x80, 0x00], 'ForwardJoin: ttl: bad LEB128 u32'],
      [MESSAGE_TAG.ForwardJoin, [...ID, 0x80], 'ForwardJoin: ttl: truncated LEB128 u32'],
      [MESSAGE_TAG.ShuffleReply, [0xff, 0xff, 0xff, 0xff, 0x0f], 'ShuffleReply: nodes: count 4294967295 exceeds remaining 0 bytes'],
      [MESSAGE_TAG.ShuffleReply, [0x02, ...ID, ...new Array<number>(31).fill(2)], 'ShuffleReply: nodes: count 2 exceeds remaining 63 bytes'],
      [MESSAGE_TAG.Shuffle, [...ID], 'Shuffle: ttl: truncated LEB128 u32'],
      [MESSAGE_TAG.Shuffle, [...ID, 0x00, 0x01], 'Shuffle: nodes: count 1 exceeds remaining 0 bytes'],
      [MESSAGE_TAG.IHave, [0x01, ...ID], 'IHave: entries: count 1 exceeds remaining 32 bytes'],
      [MESSAGE_TAG.IHave, [0x01, ...ID, 0x80], 'IHave: entries[0].round: truncated LEB128 u32'],
      [MESSAGE_TAG.IHave, [0x02, ...ID, 0x01, ...ID, 0x80], 'IHave: entries[1].round: truncated LEB128 u32'],
      [MESSAGE_TAG.Graft, [0x02, 0x00], 'Graft: has id: expected 0 or 1, got 2'],
      [MESSAGE_TAG.Graft, [0x01, 0x00], 'Graft: id: need 32 bytes, 1 left'],
      [MESSAGE_TAG.Graft, [0x00], 'Graft: round: truncated LEB128 u32'],
      [MESSAGE_TAG.ShuffleReply, [0x80], 'ShuffleReply: nodes count: truncated LEB128 u32'],
      [MESSAGE_TAG.Shuffle, [1, 2, 3], 'Shuffle: origin: need 32 bytes, 3 left'],
      [MESSAGE_TAG.IHave, [0x80], 'IHave: entries count: truncated LEB128 u32'],
      // A 5-byte round leaves the second id short although the count check (33 bytes an entry) passed.
      [MESSAGE_TAG.IHave, [0x02, ...ID, 0x80, 0x80, 0x80, 0x80, 0x01, ...ID.slice(0, 31)], 'IHave: entries[1].id: need 32 bytes, 31 left'],
      [MESSAGE_TAG.Gossip, ID.slice(0, 8), 'Gossip: id: need 32 bytes, 8 left'],
      [MESSAGE_TAG.Gossip, [...ID], 'Gossip: round: truncated LEB128 u32'],
      [MESSAGE_TAG.Gossip, [...ID, 0x00], 'Gossip: content length: truncated LEB128 u32'],
      [MESSAGE_TAG.Gossip, [...ID, 0x00, 0x05, 1, 2], 'Gossip: content: need 5 bytes, 2 left'],
      [MESSAGE_TAG.Gossip, [...ID, 0x00, 0x81, 0x20], 'Gossip: content length 4097 > 4096'],
      [MESSAGE_TAG.Gossip, [...ID, 0x00, 0x81, 0x20, ...new Array<number>(4097).fill(0)], 'Gossip: content length 4097 > 4096'],
    ];
    for (const [tag, rest, reason] of cases) expect(controlReason(tag, rest), reason).toBe(reason);
    expect(decodeEnvelope({ tag: MESSAGE_TAG.Prune, payload: new Uint8Array(31) })).toEqual({ ok: false, error: { kind: 'BadPayload', reason: 'Prune: topic: need 32 bytes, 31 left' } });
    expect(controlReason(MESSAGE_TAG.Join, [0x00, 0x01])).toBe('Join: 2 trailing bytes');
  });

  it('trailing bytes after a whole message name the message once', () => {
    const HEX = '01'.repeat(32);
    const messages: TopicMessage[] = [
      { type: 'Join' },
      { type: 'ForwardJoin', peer: HEX, ttl: 6 },
      { type: 'Neighbor', priority: 'high' },
      { type: 'NeighborReply', accepted: true },
      { type: 'Disconnect', alive: false },
      { type: 'Shuffle', origin: HEX, ttl: 6, nodes: [HEX] },
      { type: 'ShuffleReply', nodes: [] },
      { type: 'Gossip', id: HEX, round: 3, content: Uint8Array.of(1, 2) },
      { type: 'IHave', entries: [{ id: HEX, round: 1 }] },
      { type: 'Graft', id: null, round: 0 },
      { type: 'Prune' },
    ];
    for (const message of messages) {
      const frame = decodeFrame(encodeEnvelope({ topic: TOPIC, message }), FRAME_LIMIT_CONTROL);
      if (!frame.ok) throw new Error(`${message.type}: ${describeDecodeError(frame.error)}`);
      const payload = Uint8Array.from([...frame.value.payload, 0x00]);
      expect(decodeEnvelope({ tag: frame.value.tag, payload })).toEqual({ ok: false, error: { kind: 'BadPayload', reason: `${message.type}: 1 trailing bytes` } });
    }
  });

  it('a count that exactly fits is read, and a Gossip of exactly 4096 bytes is accepted', () => {
    expect(controlReason(MESSAGE_TAG.ShuffleReply, [0x01, ...ID])).toEqual({ ok: true, value: { topic: TOPIC, message: { type: 'ShuffleReply', nodes: ['01'.repeat(32)] } } });
    const r = decodeEnvelope({ tag: MESSAGE_TAG.Gossip, payload: Uint8Array.from([...new Array<number>(32).fill(0xab), ...ID, 0x00, 0x80, 0x20, ...new Array<number>(4096).fill(7)]) });
    expect(r.ok && r.value.message.type === 'Gossip' && r.value.message.content.length).toBe(4096);
  });
});

describe('traced payload reasons', () => {
  const head = [...new Array<number>(16).fill(7), ...new Array<number>(8).fill(8), 1];
  it('name the field and the defect', () => {
    const cases: [number[], string][] = [
      [[], 'traceId: need 16 bytes, 0 left'],
      [new Array<number>(16).fill(0), 'spanId: need 8 bytes, 0 left'],
      [new Array<number>(24).fill(0), 'flags: need 1 bytes, 0 left'],
      [head, 'variant: truncated LEB128 u32'],
      [[...head, 0x80, 0x00], 'variant: bad LEB128 u32'],
      [[...head, 3], 'unknown traced variant 3'],
      [[...head, 0], 'Ping.orgId: truncated LEB128 u64'],
      [[...head, 1, 0x80, 0x00], 'Pong.orgId: bad LEB128 u64'],
      [[...head, 0, 1, 9], 'traced: 1 trailing bytes'],
      [[...head, 2], 'Hello.meshId length: truncated LEB128 u32'],
      [[...head, 2, 5, 0x61], 'Hello.meshId: length 5 exceeds 1 remaining bytes'],
      [[...head, 2, 1, 0xff, 0], 'Hello.meshId: invalid UTF-8'],
      [[...head, 2, 1, 0x61], 'Hello.nodeType length: truncated LEB128 u32'],
      [[...head, 2, 1, 0x61, 3, 0x62], 'Hello.nodeType: length 3 exceeds 1 remaining bytes'],
    ];
    for (const [payload, reason] of cases) expect(tracedReason(payload), reason).toBe(reason);
    expect(tracedReason([...head, 2, 1, 0x61, 1, 0x62])).toMatchObject({ ok: true, value: { flags: 1, message: { type: 'Hello', meshId: 'a', nodeType: 'b' } } });
  });
});

describe('error descriptions and frame descriptions', () => {
  it('every DecodeError kind has its one-line description', () => {
    expect(describeDecodeError({ kind: 'Empty' })).toBe('Empty');
    expect(describeDecodeError({ kind: 'BadLength' })).toBe('BadLength');
    expect(describeDecodeError({ kind: 'Truncated', declared: 9, available: 4 })).toBe('Truncated{declared=9,available=4}');
    expect(describeDecodeError({ kind: 'Oversize', declared: 70_000, max: 65_536 })).toBe('Oversize{declared=70000,max=65536}');
    expect(describeDecodeError({ kind: 'UnknownTag', tag: 0x0c })).toBe('UnknownTag{tag=0x0c}');
    expect(describeDecodeError({ kind: 'BadPayload', reason: 'x: y' })).toBe('BadPayload{x: y}');
    expect(describeDecodeError({ kind: 'TrailingBytes', extra: 3 })).toBe('TrailingBytes{extra=3}');
  });

  it('decodeAny describes IHave, Shuffle, ShuffleReply, field-only messages, Hello and Ping', () => {
    const control = (message: Parameters<typeof encodeEnvelope>[0]['message']): unknown => {
      const d = decodeAny(encodeEnvelope({ topic: TOPIC, message }));
      return d.ok && d.kind === 'control' ? d.message : d;
    };
    const A = '0a'.repeat(32), B = '0b'.repeat(32);
    expect(control({ type: 'IHave', entries: [{ id: A, round: 3 }, { id: B, round: 0 }] })).toEqual({ type: 'IHave', entries: [{ id: A, round: 3 }, { id: B, round: 0 }] });
    expect(control({ type: 'Shuffle', origin: A, ttl: 4, nodes: [B] })).toEqual({ type: 'Shuffle', origin: A, ttl: 4, nodes: [B] });
    expect(control({ type: 'ShuffleReply', nodes: [A, B] })).toEqual({ type: 'ShuffleReply', nodes: [A, B] });
    expect(control({ type: 'Disconnect', alive: true })).toEqual({ type: 'Disconnect', alive: true });
    expect(control({ type: 'Graft', id: null, round: 2 })).toEqual({ type: 'Graft', id: null, round: 2 });
    const traced = (message: Parameters<typeof encodeTraced>[0]['message']): unknown => {
      const d = decodeAny(encodeTraced({ traceId: new Uint8Array(16), spanId: new Uint8Array(8), flags: 0, message }));
      return d.ok && d.kind === 'traced' ? d.message : d;
    };
    expect(traced({ type: 'Hello', meshId: 'mesh-a', nodeType: 'gateway' })).toEqual({ type: 'Hello', meshId: 'mesh-a', nodeType: 'gateway' });
    expect(traced({ type: 'Ping', orgId: 12n })).toEqual({ type: 'Ping', orgId: '12' });
    const bad = decodeAny(Uint8Array.of(0x10, 0x01, 0x00));
    expect(bad).toEqual({ ok: false, error: { kind: 'BadPayload', reason: 'traceId: need 16 bytes, 1 left' }, description: 'BadPayload{traceId: need 16 bytes, 1 left}' });
  });
});

describe('recently read ids', () => {
  it('ids sharing their first three bytes each read back as their own hex, at any offset', () => {
    const first = 'abcdef' + '00'.repeat(29);
    const second = 'abcdef' + '11'.repeat(29);
    const third = 'abcdef' + '00'.repeat(28) + '01'; // differs in the last byte only
    for (const [offset, id] of [[0, first], [5, second], [0, third], [1, first], [0, second]] as const) {
      const bytes = new Uint8Array(offset + 32 + 3);
      bytes.set(Buffer.from(id, 'hex'), offset);
      const reader = new ByteReader(bytes);
      if (offset > 0) reader.fixed(offset, 'pad');
      expect(reader.id32('id')).toBe(id);
    }
  });
});

describe('frame decoder after an error', () => {
  it('stays poisoned: pushes are ignored and every next() is the same error', () => {
    const d = new FrameDecoder(FRAME_LIMIT_CONTROL);
    d.push(Uint8Array.of(0x12, 0x00));
    const first = d.next();
    expect(first).toEqual({ ok: false, error: { kind: 'UnknownTag', tag: 0x12 } });
    d.push(Uint8Array.of(0x01, 0x00));
    expect(d.bufferedBytes).toBe(2);
    expect(d.next()).toBe(first);
    expect(d.end()).toEqual({ kind: 'UnknownTag', tag: 0x12 });
  });

  it('frame kinds: 0x01–0x0F control, 0x10 traced, 0x11 echo, nothing else', () => {
    expect([0x00, 0x01, 0x0f, 0x10, 0x11, 0x12].map(frameKindOf)).toEqual([null, 'control', 'control', 'traced', 'echo', null]);
  });
});

describe('encoder limits and frame limits', () => {
  const A = '0a'.repeat(32);
  it('encoders refuse batches past the documented limits and numbers out of range', () => {
    const entries = Array.from({ length: IHAVE_ENTRIES_MAX + 1 }, () => ({ id: A, round: 0 }));
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'IHave', entries } })).toThrow(/IHave with/);
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'IHave', entries: entries.slice(1) } })).not.toThrow();
    const nodes = Array.from({ length: SHUFFLE_NODES_MAX + 1 }, () => A);
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'ShuffleReply', nodes } })).toThrow(/ShuffleReply with/);
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'Shuffle', origin: A, ttl: 1, nodes } })).toThrow(/Shuffle with/);
    expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'ShuffleReply', nodes: nodes.slice(1) } })).not.toThrow();
    for (const ttl of [2 ** 32, 1.5]) expect(() => encodeEnvelope({ topic: TOPIC, message: { type: 'ForwardJoin', peer: A, ttl } }), String(ttl)).toThrow();
    for (const orgId of [-1n, 2n ** 64n]) {
      expect(() => encodeTraced({ traceId: new Uint8Array(16), spanId: new Uint8Array(8), flags: 0, message: { type: 'Ping', orgId } }), String(orgId)).toThrow();
    }
    for (const flags of [256, -1, 0.5]) expect(() => encodeTraced({ traceId: new Uint8Array(16), spanId: new Uint8Array(8), flags, message: { type: 'Pong', orgId: 1n } })).toThrow();
  });

  it('frame limits must be integers in [0, 2^32-1]', () => {
    for (const limit of [-1, 1.5, 2 ** 32]) {
      expect(() => decodeFrame(Uint8Array.of(0x01, 0x00), limit), String(limit)).toThrow();
      expect(() => new FrameDecoder(limit), String(limit)).toThrow();
    }
    expect(decodeFrame(Uint8Array.of(0x11, 0x00), 0)).toEqual({ ok: true, value: { tag: 0x11, payload: new Uint8Array(0) } });
    expect(() => new FrameDecoder(2 ** 32 - 1)).not.toThrow();
  });

  it('readLeb128U32 reports bad and incomplete encodings by kind', () => {
    expect(readLeb128U32(Uint8Array.of(0x80, 0x00), 0)).toEqual({ kind: 'bad' });
    expect(readLeb128U32(Uint8Array.of(0x80), 0)).toEqual({ kind: 'incomplete' });
    expect(readLeb128U32(Uint8Array.of(9, 0xac, 0x02), 1)).toEqual({ kind: 'ok', value: 300, next: 3 });
  });
});
