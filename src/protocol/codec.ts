/**
 * The control-plane codec: a `TopicEnvelope` (one HyParView or Plumtree message for one topic)
 * to and from a frame with tag 0x01–0x0F (SPEC §4; byte layouts in docs/wire.md).
 *
 * Every payload starts with the 32-byte topic id, then the message fields. Ids travel as 32 raw
 * bytes and come back as 64 lowercase hex characters. Decoding validates every field and
 * returns error values; encoding asserts, because an invalid message from our own state
 * machines is a bug. This module must not know about streams, spans or protocol state.
 */
import { ByteReader, ByteWriter, bytesToHex } from './leb128.js';
import { type Frame, FRAME_LIMIT_BI, decodeFrame, encodeFrame, frameKindOf } from './framer.js';
import { MESSAGE_TAG, type TopicEnvelope, type TopicMessage } from './messages.js';
import { type DecodeError, type Result, assertWire, badPayload, describeDecodeError, err, ok } from './result.js';
import { type TracedMessage, decodeTracedPayload } from './traced.js';

/** Largest Gossip content, bytes (SPEC §2.2 "max gossip message size"). */
export const GOSSIP_CONTENT_MAX_BYTES = 4096;
/** Gossip payload besides its content: topic 32 + id 32 + round ≤ 5 + content length 2. */
export const GOSSIP_OVERHEAD_MAX_BYTES = 32 + 32 + 5 + 2;
/**
 * Payload limit for a reader of control frames: a Gossip with the largest content must fit,
 * which is a little above FRAME_LIMIT_UNI. Encoders assert every control frame stays within it.
 */
export const FRAME_LIMIT_CONTROL = GOSSIP_CONTENT_MAX_BYTES + GOSSIP_OVERHEAD_MAX_BYTES;
/** Most IHave entries one frame can carry at the worst-case size of 37 bytes each. */
export const IHAVE_ENTRIES_MAX = Math.floor((FRAME_LIMIT_CONTROL - 32 - 5) / 37);
/** Most node ids one Shuffle (or ShuffleReply) frame can carry. */
export const SHUFFLE_NODES_MAX = Math.floor((FRAME_LIMIT_CONTROL - 32 - 32 - 5 - 5) / 32);

const TYPE_BY_TAG = new Map<number, TopicMessage['type']>(
  (Object.keys(MESSAGE_TAG) as TopicMessage['type'][]).sort().map((type) => [MESSAGE_TAG[type], type]),
);

function writeIdList(writer: ByteWriter, ids: readonly string[]): void {
  writer.u32(ids.length);
  for (const id of ids) writer.id32(id);
}

function writeMessage(writer: ByteWriter, message: TopicMessage): void {
  switch (message.type) {
    case 'Join': case 'Prune': return;
    case 'ForwardJoin': writer.id32(message.peer); writer.u32(message.ttl); return;
    case 'Neighbor': writer.u8(message.priority === 'high' ? 1 : 0); return;
    case 'NeighborReply': writer.u8(message.accepted ? 1 : 0); return;
    case 'Disconnect': writer.u8(message.alive ? 1 : 0); return;
    case 'Shuffle': writer.id32(message.origin); writer.u32(message.ttl); writeIdList(writer, message.nodes); return;
    case 'ShuffleReply': writeIdList(writer, message.nodes); return;
    case 'Gossip':
      if (message.content.length > GOSSIP_CONTENT_MAX_BYTES) {
        assertWire(false, `Gossip content ${message.content.length} > ${GOSSIP_CONTENT_MAX_BYTES}`);
      }
      writer.id32(message.id); writer.u32(message.round); writer.u32(message.content.length); writer.bytes(message.content);
      return;
    case 'IHave':
      writer.u32(message.entries.length);
      for (const entry of message.entries) { writer.id32(entry.id); writer.u32(entry.round); }
      return;
    case 'Graft':
      writer.u8(message.id === null ? 0 : 1);
      if (message.id !== null) writer.id32(message.id);
      writer.u32(message.round);
      return;
  }
}

/**
 * Scratch space for payloads: encoding is synchronous and the frame is copied out before
 * returning, so one writer serves every call (no buffer allocated per frame). It grows to
 * the largest payload seen, at most FRAME_LIMIT_CONTROL plus one item.
 */
const scratch = new ByteWriter(1024);

/** The whole frame for one envelope. Invalid ids are caught by `id32` as they are written. */
export function encodeEnvelope(envelope: TopicEnvelope): Uint8Array {
  scratch.reset();
  scratch.id32(envelope.topic);
  writeMessage(scratch, envelope.message);
  const payload = scratch.finish();
  if (payload.length > FRAME_LIMIT_CONTROL) {
    assertWire(false, `${envelope.message.type} payload ${payload.length} > ${FRAME_LIMIT_CONTROL}`);
  }
  return encodeFrame(MESSAGE_TAG[envelope.message.type], payload, FRAME_LIMIT_BI);
}

/** A count that claims more items than the bytes left could hold is rejected up front. */
function readCount(reader: ByteReader, minItemBytes: number, what: string): number {
  const count = reader.u32(() => `${what} count`);
  if (reader.failure === null && count * minItemBytes > reader.remaining) {
    reader.fail(`${what}: count ${count} exceeds remaining ${reader.remaining} bytes`);
    return 0;
  }
  return count;
}

