/**
 * Reading 32-byte ids (NodeId, MessageId, TopicId) off the wire as 64-hex strings, through a
 * bounded table of recently read ids.
 *
 * A simulation reads the same few thousand ids over and over (every node receives every
 * message id and every peer's node id many times). Converting bytes to hex makes a new string
 * each time, and every Map or Set lookup with a new string must hash it again. On a hit the
 * table returns the very same string as before (hash already cached by V8) after comparing the
 * 32 bytes. The answer is always the hex of the bytes, whatever the table holds; it only
 * saves work. Pure: no IO, no clocks, no randomness.
 */

const ID_BYTES = 32;
/** Ids remembered; the oldest entry is dropped first. */
const KNOWN_MAX = 4096;

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

/** Remember `hex` as the id at `bytes[offset, offset + 32)` (the caller converted it). */
export function rememberHexId(bytes: Uint8Array, offset: number, hex: string): void {
  const key = keyAt(bytes, offset);
  // A different id with the same first three bytes replaces the entry (rare: ids are hashes).
  if (known.has(key)) known.delete(key);
  else if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as number);
  known.set(key, { bytes: bytes.slice(offset, offset + ID_BYTES), hex });
}
