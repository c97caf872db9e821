/**
 * The control-plane codec: a `TopicEnvelope` (one HyParView or Plumtree message for one topic)
 * to and from a frame with tag 0x01–0x0F (SPEC §4; byte layouts in docs/wire.md).
 *
 * Every payload starts with the 32-byte topic id, then the message fields. Ids travel as 32 raw
 * bytes and come back as 64 lowercase hex characters. Decoding validates every field and
 * returns error values; encoding asserts, because an invalid message from our own state
 * machines is a bug. This module must not know about streams, spans or protocol state.
 */
import { allocBytes } from './byte-slab.js';
import { ByteReader, ByteWriter, type Label, bytesToHex, leb128U32Bytes, writeLeb128U32 } from './leb128.js';
import { type Frame, FRAME_LIMIT_BI, decodeFrame, frameKindOf } from './framer.js';
import { type Gossip, MESSAGE_TAG, type TopicEnvelope, type TopicId, type TopicMessage } from './messages.js';
import { type DecodeError, type Result, assertWire, badPayload, describeDecodeError, err, ok } from './result.js';
import { type TracedMessage, decodeTracedPayload } from './traced.js';
import { verifiedContentOf } from './message-id.js';

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

/** Payload bytes `writeMessage` writes for `message` (after the topic id). */
function messageBytes(message: TopicMessage): number {
  switch (message.type) {
    case 'Join': case 'Prune': return 0;
    case 'ForwardJoin': return 32 + leb128U32Bytes(message.ttl);
    case 'Neighbor': case 'NeighborReply': case 'Disconnect': return 1;
    case 'Shuffle': return 32 + leb128U32Bytes(message.ttl) + idListBytes(message.nodes);
    case 'ShuffleReply': return idListBytes(message.nodes);
    case 'Gossip': return 32 + leb128U32Bytes(message.round) + leb128U32Bytes(message.content.length) + message.content.length;
    case 'IHave': {
      let bytes = leb128U32Bytes(message.entries.length);
      for (const entry of message.entries) bytes += 32 + leb128U32Bytes(entry.round);
      return bytes;
    }
    case 'Graft': return 1 + (message.id === null ? 0 : 32) + leb128U32Bytes(message.round);
  }
}

function idListBytes(ids: readonly string[]): number {
  return leb128U32Bytes(ids.length) + 32 * ids.length;
}

/**
 * Writes straight into each frame: the size is computed first, so the frame is allocated once
 * (slab memory) and the payload is never copied from a scratch buffer.
 */
const frameWriter = new ByteWriter(1);

/**
 * The whole frame for one envelope. Invalid ids are caught by `id32` as they are written.
 * `alloc` gives the frame's bytes (zero-filled): slab memory by default; a sender whose
 * transport lends chunk memory passes its own (the mesh node: sim/network/chunk-pool.ts).
 */
export function encodeEnvelope(envelope: TopicEnvelope, alloc: (length: number) => Uint8Array = allocBytes): Uint8Array {
  const message = envelope.message;
  // The batch limits docs/wire.md states, whatever the payload size (short rounds would let a few more fit).
  if (message.type === 'IHave' && message.entries.length > IHAVE_ENTRIES_MAX) assertWire(false, `IHave with ${message.entries.length} entries > ${IHAVE_ENTRIES_MAX}`);
  if ((message.type === 'Shuffle' || message.type === 'ShuffleReply') && message.nodes.length > SHUFFLE_NODES_MAX) {
    assertWire(false, `${message.type} with ${message.nodes.length} ids > ${SHUFFLE_NODES_MAX}`);
  }
  const payloadBytes = 32 + messageBytes(message);
  if (payloadBytes > FRAME_LIMIT_CONTROL) {
    if (message.type === 'Gossip' && message.content.length > GOSSIP_CONTENT_MAX_BYTES) {
      assertWire(false, `Gossip content ${message.content.length} > ${GOSSIP_CONTENT_MAX_BYTES}`);
    }
    assertWire(false, `${message.type} payload ${payloadBytes} > ${FRAME_LIMIT_CONTROL}`);
  }
  // The frame header (SPEC §4) in place: the tag, then the payload length as LEB128.
  const headerBytes = 1 + leb128U32Bytes(payloadBytes);
  const frame = alloc(headerBytes + payloadBytes);
  frame[0] = MESSAGE_TAG[message.type];
  writeLeb128U32(frame, 1, payloadBytes);
  frameWriter.writeInto(frame, headerBytes);
  frameWriter.id32(envelope.topic);
  writeMessage(frameWriter, message);
  // Paired with messageBytes: a size disagreement is a codec bug.
  if (frameWriter.offset !== frame.length) assertWire(false, `${message.type}: wrote ${frameWriter.offset} of ${frame.length} bytes`);
  return frame;
}

/** The Gossip last encoded by `sharedEnvelopeFrame`, the topic it was encoded for, and its frame. */
let lastGossip: Gossip | null = null;
let lastTopic: TopicId = '';
let lastFrame: Uint8Array = new Uint8Array(0);

