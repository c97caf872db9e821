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
 * (docs/performance.md, round 30). The table of read ids (`KnownIds`) takes its 1.5 MB of array
 * buffers in full when the module loads, whatever the run; its strings and the table of written
 * ids grow with the ids seen (a run of a few dozen nodes never fills either).
 */
export const KNOWN_MAX = 32_768;

/**
 * A bounded table of ids read off the wire and their hex strings, flat: the ids' bytes side by
 * side in one array, a ring of `capacity` slots replaced oldest first, chained in buckets by the
 * id's second and third bytes. Round 31's profile of the 10,000-node burst's tail had 13 % of the
 * main thread in reading ids, most of it this table's lookups when it was a `Map` from the first
 * three bytes to an object holding its own 32-byte array (three objects apart in memory per
 * read); here a read touches the bucket's head, the slot's key and its bytes (one cache line).
 * Two ids that share their first bytes are both kept (the `Map` kept the later one).
 */
export class KnownIds {
  private readonly bytes: Uint8Array;
  private readonly keys: Int32Array;
  private readonly hexes: string[];
  /** Next slot in the same bucket, or -1. */
  private readonly next: Int32Array;
  /** First slot of each bucket, or -1. */
  private readonly heads: Int32Array;
  private readonly mask: number;
  /** The slot the next id goes to: the oldest once the ring is full. */
  private cursor = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`KnownIds: capacity ${capacity} is not a positive integer`);
    this.bytes = new Uint8Array(capacity * ID_BYTES);
    this.keys = new Int32Array(capacity);
    this.hexes = new Array<string>(capacity).fill('');
    this.next = new Int32Array(capacity).fill(-1);
    // At least two buckets per slot: chains stay a slot or less long on average.
    let buckets = 2;
    while (buckets < 2 * capacity) buckets *= 2;
    this.heads = new Int32Array(buckets).fill(-1);
    this.mask = buckets - 1;
  }

  /** Ids held (at most `capacity`). */
  get size(): number {
    return this.filled;
  }

  /** The remembered hex of the id at `bytes[offset, offset + 32)`, or undefined. */
  get(bytes: Uint8Array, offset: number): string | undefined {
    const key = keyAt(bytes, offset);
    for (let slot = this.heads[key & this.mask]; slot !== -1; slot = this.next[slot]) {
      if (this.keys[slot] === key && this.sameAt(slot, bytes, offset)) return this.hexes[slot];
    }
    return undefined;
  }

  /**
   * Remember `hex` as the id at `bytes[offset, offset + 32)`, which must not be held (the caller
   * missed it with `get`), in place of the oldest id once full.
   */
  add(bytes: Uint8Array, offset: number, hex: string): void {
    const slot = this.cursor;
    if (this.filled === this.capacity) this.unlink(slot);
    else this.filled++;
    const key = keyAt(bytes, offset);
    this.bytes.set(bytes.subarray(offset, offset + ID_BYTES), slot * ID_BYTES);
    this.keys[slot] = key;
    this.hexes[slot] = hex;
    const bucket = key & this.mask;
    this.next[slot] = this.heads[bucket];
    this.heads[bucket] = slot;
    this.cursor = slot + 1 === this.capacity ? 0 : slot + 1;
  }

  private sameAt(slot: number, bytes: Uint8Array, offset: number): boolean {
    const base = slot * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (this.bytes[base + i] !== bytes[offset + i]) return false;
    return true;
  }

  /**
   * Take `slot` out of its bucket's chain. Slots join at the head of their chain and leave oldest
   * first, so the slot is always the last of its chain; the walk finds the one before it.
   */
  private unlink(slot: number): void {
    const bucket = this.keys[slot] & this.mask;
    if (this.heads[bucket] === slot) {
      this.heads[bucket] = this.next[slot];
      return;
    }
    let before = this.heads[bucket];
    while (this.next[before] !== slot) before = this.next[before];
    this.next[before] = this.next[slot];
  }
}

const known = new KnownIds(KNOWN_MAX);

function keyAt(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 16) | (bytes[offset + 1] << 8) | bytes[offset + 2];
}

/** The remembered hex of the id at `bytes[offset, offset + 32)`, or undefined. */
export function knownHexId(bytes: Uint8Array, offset: number): string | undefined {
  return known.get(bytes, offset);
}

/**
 * Remember `hex` as the id at `bytes[offset, offset + 32)` (the caller converted it after
 * `knownHexId` missed); returns the string to use from now on, `hex` interned (see `internedId`).
 */
export function rememberHexId(bytes: Uint8Array, offset: number, hex: string): string {
  const interned = internedId(hex);
  known.add(bytes, offset, interned);
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
