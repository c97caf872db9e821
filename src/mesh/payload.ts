/**
 * Application payloads carried by Plumtree Gossip: node digests and liveness probes, in a
 * compact binary layout (every node decodes every digest, so this is on the per-delivery path).
 *
 * Layout: one kind byte ('D' digest, 'P' probe), then the fields in declaration order.
 * - A string is a LEB128 header h, then: h = 0 → 32 raw bytes of an id written as 64 lowercase
 *   hex characters (node ids); h > 0 → h − 1 bytes of UTF-8 (a lone surrogate, which no
 *   mesh string holds, would come back as U+FFFD).
 * - A number is an IEEE-754 float64, little-endian (exact for every JS number: wall times may be
 *   negative under clock skew).
 * - Digest: nodeId, name, meshId, nodeType, the nine numbers (peerCount, framesSent,
 *   framesReceived, wallTimeMs, cpuUsedPermille, ramUsedBytes, cpuBudgetPermille,
 *   ramBudgetBytes, seq), then peerIds as a LEB128 count and that many strings.
 * - Probe: probeId, origin.
 * - Padded probe ('Q', for workloads with a payload size): probeId, origin, a LEB128 pad length
 *   n, then n zero bytes. It decodes as a probe with `padBytes` = n.
 * Decoding bad bytes (truncated, trailing, invalid UTF-8, unknown kind) returns null — the
 * payload is then counted as foreign — and never throws. No IO, clocks or randomness here.
 */
import { Buffer } from 'node:buffer';
import { allocBytes } from '../protocol/byte-slab.js';
import { knownHexId, rememberHexId } from '../protocol/hex-ids.js';
import { isHexId, leb128U32Bytes, scanLeb128U32, writeLeb128U32 } from '../protocol/leb128.js';
import { MESSAGES_IN_FLIGHT_MAX } from '../protocol/message-id.js';

export interface Digest {
  readonly nodeId: string;
  readonly name: string;
  readonly meshId: string;
  readonly nodeType: string;
  readonly peerCount: number;
  readonly peerIds: readonly string[];
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly wallTimeMs: number;
  readonly cpuUsedPermille: number;
  readonly ramUsedBytes: number;
  readonly cpuBudgetPermille: number;
  readonly ramBudgetBytes: number;
  /** Sequence number per sender, so identical content is still a distinct message. */
  readonly seq: number;
}

export interface Probe {
  readonly probeId: string;
  readonly origin: string;
  /** Zero bytes appended to reach a workload's payload size; absent for a bare probe. */
  readonly padBytes?: number;
}

export type AppPayload = { readonly kind: 'digest'; readonly digest: Digest } | { readonly kind: 'probe'; readonly probe: Probe };

const DIGEST = 0x44; // 'D'
const PROBE = 0x50; // 'P'
const PADDED_PROBE = 0x51; // 'Q'
const ID_BYTES = 32;
const F64_BYTES = 8;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// ---- encoding: into one reused scratch buffer, then one copy of exactly the bytes written ----

/** Value of a lowercase hex digit's char code (the caller checked it with isHexId). */
function nibble(code: number): number {
  return code <= 0x39 ? code - 0x30 : code - 0x57;
}

class Writer {
  buffer = new Uint8Array(1024);
  view = new DataView(this.buffer.buffer);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(5);
    this.length = writeLeb128U32(this.buffer, this.length, value);
  }

  number(value: number): void {
    this.reserve(F64_BYTES);
    this.view.setFloat64(this.length, value, true);
    this.length += F64_BYTES;
  }

  string(value: string): void {
    if (isHexId(value)) {
      this.u32(0);
      this.reserve(ID_BYTES);
      const buffer = this.buffer;
      const start = this.length;
      for (let i = 0; i < ID_BYTES; i++) buffer[start + i] = (nibble(value.charCodeAt(2 * i)) << 4) | nibble(value.charCodeAt(2 * i + 1));
      this.length = start + ID_BYTES;
      return;
    }
    let ascii = true;
    for (let i = 0; i < value.length && ascii; i++) ascii = value.charCodeAt(i) < 0x80;
    const bytes = ascii ? null : utf8Encoder.encode(value);
    const length = bytes === null ? value.length : bytes.length;
    this.u32(length + 1);
    this.reserve(length);
    const buffer = this.buffer;
    const start = this.length;
    if (bytes !== null) buffer.set(bytes, start);
    else for (let i = 0; i < length; i++) buffer[start + i] = value.charCodeAt(i);
    this.length = start + length;
  }
}

const scratch = new Writer();

export function encodePayload(payload: AppPayload): Uint8Array {
  const w = scratch;
  w.length = 0;
  if (payload.kind === 'digest') {
    const d = payload.digest;
    w.u8(DIGEST);
    w.string(d.nodeId);
    w.string(d.name);
    w.string(d.meshId);
    w.string(d.nodeType);
    w.number(d.peerCount);
    w.number(d.framesSent);
    w.number(d.framesReceived);
    w.number(d.wallTimeMs);
    w.number(d.cpuUsedPermille);
    w.number(d.ramUsedBytes);
    w.number(d.cpuBudgetPermille);
    w.number(d.ramBudgetBytes);
    w.number(d.seq);
    w.u32(d.peerIds.length);
    for (const id of d.peerIds) w.string(id);
  } else {
    const pad = payload.probe.padBytes ?? 0;
    w.u8(pad > 0 ? PADDED_PROBE : PROBE);
    w.string(payload.probe.probeId);
    w.string(payload.probe.origin);
    if (pad > 0) {
      w.u32(pad);
      w.reserve(pad);
      w.buffer.fill(0, w.length, w.length + pad);
      w.length += pad;
    }
  }
  const out = allocBytes(w.length);
  out.set(w.buffer.subarray(0, w.length));
  return out;
}

