/**
 * The binary framer (SPEC §4): `tag: u8`, `length: LEB128 u32`, then `length` payload bytes.
 *
 * Two readers share one header parser so they can never disagree: `decodeFrame` for exactly
 * one frame, and `FrameDecoder` for a byte stream arriving in arbitrary chunks. Errors are
 * values. A declared length above the reader's limit is rejected as soon as the length is
 * known, before any payload byte is awaited. This module knows tags, not payloads: it must
 * not interpret what a frame carries (see `codec.ts` and `traced.ts`).
 */
import { allocBytes, copyBytes } from './byte-slab.js';
import { SCAN_BAD, SCAN_INCOMPLETE, U32_MAX, leb128U32Bytes, scanLeb128U32, writeLeb128U32 } from './leb128.js';
import { type DecodeError, type Result, assertWire, err, ok } from './result.js';

/** Payload limit on uni streams (and gossip messages), bytes. SPEC §4. */
export const FRAME_LIMIT_UNI = 4096;
/** Payload limit on bi streams, bytes (64 KiB). SPEC §4. */
export const FRAME_LIMIT_BI = 65536;

export const TAG_RESERVED = 0x00;
export const TAG_CONTROL_MIN = 0x01;
export const TAG_CONTROL_MAX = 0x0f;
export const TAG_TRACED = 0x10;
export const TAG_ECHO = 0x11;

export type FrameKind = 'control' | 'traced' | 'echo';

export interface Frame {
  readonly tag: number;
  readonly payload: Uint8Array;
}

/** Which family a tag belongs to; null for 0x00 and everything above 0x11. */
export function frameKindOf(tag: number): FrameKind | null {
  if (tag >= TAG_CONTROL_MIN && tag <= TAG_CONTROL_MAX) return 'control';
  if (tag === TAG_TRACED) return 'traced';
  if (tag === TAG_ECHO) return 'echo';
  return null;
}

export function isKnownTag(tag: number): boolean {
  return frameKindOf(tag) !== null;
}

/** Encodes one frame. `limitBytes` (default: the bi limit) is asserted: oversize is our bug. */
export function encodeFrame(tag: number, payload: Uint8Array, limitBytes: number = FRAME_LIMIT_BI): Uint8Array {
  // Conditions first, messages only on failure: this runs once per frame sent.
  if (!isKnownTag(tag)) assertWire(false, `encodeFrame: unknown tag ${tag}`);
  if (payload.length > limitBytes) assertWire(false, `encodeFrame: payload ${payload.length} > limit ${limitBytes}`);
  // One (slab) allocation, one copy: the header is written in place, not built separately.
  const headerBytes = 1 + leb128U32Bytes(payload.length);
  const out = allocBytes(headerBytes + payload.length);
  out[0] = tag;
  writeLeb128U32(out, 1, payload.length);
  out.set(payload, headerBytes);
  return out;
}

const HEAD_FRAME = 0;
/** More bytes needed; `declared` is null while the length itself is incomplete. */
const HEAD_INCOMPLETE = 1;
const HEAD_ERROR = 2;

/**
 * `readHead`'s answer. One object serves every call (a frame header is parsed per frame
 * received, and each answer is read before the next parse), so parsing allocates nothing.
 */
const head = {
  tag: 0,
  payloadStart: 0,
  length: 0,
  declared: null as number | null,
  error: null as DecodeError | null,
};

function headIncomplete(declared: number | null, payloadStart: number): number {
  head.declared = declared;
  head.payloadStart = payloadStart;
  return HEAD_INCOMPLETE;
}

function headError(error: DecodeError): number {
  head.error = error;
  return HEAD_ERROR;
}

/**
 * Parses the frame starting at `offset` within `bytes[0, end)` into `head`; returns HEAD_FRAME,
 * HEAD_INCOMPLETE or HEAD_ERROR.
 * Judges only bytes that are present, so a verdict of error on a prefix holds for every
 * extension of it (chunking cannot change results). `end` lets the streaming decoder parse its
 * buffer without making a view.
 */
function readHead(bytes: Uint8Array, offset: number, end: number, limit: number): number {
  if (offset >= end) return headIncomplete(null, offset);
  const tag = bytes[offset];
  if (!isKnownTag(tag)) return headError({ kind: 'UnknownTag', tag });
  const length = scanLeb128U32(bytes, offset + 1, end);
  if (length === SCAN_BAD) return headError({ kind: 'BadLength' });
  if (length === SCAN_INCOMPLETE) return headIncomplete(null, offset + 1);
  if (length > limit) return headError({ kind: 'Oversize', declared: length, max: limit });
  const payloadStart = offset + 1 + leb128U32Bytes(length);
  if (end - payloadStart < length) return headIncomplete(length, payloadStart);
  head.tag = tag;
  head.payloadStart = payloadStart;
  head.length = length;
  return HEAD_FRAME;
}

function assertLimit(limit: number): void {
  assertWire(Number.isInteger(limit) && limit >= 0 && limit <= U32_MAX, `bad frame limit ${limit}`);
}

/** The error a stream that ends inside a frame deserves (shared by both readers; `head` is incomplete). */
function incompleteError(total: number): DecodeError {
  if (head.declared === null) return { kind: 'BadLength' };
  return { kind: 'Truncated', declared: head.declared, available: total - head.payloadStart };
}