/**
 * Frames of the Gossip objects sent so far, by object, for as long as the object lives: every
 * node that forwards a message at the same round sends the same Gossip object (message-id.ts,
 * `sharedGossipOf`), so this gives them all one frame. Each frame has a buffer of its own: kept
 * as long as its Gossip, a view would pin a whole slab.
 */
const framesByGossip = new WeakMap<Gossip, { readonly topic: TopicId; readonly frame: Uint8Array }>();

/**
 * `encodeEnvelope`, except that the same Gossip object sent again on the same topic gets the
 * same frame. A node's eager push sends one Gossip object to each of its eager peers in turn,
 * and the nodes forwarding a message at the same round share that object. With a frame per send,
 * an all-nodes burst held a frame per (sender, receiver, message) in flight, and with one per
 * sender still one per (sender, message): at the peak of a burst most array-buffer memory was
 * frames in flight (docs/performance.md, rounds 19 and 20). Now a message has a frame per round.
 * The last Gossip is checked first (a node's sends of one message come one after another);
 * other Gossips are looked up by object. A Prune, which has no body, has one frame per topic;
 * other messages are encoded anew, into `alloc`'s bytes (a frame sent once).
 * The caller and everyone after it must never write into the frame (the transport and the
 * decoders only read chunks). The bytes are those `encodeEnvelope` would give.
 */
export function sharedEnvelopeFrame(envelope: TopicEnvelope, alloc: (length: number) => Uint8Array = allocBytes): Uint8Array {
  const message = envelope.message;
  if (message.type === 'Prune') return pruneFrameOf(envelope);
  if (message.type !== 'Gossip') return encodeEnvelope(envelope, alloc);
  if (message === lastGossip && envelope.topic === lastTopic) return lastFrame;
  const known = framesByGossip.get(message);
  let frame: Uint8Array;
  if (known !== undefined && known.topic === envelope.topic) {
    frame = known.frame;
  } else {
    frame = encodeEnvelope(envelope).slice();
    framesByGossip.set(message, { topic: envelope.topic, frame });
  }
  lastFrame = frame;
  lastGossip = message;
  lastTopic = envelope.topic;
  return frame;
}

/** Prune frames by topic (a Prune has no body: its frame is the same for every send on a topic). */
const pruneFrames = new Map<TopicId, Uint8Array>();
/** Topics remembered at most; past it the table starts again (a run has a few). */
const PRUNE_TOPICS_MAX = 1024;

/**
 * The one Prune frame of `envelope`'s topic, in a buffer of its own. A node prunes on every
 * duplicate Gossip, about once per (node, message) in an all-nodes burst: a fresh frame for each
 * was a typed array and slab bytes per Prune in flight.
 */
function pruneFrameOf(envelope: TopicEnvelope): Uint8Array {
  let frame = pruneFrames.get(envelope.topic);
  if (frame === undefined) {
    if (pruneFrames.size >= PRUNE_TOPICS_MAX) pruneFrames.clear();
    frame = encodeEnvelope(envelope).slice();
    pruneFrames.set(envelope.topic, frame);
  }
  return frame;
}

/** A count that claims more items than the bytes left could hold is rejected up front. */
function readCount(reader: ByteReader, minItemBytes: number, what: string, countLabel: string): number {
  const count = reader.u32(countLabel);
  if (reader.failure === null && count * minItemBytes > reader.remaining) {
    reader.fail(`${what}: count ${count} exceeds remaining ${reader.remaining} bytes`);
    return 0;
  }
  return count;
}

function readIdList(reader: ByteReader, what: string): string[] {
  const count = readCount(reader, 32, what, `${what} count`);
  const ids: string[] = [];
  for (let i = 0; i < count && reader.failure === null; i++) ids.push(reader.id32(() => `${what}[${i}]`));
  return ids;
}

/**
 * IHave entry labels without a closure per entry (the most common frame): the labels read the
 * index of the entry being decoded, and a label is only called while that entry is read.
 */
let entryIndex = 0;
const ENTRY_ID_LABEL: Label = () => `entries[${entryIndex}].id`;
const ENTRY_ROUND_LABEL: Label = () => `entries[${entryIndex}].round`;

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
      // The memo's bytes when the content is theirs (compared here; the id is checked later, by
      // Plumtree), so a message received again is not copied again.
      if (reader.failure !== null) return { type, id, round, content: new Uint8Array(0) };
      return { type, id, round, content: reader.fixedOr(verifiedContentOf(id), length, 'content') };
    }
    case 'IHave': {
      const count = readCount(reader, 33, 'entries', 'entries count');
      const entries: { id: string; round: number }[] = [];
      for (entryIndex = 0; entryIndex < count && reader.failure === null; entryIndex++) {
        entries.push({ id: reader.id32(ENTRY_ID_LABEL), round: reader.u32(ENTRY_ROUND_LABEL) });
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
  reader.end(); // unlabelled: the line below puts the message's name in front of every reason
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
