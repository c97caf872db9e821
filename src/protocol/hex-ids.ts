/**
 * Reading 32-byte ids (NodeId, MessageId, TopicId) off the wire as 64-hex strings, through a
 * bounded table of recently read ids.
 *
 * A simulation reads the same few thousand ids over and over (every node receives every
 * message id and every peer's node id many times). Converting bytes to hex makes a new string
 * each time, and every Map or Set lookup with a new string must hash it again. On a hit the
 * table returns the very same string as before (hash already cached by V8) after comparing the
 * 32 bytes. The answer is always the hex of the bytes, whatever the table holds; it only
 * saves work. Encoders get the reverse table: the bytes of a recently written id, so a hex
 * string is parsed once, not once per frame (the topic id goes into every frame).
 * Pure: no IO, no clocks, no randomness.
 */

const ID_BYTES = 32;
/**
 * Ids remembered in each table; the oldest entry is dropped first. An all-nodes burst at n nodes
 * reads n message ids and the node ids over and over: at 10,000 nodes a bound of 4,096 missed
 * nearly every read, and each miss made a hex string, interned it (an object and an array) and
 * copied the 32 bytes (a small typed array, in the heap): garbage on every read
 * (docs/performance.md, round 30). Both tables full hold about 7 MB of heap; a run of a few
 * dozen nodes never fills them.
 */
export const KNOWN_MAX = 32_768;

interface KnownId {
  readonly bytes: Uint8Array;
  readonly hex: string;
}

/** Entries by the id's first three bytes (a small-integer key; the full bytes are compared). */
const known = new Map<number, KnownId>();

function sameId(a: Uint8Array, b: Uint8Array, bOffset: number): boolean {
  for (let i = 0; i < ID_BYTES; i++) if (a[i] !== b[bOffset + i]) return false;
  return true;
}

function keyAt(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 16) | (bytes[offset + 1] << 8) | bytes[offset + 2];
}

/** The remembered hex of the id at `bytes[offset, offset + 32)`, or undefined. */
export function knownHexId(bytes: Uint8Array, offset: number): string | undefined {
  const entry = known.get(keyAt(bytes, offset));
  return entry !== undefined && sameId(entry.bytes, bytes, offset) ? entry.hex : undefined;
}

/**
 * Remember `hex` as the id at `bytes[offset, offset + 32)` (the caller converted it); returns
 * the string to use from now on, `hex` interned (see `internedId`).
 */
export function rememberHexId(bytes: Uint8Array, offset: number, hex: string): string {
  const key = keyAt(bytes, offset);
  const interned = internedId(hex);
  // A different id with the same first three bytes replaces the entry (rare: ids are hashes).
  if (known.has(key)) known.delete(key);
  else if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as number);
  known.set(key, { bytes: bytes.slice(offset, offset + ID_BYTES), hex: interned });
  return interned;
}

/**
 * The same string as `id`, from V8's table of internalized strings (object property names live
 * there; `Object.keys` hands back the table's copy). Two internalized strings are equal exactly
 * when they are the same object, so V8 compares ids by pointer: in `===`, `indexOf`/`includes`
 * over the views and the key compares of Map and Set lookups. A plain string equal to another
 * is compared character by character (64 of them for an id). The answer is always `id`'s
 * characters; the table only changes which object holds them. Call it where an id string is
 * made (decoded off the wire, drawn for a new node), never per lookup.
 */
export function internedId(id: string): string {
  return Object.keys({ [id]: 0 })[0];
}

/** Bytes of recently written ids by their (validated) hex, oldest first. */
const bytesByHex = new Map<string, Uint8Array>();

/** The 32 bytes of `hex` if it was remembered by `rememberIdBytes` (the caller must not modify them). */
export function idBytesOf(hex: string): Uint8Array | undefined {
  return bytesByHex.get(hex);
}

/** Remember `bytes` (which the table takes over) as the parsed form of the valid id `hex`. */
export function rememberIdBytes(hex: string, bytes: Uint8Array): void {
  if (bytesByHex.size >= KNOWN_MAX) bytesByHex.delete(bytesByHex.keys().next().value as string);
  bytesByHex.set(hex, bytes);
}
