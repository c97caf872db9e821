/**
 * Chunk memory the transport lends to a writer and takes back once the receiver has read it,
 * like a network card's ring of receive buffers.
 *
 * Why: V8 counts the bytes of every new `ArrayBuffer` as external memory, and each growth of
 * that memory by about 64 MB since the last full collection starts a marking of the whole heap
 * (docs/performance.md, round 29: the cycles that started during an all-nodes burst did so on
 * external memory pressure). A chunk on the simulated wire lives for its link's latency, long
 * enough under load to outlive the young generation, so its buffer is freed only by a full
 * collection. In a 10,000-node burst the chunks written add up to many gigabytes while the
 * heap holds several: a full marking of a large heap for every 64 MB of chunks, and a run that
 * slows as its heap grows (round 31). Lent chunks are carved from slabs that come back to a free
 * list once every chunk carved from them is returned, so a burst allocates slabs only while
 * the bytes in flight grow.
 *
 * A chunk is returned only where nothing can read it again: by `Stream` once the receiver's
 * `onData` has run on it and that stream's reader said it keeps no view of its bytes
 * (`Stream.readsDataInCall`). A chunk that is never returned (lost with its connection, held in
 * a reorder buffer at a close, handed to a reader that keeps views) is simply not reused: its
 * slab leaves the pool and the collector frees it as before. Returning a chunk twice, or one
 * still read, would hand its bytes to a second writer while the first reader reads them: that
 * is what the poisoning mode (`setChunkPoisoning`, tests) catches, by filling returned chunks at
 * once so that a late read decodes garbage, and by refusing a chunk returned twice while other
 * chunks of its slab are still out.
 * Deterministic: the pool's state depends only on the order of lends and returns; a reused slab
 * is zero-filled, so a chunk's contents never depend on an earlier run in the same process.
 */
import { assert } from '../assert.js';

/** Bytes per slab. A control chunk is at most a frame of about 4 KiB; most are a datagram or less. */
const SLAB_BYTES = 64 * 1024;
/** Larger chunks get a buffer of their own and are never pooled. */
export const LENT_CHUNK_BYTES_MAX = 8 * 1024;
/**
 * Free slabs kept at most (64 MiB, the growth of external memory that starts a marking); past it
 * a slab coming back is left to the collector.
 */
const FREE_SLABS_MAX = 1024;
/** What a returned chunk is filled with in the poisoning mode. */
const POISON = 0xee;

class Slab {
  readonly bytes = new Uint8Array(SLAB_BYTES);
  /** Chunks carved from this slab and not yet returned. */
  lent = 0;
  /**
   * In the poisoning mode, where the chunks returned since the slab was last taken start: the
   * count above sees a chunk returned twice only once every chunk of its slab is back, so a
   * second return among chunks still out would otherwise pass (null outside that mode).
   */
  returnedAt: Set<number> | null = null;
}

/** The pool's slab of each lent chunk, by the chunk's buffer (a chunk not lent here has none). */
const slabOf = new WeakMap<ArrayBufferLike, Slab>();
const free: Slab[] = [];
/** The slab chunks are carved from now, and how much of it is carved. */
let current: Slab | null = null;
let carved = 0;
let poisoning = false;

/** Counts a test or a bench can read: chunks lent and returned, slabs made and taken again from the free list. */
export const chunkPoolStats = { chunksLent: 0, chunksReturned: 0, slabsMade: 0, slabsReused: 0 };

/**
 * A chunk of `length` bytes, zero-filled, for one write on one stream: the writer fills it,
 * hands it over with `Stream.writeOwned`, and never touches it again.
 */
export function lendChunk(length: number): Uint8Array {
  if (length > LENT_CHUNK_BYTES_MAX) return new Uint8Array(length);
  if (current === null || carved + length > SLAB_BYTES) startSlab();
  const slab = current!;
  slab.lent++;
  chunkPoolStats.chunksLent++;
  const out = slab.bytes.subarray(carved, carved + length);
  carved += length;
  return out;
}

function startSlab(): void {
  const done = current;
  let next = free.pop();
  if (next === undefined) {
    next = new Slab();
    slabOf.set(next.bytes.buffer, next);
    chunkPoolStats.slabsMade++;
  } else {
    next.bytes.fill(0);
    chunkPoolStats.slabsReused++;
  }
  next.returnedAt = poisoning ? new Set() : null;
  current = next;
  carved = 0;
  // A slab whose chunks all came back while it was being carved is free once it is not.
  if (done !== null && done.lent === 0) release(done);
}

/**
 * Takes `chunk` back if it was lent here (anything else is ignored). The caller guarantees
 * that nobody reads it again.
 */
export function returnChunk(chunk: Uint8Array): void {
  const slab = slabOf.get(chunk.buffer);
  if (slab === undefined) return;
  if (slab.lent <= 0) assert(false, 'chunk-pool: a chunk returned twice');
  if (slab.returnedAt !== null) {
    if (slab.returnedAt.has(chunk.byteOffset)) assert(false, 'chunk-pool: a chunk returned twice');
    slab.returnedAt.add(chunk.byteOffset);
  }
  slab.lent--;
  chunkPoolStats.chunksReturned++;
  if (poisoning) chunk.fill(POISON);
  if (slab.lent === 0 && slab !== current) release(slab);
}

/** A slab with no chunk out goes to the free list, or past its bound to the collector (its entry in `slabOf` goes with its buffer). */
function release(slab: Slab): void {
  if (free.length < FREE_SLABS_MAX) free.push(slab);
}

/** Tests: fill every returned chunk at once, so that a read after its return sees garbage. */
export function setChunkPoisoning(on: boolean): void {
  poisoning = on;
}
