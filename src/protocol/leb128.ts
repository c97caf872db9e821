/**
 * Unsigned LEB128 integers and the byte cursor the payload codecs are built on.
 *
 * Reading is strict (SPEC §4): minimal encodings only, at most 5 bytes / 2^32−1 for u32 and
 * 10 bytes / 2^64−1 for u64. Readers report a short buffer (`incomplete`) separately from a
 * malformed one (`bad`), and a prefix judged `bad` stays `bad` however many bytes follow —
 * the streaming framer relies on that. Nothing here throws on input; only encoders assert.
 */
import { Buffer } from 'node:buffer';
import { copyBytes } from './byte-slab.js';
import { idBytesOf, knownHexId, rememberHexId, rememberIdBytes } from './hex-ids.js';
import { assertWire } from './result.js';

export const U32_MAX = 0xffff_ffff;
export const U64_MAX = (1n << 64n) - 1n;
export const LEB128_U32_BYTES_MAX = 5;
export const LEB128_U64_BYTES_MAX = 10;

export type LebRead<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly next: number }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'bad' };

const INCOMPLETE = { kind: 'incomplete' } as const;
const BAD = { kind: 'bad' } as const;

/** `scanLeb128U32` results that are not values (values are ≥ 0). */
export const SCAN_INCOMPLETE = -1;
export const SCAN_BAD = -2;

/**
 * The u32 at `offset` (reading no further than `end`), or SCAN_INCOMPLETE / SCAN_BAD. The
 * allocation-free core of every u32 reader.
 * Only minimal encodings are accepted, so the encoding's length is `leb128U32Bytes(value)`.
 * The 5th byte may carry only 4 value bits (≤ 0x0F), no continuation.
 */
export function scanLeb128U32(bytes: Uint8Array, offset: number, end: number = bytes.length): number {
  let value = 0;
  for (let i = 0; i < LEB128_U32_BYTES_MAX; i++) {
    const at = offset + i;
    if (at >= end) return SCAN_INCOMPLETE;
    const byte = bytes[at];
    if (i === LEB128_U32_BYTES_MAX - 1 && byte > 0x0f) return SCAN_BAD;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      // A zero final byte after a continuation byte adds nothing: a non-minimal encoding.
      if (i > 0 && byte === 0) return SCAN_BAD;
      return value;
    }
  }
  return SCAN_BAD; // unreachable: the 5th byte either ended the number or was rejected above
}

/** Reads a u32 at `offset` (see `scanLeb128U32`). */
export function readLeb128U32(bytes: Uint8Array, offset: number): LebRead<number> {
  const value = scanLeb128U32(bytes, offset);
  if (value === SCAN_INCOMPLETE) return INCOMPLETE;
  if (value === SCAN_BAD) return BAD;
  return { kind: 'ok', value, next: offset + leb128U32Bytes(value) };
}

/** Reads a u64 at `offset` as a bigint. The 10th byte may carry only 1 value bit. */
export function readLeb128U64(bytes: Uint8Array, offset: number): LebRead<bigint> {
  let value = 0n;
  for (let i = 0; i < LEB128_U64_BYTES_MAX; i++) {
    const at = offset + i;
    if (at >= bytes.length) return INCOMPLETE;
    const byte = bytes[at];
    if (i === LEB128_U64_BYTES_MAX - 1 && byte > 0x01) return BAD;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) return BAD;
      return { kind: 'ok', value, next: at + 1 };
    }
  }
  return BAD;
}

export function encodeLeb128U32(value: number): Uint8Array {
  assertWire(Number.isInteger(value) && value >= 0 && value <= U32_MAX, `u32 out of range: ${value}`);
  const out = new Uint8Array(leb128U32Bytes(value));
  writeLeb128U32(out, 0, value);
  assertWire(out.length <= LEB128_U32_BYTES_MAX, 'u32 LEB128 longer than 5 bytes');
  return out;
}

export function encodeLeb128U64(value: bigint): Uint8Array {
  assertWire(value >= 0n && value <= U64_MAX, `u64 out of range: ${value}`);
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return Uint8Array.from(out);
}

/** Value of each ASCII code as a lowercase hex digit, -1 for anything else. */
const HEX_DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) HEX_DIGIT_VALUE['0123456789abcdef'.charCodeAt(d)] = d;