function readIdList(reader: ByteReader, what: string): string[] {
  const count = readCount(reader, 32, what);
  const ids: string[] = [];
  for (let i = 0; i < count && reader.failure === null; i++) ids.push(reader.id32(() => `${what}[${i}]`));
  return ids;
}

function readMessage(reader: ByteReader, type: TopicMessage['type']): TopicMessage {
  switch (type) {
    case 'Join': return { type };
    case 'Prune': return { type };
    case 'ForwardJoin': return { type, peer: reader.id32('peer'), ttl: reader.u32('ttl') };
    case 'Neighbor': return { type, priority: reader.bool('priority') ? 'high' : 'low' };
    case 'NeighborReply': return { type, accepted: reader.bool('accepted') };
    case 'Disconnect': return { type, alive: reader.bool('alive') };
    case 'Shuffle': return { type, origin: reader.id32('origin'), ttl: reader.u32('ttl'), nodes: readIdList(reader, 'nodes') };
    case 'ShuffleReply': return { type, nodes: readIdList(reader, 'nodes') };
    case 'Gossip': {
      const id = reader.id32('id');
      const round = reader.u32('round');
      const length = reader.u32('content length');
      if (reader.failure === null && length > GOSSIP_CONTENT_MAX_BYTES) {
        reader.fail(`content length ${length} > ${GOSSIP_CONTENT_MAX_BYTES}`);
      }
      return { type, id, round, content: reader.failure === null ? reader.fixed(length, 'content') : new Uint8Array(0) };
    }
    case 'IHave': {
      const count = readCount(reader, 33, 'entries');
      const entries: { id: string; round: number }[] = [];
      for (let i = 0; i < count && reader.failure === null; i++) {
        entries.push({ id: reader.id32(() => `entries[${i}].id`), round: reader.u32(() => `entries[${i}].round`) });
      }
      return { type, entries };
    }
    case 'Graft': {
      const id = reader.bool('has id') ? reader.id32('id') : null;
      return { type, id, round: reader.u32('round') };
    }
  }
}

/** Decodes a frame already split by the framer; a tag with no control message is `UnknownTag`. */
export function decodeEnvelope(frame: Frame): Result<TopicEnvelope> {
  const type = TYPE_BY_TAG.get(frame.tag);
  if (type === undefined) return err({ kind: 'UnknownTag', tag: frame.tag });
  const reader = new ByteReader(frame.payload);
  const topic = reader.id32('topic');
  const message = readMessage(reader, type);
  reader.end(type);
  if (reader.failure !== null) return badPayload(`${type}: ${reader.failure}`);
  return ok({ topic, message });
}

// ---- decodeAny: a JSON-friendly view of any frame, for `meshsim frame decode <hex>` ----

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

export type FrameDescription =
  | { readonly ok: true; readonly tag: string; readonly kind: 'control'; readonly payloadBytes: number; readonly topic: string; readonly message: Json }
  | { readonly ok: true; readonly tag: string; readonly kind: 'traced'; readonly payloadBytes: number; readonly traceId: string; readonly spanId: string; readonly flags: number; readonly message: Json }
  | { readonly ok: true; readonly tag: string; readonly kind: 'echo'; readonly payloadBytes: number; readonly payloadHex: string }
  | { readonly ok: false; readonly error: DecodeError; readonly description: string };

function messageJson(message: TopicMessage): Json {
  switch (message.type) {
    case 'Gossip': return { type: message.type, id: message.id, round: message.round, contentHex: bytesToHex(message.content) };
    case 'IHave': return { type: message.type, entries: message.entries.map((e) => ({ id: e.id, round: e.round })) };
    case 'Shuffle': return { type: message.type, origin: message.origin, ttl: message.ttl, nodes: [...message.nodes] };
    case 'ShuffleReply': return { type: message.type, nodes: [...message.nodes] };
    default: return { ...message };
  }
}

function tracedJson(message: TracedMessage): Json {
  // bigint is not JSON: orgId is printed in decimal.
  if (message.type === 'Hello') return { type: message.type, meshId: message.meshId, nodeType: message.nodeType };
  return { type: message.type, orgId: message.orgId.toString() };
}

function failure(error: DecodeError): FrameDescription {
  return { ok: false, error, description: describeDecodeError(error) };
}

/** Decodes exactly one frame of any kind; never throws. `limit` defaults to the bi limit. */
export function decodeAny(bytes: Uint8Array, limit: number = FRAME_LIMIT_BI): FrameDescription {
  const framed = decodeFrame(bytes, limit);
  if (!framed.ok) return failure(framed.error);
  const frame = framed.value;
  const tag = `0x${frame.tag.toString(16).padStart(2, '0')}`;
  const payloadBytes = frame.payload.length;
  const kind = frameKindOf(frame.tag);
  if (kind === 'echo') return { ok: true, tag, kind, payloadBytes, payloadHex: bytesToHex(frame.payload) };
  if (kind === 'traced') {
    const traced = decodeTracedPayload(frame.payload);
    if (!traced.ok) return failure(traced.error);
    const { traceId, spanId, flags, message } = traced.value;
    return { ok: true, tag, kind, payloadBytes, traceId: bytesToHex(traceId), spanId: bytesToHex(spanId), flags, message: tracedJson(message) };
  }
  const envelope = decodeEnvelope(frame);
  if (!envelope.ok) return failure(envelope.error);
  return { ok: true, tag, kind: 'control', payloadBytes, topic: envelope.value.topic, message: messageJson(envelope.value.message) };
}