/** Decodes exactly one frame; anything after it is `TrailingBytes`. */
export function decodeFrame(bytes: Uint8Array, limit: number): Result<Frame> {
  assertLimit(limit);
  if (bytes.length === 0) return err({ kind: 'Empty' });
  const kind = readHead(bytes, 0, bytes.length, limit);
  if (kind === HEAD_ERROR) return err(head.error!);
  if (kind === HEAD_INCOMPLETE) return err(incompleteError(bytes.length));
  const end = head.payloadStart + head.length;
  if (end < bytes.length) return err({ kind: 'TrailingBytes', extra: bytes.length - end });
  return ok({ tag: head.tag, payload: bytes.slice(head.payloadStart, end) });
}

/** The buffer of a decoder that holds nothing (shared: nothing is ever written into it). */
const NO_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Incremental decoder for one stream. `push` bytes as they arrive, then call `next` until it
 * returns null (need more bytes). After an error the stream is poisoned: framing is lost, so
 * every later `next` returns the same error. Buffered bytes are bounded by what the caller
 * pushes without draining; a frame itself never needs more than `limit` + 6 bytes.
 *
 * A chunk pushed while nothing is buffered is read in place, not copied: nearly every chunk
 * holds whole frames, so most decoders never own a buffer (a 256-byte one per stream was an
 * off-heap allocation for each of the hundreds of thousands of streams a large boot opens).
 * The decoder stops reading the caller's chunk by the time `next` returns null (it copies an
 * incomplete tail) or `push` is called again, so the caller may reuse it from then on.
 *
 * `pushOwned` is for chunks nobody will write to again (the simulated network's, whose bytes a
 * sender handed over for good): frames wholly inside such a chunk come out as views of it,
 * without the copy `push` must make. Copies are new array buffers, which V8 counts as external
 * memory, and in an all-nodes burst it is that memory's growth that starts the collector's
 * marking cycles (docs/performance.md, round 29).
 */
export class FrameDecoder {
  private buffer: Uint8Array = NO_BYTES;
  /** `buffer` is the caller's chunk, read in place: never written, copied before it is kept. */
  private borrowed = false;
  /** The borrowed chunk came by `pushOwned`: frames may be views of it. */
  private owned = false;
  private readPos = 0;
  private writePos = 0;
  private failed: Result<Frame> | null = null;

  constructor(private readonly limit: number) {
    assertLimit(limit);
  }

  get bufferedBytes(): number {
    return this.writePos - this.readPos;
  }

  push(chunk: Uint8Array): void {
    this.pushChunk(chunk, false);
  }

  /**
   * Like `push`, for a chunk the caller will never write to again (nor anyone else): frames
   * wholly inside it are views of it rather than copies.
   */
  pushOwned(chunk: Uint8Array): void {
    this.pushChunk(chunk, true);
  }

  private pushChunk(chunk: Uint8Array, owned: boolean): void {
    if (this.failed !== null || chunk.length === 0) return;
    if (this.readPos === this.writePos) {
      this.buffer = chunk;
      this.borrowed = true;
      this.owned = owned;
      this.readPos = 0;
      this.writePos = chunk.length;
      return;
    }
    this.reserve(chunk.length);
    this.buffer.set(chunk, this.writePos);
    this.writePos += chunk.length;
  }

  next(): Result<Frame> | null {
    if (this.failed !== null) return this.failed;
    const kind = readHead(this.buffer, this.readPos, this.writePos, this.limit);
    if (kind === HEAD_INCOMPLETE) {
      if (this.borrowed) this.letGoOfChunk();
      return null;
    }
    if (kind === HEAD_ERROR) {
      this.failed = err(head.error!); // nothing is read after this: a borrowed chunk is not kept
      return this.failed;
    }
    const end = head.payloadStart + head.length;
    // A copy, not a view, unless the chunk is owned: our buffer is compacted and overwritten by
    // later pushes, and a chunk given by `push` may be reused by its caller.
    const payload = this.borrowed && this.owned ? this.buffer.subarray(head.payloadStart, end) : copyBytes(this.buffer, head.payloadStart, end);
    const frame: Frame = { tag: head.tag, payload };
    this.readPos = end;
    assertWire(this.readPos <= this.writePos, 'FrameDecoder read past written bytes');
    return ok(frame);
  }

  /**
   * Call when the stream has ended: null if it ended on a frame boundary, otherwise the error
   * (`Truncated`, or `BadLength` inside the length field; the poisoning error if any).
   */
  end(): DecodeError | null {
    if (this.failed !== null) return this.failed.ok ? null : this.failed.error;
    if (this.bufferedBytes === 0) return null;
    const kind = readHead(this.buffer, this.readPos, this.writePos, this.limit);
    assertWire(kind === HEAD_INCOMPLETE, 'FrameDecoder.end called before draining next()');
    return incompleteError(this.writePos);
  }

  /** Stops reading the caller's chunk: its unread tail (an incomplete frame) is copied out. */
  private letGoOfChunk(): void {
    if (this.readPos < this.writePos) {
      this.reserve(0);
      return;
    }
    this.buffer = NO_BYTES;
    this.borrowed = false;
    this.readPos = this.writePos = 0;
  }

  /**
   * Makes room for `extra` more bytes in a buffer of our own: compacts consumed bytes away
   * first, grows only if needed; a borrowed chunk's unread bytes are copied out.
   */
  private reserve(extra: number): void {
    if (!this.borrowed && this.writePos + extra <= this.buffer.length) return;
    const live = this.writePos - this.readPos;
    let size = Math.max(this.borrowed ? 0 : this.buffer.length, 256);
    while (size < live + extra) size *= 2;
    if (size === this.buffer.length && !this.borrowed) {
      this.buffer.copyWithin(0, this.readPos, this.writePos);
    } else {
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(this.readPos, this.writePos));
      this.buffer = grown;
      this.borrowed = false;
    }
    this.readPos = 0;
    this.writePos = live;
  }
}