function hexDigitValue(code: number): number {
  return code < 128 ? HEX_DIGIT_VALUE[code] : -1;
}

/** Lowercase hex of `bytes` (Buffer's native encoder: much cheaper than joining per byte). */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** True for a NodeId / MessageId / TopicId: 64 lowercase hex characters. */
export function isHexId(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) if (hexDigitValue(value.charCodeAt(i)) < 0) return false;
  return true;
}

/** Bytes of the minimal LEB128 encoding of a u32 (minimal encodings are the only valid ones). */
export function leb128U32Bytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/**
 * Writes the minimal LEB128 encoding of a u32 at `offset` (room is the caller's job) and
 * returns the offset after it. Division instead of shifts: values up to 2^32−1 exceed int32.
 */
export function writeLeb128U32(out: Uint8Array, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

/** Default starting size of a ByteWriter, bytes: most control payloads fit without growing. */
const WRITER_INITIAL_BYTES = 128;

/**
 * Grows as needed; `finish()` returns exactly the bytes written. Give the constructor a size
 * hint when the payload size is known roughly (e.g. Gossip content) so it never has to grow.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;
  /** Writing into a caller's array of exactly the right size (see `writeInto`): never grows. */
  private fixedTarget = false;

  constructor(sizeHintBytes: number = WRITER_INITIAL_BYTES) {
    this.buffer = new Uint8Array(Math.max(1, sizeHintBytes));
  }

  /**
   * Write into `out` from `offset` on instead of the writer's own buffer, until `reset`. For
   * encoders that know the encoded size up front (one copy less per frame); writing past the
   * end of `out` is an encoder bug (asserted). The writer stays in this mode: keep one writer
   * for it rather than mixing it with `reset`/`finish` use.
   */
  writeInto(out: Uint8Array, offset: number): void {
    this.buffer = out;
    this.length = offset;
    this.fixedTarget = true;
  }

  /** Bytes written so far (in `writeInto` mode: the offset reached in the target). */
  get offset(): number {
    return this.length;
  }

  u8(value: number): void {
    // Condition first, message only on failure: this runs once per field on the hot path.
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xff)) assertWire(false, `u8 out of range: ${value}`);
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  u32(value: number): void {
    if (!(Number.isInteger(value) && value >= 0 && value <= U32_MAX)) assertWire(false, `u32 out of range: ${value}`);
    if (this.fixedTarget) this.reserve(leb128U32Bytes(value));
    else this.reserve(LEB128_U32_BYTES_MAX);
    this.length = writeLeb128U32(this.buffer, this.length, value);
  }

  u64(value: bigint): void { this.bytes(encodeLeb128U64(value)); }

  /**
   * A 32-byte id given as 64 lowercase hex characters (validated while it is converted; the
   * bytes of recently written ids are remembered, see hex-ids.ts).
   */
  id32(hex: string): void {
    this.reserve(32);
    const buffer = this.buffer;
    const start = this.length;
    const known = idBytesOf(hex);
    if (known !== undefined) {
      for (let i = 0; i < 32; i++) buffer[start + i] = known[i];
      this.length = start + 32;
      return;
    }
    let valid = hex.length === 64;
    for (let i = 0; i < 32 && valid; i++) {
      const high = hexDigitValue(hex.charCodeAt(2 * i));
      const low = hexDigitValue(hex.charCodeAt(2 * i + 1));
      valid = high >= 0 && low >= 0;
      buffer[start + i] = (high << 4) | low;
    }
    // Bytes past `length` are scratch until committed here, so a bad id leaves no trace.
    if (!valid) assertWire(false, `not a 64-hex id: ${JSON.stringify(hex)}`);
    rememberIdBytes(hex, buffer.slice(start, start + 32));
    this.length = start + 32;
  }

  /** Forget what was written, keeping the buffer (for a writer reused as scratch space). */
  reset(): void {
    this.length = 0;
  }

  /**
   * The bytes written, as a view of the writer's buffer (no copy): valid until the writer is
   * written to or reset again. Every caller hands the result straight to a framer or returns it.
   */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    if (this.fixedTarget) assertWire(false, `write past the end of a ${this.buffer.length}-byte target`);
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/**
 * Reads a payload front to back. The first failure is sticky: later reads return zero values
 * and `failure` keeps the first reason, so decoders can read a whole message and check once.
 */