// ---- decoding: a cursor over the bytes; the first failure makes every later read fail ----

class Cursor {
  offset = 1;
  failed = false;
  private view: DataView | null = null;

  constructor(readonly bytes: Uint8Array) {}

  u32(): number {
    const value = this.failed ? -1 : scanLeb128U32(this.bytes, this.offset);
    if (value < 0) {
      this.failed = true;
      return 0;
    }
    this.offset += leb128U32Bytes(value);
    return value;
  }

  number(): number {
    if (this.failed || this.offset + F64_BYTES > this.bytes.length) {
      this.failed = true;
      return 0;
    }
    this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += F64_BYTES;
    return value;
  }

  string(): string {
    const header = this.u32();
    const length = header === 0 ? ID_BYTES : header - 1;
    if (this.failed || this.offset + length > this.bytes.length) {
      this.failed = true;
      return '';
    }
    const start = this.offset;
    this.offset += length;
    if (header === 0) return hexIdAt(this.bytes, start);
    try {
      return utf8Decoder.decode(this.bytes.subarray(start, start + length));
    } catch {
      this.failed = true;
      return '';
    }
  }
}

/** The id at `bytes[start, start + 32)` as hex; recently seen ids come back as the same string. */
function hexIdAt(bytes: Uint8Array, start: number): string {
  const known = knownHexId(bytes, start);
  if (known !== undefined) return known;
  return rememberHexId(bytes, start, Buffer.from(bytes.buffer, bytes.byteOffset + start, ID_BYTES).toString('hex'));
}

function decodeDigest(c: Cursor): Digest {
  const nodeId = c.string();
  const name = c.string();
  const meshId = c.string();
  const nodeType = c.string();
  const peerCount = c.number();
  const framesSent = c.number();
  const framesReceived = c.number();
  const wallTimeMs = c.number();
  const cpuUsedPermille = c.number();
  const ramUsedBytes = c.number();
  const cpuBudgetPermille = c.number();
  const ramBudgetBytes = c.number();
  const seq = c.number();
  const count = c.u32();
  const peerIds: string[] = [];
  // Each string takes at least one byte: a larger count is bad input, not an allocation.
  if (count > c.bytes.length - c.offset) c.failed = true;
  for (let i = 0; i < count && !c.failed; i++) peerIds.push(c.string());
  return {
    nodeId, name, meshId, nodeType, peerCount, peerIds, framesSent, framesReceived,
    wallTimeMs, cpuUsedPermille, ramUsedBytes, cpuBudgetPermille, ramBudgetBytes, seq,
  };
}

export function decodePayload(bytes: Uint8Array): AppPayload | null {
  if (bytes.length < 2) return null;
  const c = new Cursor(bytes);
  let payload: AppPayload;
  if (bytes[0] === DIGEST) {
    payload = { kind: 'digest', digest: decodeDigest(c) };
  } else if (bytes[0] === PROBE) {
    const probeId = c.string();
    payload = { kind: 'probe', probe: { probeId, origin: c.string() } };
  } else if (bytes[0] === PADDED_PROBE) {
    const probeId = c.string();
    const origin = c.string();
    const padBytes = c.u32();
    if (padBytes === 0 || c.offset + padBytes !== bytes.length) return null;
    for (let i = c.offset; i < bytes.length; i++) if (bytes[i] !== 0) return null;
    c.offset += padBytes;
    payload = { kind: 'probe', probe: { probeId, origin, padBytes } };
  } else {
    return null;
  }
  return c.failed || c.offset !== bytes.length ? null : payload;
}

/**
 * Decoded payloads by message id, oldest first. Every node of a simulation delivers the same
 * message, so one decode can serve them all, and every node then holds the same probe id
 * string. The bound is the message-id memo's: 512 entries covered one broadcast a second, but in
 * an all-nodes burst the first messages left while still spreading, and each later node decoded
 * its own copy (a payload object and strings per node and message).
 */
const decodedById = new Map<string, AppPayload | null>();
const DECODED_BY_ID_MAX = MESSAGES_IN_FLIGHT_MAX;

/**
 * `decodePayload(bytes)` for Gossip content whose message id `id` the caller has verified to be
 * the SHA-256 of `bytes` (Plumtree delivers only such content). Equal ids mean equal bytes, so
 * the result is remembered by id and shared: callers must treat it as immutable (it is typed
 * readonly). A memo of a pure function: the answer is always that of `decodePayload(bytes)`.
 */
export function decodePayloadOf(id: string, bytes: Uint8Array): AppPayload | null {
  const known = decodedById.get(id);
  if (known !== undefined) return known;
  const payload = decodePayload(bytes);
  if (decodedById.size >= DECODED_BY_ID_MAX) decodedById.delete(decodedById.keys().next().value as string);
  decodedById.set(id, payload);
  return payload;
}

/** True when two digests differ in anything but the clock and the sequence number. */
export function digestChanged(a: Digest | null, b: Digest): boolean {
  if (a === null) return true;
  return (
    a.peerCount !== b.peerCount ||
    a.framesSent !== b.framesSent ||
    a.framesReceived !== b.framesReceived ||
    a.meshId !== b.meshId ||
    a.nodeType !== b.nodeType ||
    a.peerIds.join(',') !== b.peerIds.join(',')
  );
}
