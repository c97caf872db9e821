/**
 * Traced frames (tag 0x10) and bi-stream echo frames (tag 0x11), SPEC §4.
 *
 * A traced frame carries a W3C-style trace context (16-byte trace id, 8-byte span id, flags)
 * and one small substrate message: Ping, Pong or Hello. The receiver continues the trace with
 * the carried context as parent. This module only encodes and decodes; it must not create
 * spans or touch OpenTelemetry (protocol code stays pure).
 */
import { ByteReader, ByteWriter } from './leb128.js';
import { type Frame, FRAME_LIMIT_BI, TAG_ECHO, TAG_TRACED, encodeFrame } from './framer.js';
import { type Result, assertWire, badPayload, err, ok } from './result.js';

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

export type TracedMessage =
  | { readonly type: 'Ping'; readonly orgId: bigint }
  | { readonly type: 'Pong'; readonly orgId: bigint }
  | { readonly type: 'Hello'; readonly meshId: string; readonly nodeType: string };

export interface Traced {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  /** W3C trace flags (bit 0 = sampled); any byte value is carried as is. */
  readonly flags: number;
  readonly message: TracedMessage;
}

/** Variant indices of the inner message (SPEC §4). */
export const TRACED_VARIANT = { Ping: 0, Pong: 1, Hello: 2 } as const satisfies Record<TracedMessage['type'], number>;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** With the `u` flag, `\p{Cs}` matches only unpaired surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

function writeString(writer: ByteWriter, value: string): void {
  // A lone surrogate would be silently replaced by U+FFFD: refuse to send what we cannot roundtrip.
  assertWire(!LONE_SURROGATE.test(value), 'traced string is not well-formed UTF-16');
  const bytes = utf8Encoder.encode(value);
  writer.u32(bytes.length);
  writer.bytes(bytes);
}

function readString(reader: ByteReader, what: string): string {
  const length = reader.u32(`${what} length`);
  if (reader.failure !== null) return '';
  if (length > reader.remaining) {
    reader.fail(`${what}: length ${length} exceeds ${reader.remaining} remaining bytes`);
    return '';
  }
  const bytes = reader.fixed(length, what);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    // TextDecoder signals invalid UTF-8 only by throwing; turn it into a value here.
    reader.fail(`${what}: invalid UTF-8`);
    return '';
  }
}

export function encodeTracedPayload(traced: Traced): Uint8Array {
  assertWire(traced.traceId.length === TRACE_ID_BYTES, 'traceId must be 16 bytes');
  assertWire(traced.spanId.length === SPAN_ID_BYTES, 'spanId must be 8 bytes');
  const writer = new ByteWriter();
  writer.bytes(traced.traceId);
  writer.bytes(traced.spanId);
  writer.u8(traced.flags);
  const message = traced.message;
  writer.u32(TRACED_VARIANT[message.type]);
  switch (message.type) {
    case 'Ping':
    case 'Pong':
      writer.u64(message.orgId);
      break;
    case 'Hello':
      writeString(writer, message.meshId);
      writeString(writer, message.nodeType);
      break;
  }
  return writer.finish();
}

/** A whole frame with tag 0x10. */
export function encodeTraced(traced: Traced): Uint8Array {
  return encodeFrame(TAG_TRACED, encodeTracedPayload(traced), FRAME_LIMIT_BI);
}

function readMessage(reader: ByteReader): TracedMessage | null {
  const variant = reader.u32('variant');
  if (reader.failure !== null) return null;
  switch (variant) {
    case TRACED_VARIANT.Ping: return { type: 'Ping', orgId: reader.u64('Ping.orgId') };
    case TRACED_VARIANT.Pong: return { type: 'Pong', orgId: reader.u64('Pong.orgId') };
    case TRACED_VARIANT.Hello: {
      const meshId = readString(reader, 'Hello.meshId');
      const nodeType = readString(reader, 'Hello.nodeType');
      return { type: 'Hello', meshId, nodeType };
    }
    default:
      reader.fail(`unknown traced variant ${variant}`);
      return null;
  }
}

export function decodeTracedPayload(payload: Uint8Array): Result<Traced> {
  const reader = new ByteReader(payload);
  const traceId = reader.fixed(TRACE_ID_BYTES, 'traceId');
  const spanId = reader.fixed(SPAN_ID_BYTES, 'spanId');
  const flags = reader.u8('flags');
  const message = readMessage(reader);
  reader.end('traced');
  if (reader.failure !== null || message === null) return badPayload(reader.failure ?? 'traced: no message');
  return ok({ traceId, spanId, flags, message });
}

/** Decodes a frame already split by the framer; any tag but 0x10 is `UnknownTag`. */
export function decodeTraced(frame: Frame): Result<Traced> {
  if (frame.tag !== TAG_TRACED) return err({ kind: 'UnknownTag', tag: frame.tag });
  return decodeTracedPayload(frame.payload);
}

/** A bi-stream echo frame (tag 0x11): the payload is opaque and sent back unchanged. */
export function encodeEcho(payload: Uint8Array): Uint8Array {
  return encodeFrame(TAG_ECHO, payload, FRAME_LIMIT_BI);
}