export class ByteReader {
  private offset = 0;
  private reason: string | null = null;
  /** A Buffer over `bytes` for hex conversion and comparison, made on first use (one per reader, not per id). */
  private hexView: Buffer | null = null;

  constructor(private readonly bytes: Uint8Array) {}

  get failure(): string | null { return this.reason; }
  get remaining(): number { return this.bytes.length - this.offset; }

  fail(reason: string): void {
    if (this.reason === null) this.reason = reason;
  }

  u8(what: Label): number {
    if (!this.need(1, what)) return 0;
    return this.bytes[this.offset++];
  }

  u32(what: Label): number {
    if (this.reason !== null) return 0;
    const value = scanLeb128U32(this.bytes, this.offset);
    if (value < 0) {
      this.fail(`${labelText(what)}: ${value === SCAN_BAD ? 'bad' : 'truncated'} LEB128 u32`);
      return 0;
    }
    this.offset += leb128U32Bytes(value);
    return value;
  }

  u64(what: Label): bigint {
    if (this.reason !== null) return 0n;
    const read = readLeb128U64(this.bytes, this.offset);
    if (read.kind !== 'ok') { this.fail(`${labelText(what)}: ${read.kind === 'bad' ? 'bad' : 'truncated'} LEB128 u64`); return 0n; }
    this.offset = read.next;
    return read.value;
  }

  /** A copy of the next `length` bytes (in slab memory, see byte-slab.ts). */
  fixed(length: number, what: Label): Uint8Array {
    if (!this.need(length, what)) return new Uint8Array(length);
    const out = copyBytes(this.bytes, this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /**
   * The next `length` bytes: `known` itself when they equal it, otherwise a copy as `fixed` makes.
   * For content the reader already holds (a verified message's bytes): every receipt of a message
   * after its first would otherwise copy it (a fifth of the decoders' slabs in a 1,000-node
   * burst, docs/performance.md, round 29). `known` is shared: callers must not write to what
   * this returns (no decoder's caller does).
   */
  fixedOr(known: Uint8Array | undefined, length: number, what: Label): Uint8Array {
    if (known === undefined || known.length !== length || this.reason !== null || this.remaining < length) {
      return this.fixed(length, what);
    }
    this.hexView ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
    if (this.hexView.compare(known, 0, length, this.offset, this.offset + length) !== 0) return this.fixed(length, what);
    this.offset += length;
    return known;
  }

  /** A 32-byte id as 64 lowercase hex characters (recently read ids come back as the same string). */
  id32(what: Label): string {
    if (!this.need(32, what)) return '';
    let hex = knownHexId(this.bytes, this.offset);
    if (hex === undefined) {
      this.hexView ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
      hex = rememberHexId(this.bytes, this.offset, this.hexView.toString('hex', this.offset, this.offset + 32));
    }
    this.offset += 32;
    return hex;
  }

  /** A byte that must be 0 or 1. */
  bool(what: Label): boolean {
    const byte = this.u8(what);
    if (byte > 1) this.fail(`${labelText(what)}: expected 0 or 1, got ${byte}`);
    return byte === 1;
  }

  /**
   * Fails unless the payload was consumed exactly. `what` names the payload when the caller does
   * not already put the message's name in front of every reason (as `decodeEnvelope` does).
   */
  end(what?: Label): void {
    if (this.reason !== null || this.remaining === 0) return;
    const defect = `${this.remaining} trailing bytes`;
    this.fail(what === undefined ? defect : `${labelText(what)}: ${defect}`);
  }

  private need(length: number, what: Label): boolean {
    if (this.reason !== null) return false;
    if (this.remaining < length) {
      this.fail(`${labelText(what)}: need ${length} bytes, ${this.remaining} left`);
      return false;
    }
    return true;
  }
}

/**
 * What a read is for, in failure reasons. A function is called only when a read fails, so
 * per-item labels such as `nodes[7]` cost nothing on the (usual) success path.
 */
export type Label = string | (() => string);

function labelText(what: Label): string {
  return typeof what === 'string' ? what : what();
}
