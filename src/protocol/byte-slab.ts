/**
 * Short-lived byte arrays carved out of shared slabs, for the per-frame hot path.
 *
 * V8 gives every typed array longer than 64 bytes its own off-heap backing store, which costs
 * about a microsecond to create plus garbage-collector work to release — more than encoding a
 * control frame. Frames and payloads are mostly 65–1000 bytes, so encoders and decoders take
 * views of a 32 KiB slab instead (the same idea as Node's Buffer pool). A view is a plain
 * Uint8Array, zero-filled like a fresh one (each slab byte is handed out once). Its `.buffer`
 * is the shared slab, so code must use `byteOffset`/`length` (all of meshsim does) and never
 * `.buffer` alone. A slab stays alive while any view of it does; retention times bound that.
 * Pure and deterministic: no IO, no clocks.
 */

const SLAB_BYTES = 32 * 1024;
/** Larger arrays get a backing store of their own (a slab would be wasted on them). */
const SLAB_ITEM_BYTES_MAX = 4 * 1024;

/** Copies up to this long are done byte by byte (cheaper than making a view to `set` from). */
const SHORT_COPY_BYTES_MAX = 128;

/**
 * One run of slabs: views are carved from the current slab until it is full, then a new one
 * starts. A slab's memory returns only when its last view dies, so arrays that die together
 * should share slabs, and arrays that live long should not be scattered among ones that die at once.
 */
class SlabRun {
  private slab = new ArrayBuffer(SLAB_BYTES);
  private usedBytes = 0;

  alloc(length: number): Uint8Array {
    if (length > SLAB_ITEM_BYTES_MAX) return new Uint8Array(length);
    if (this.usedBytes + length > SLAB_BYTES) {
      this.slab = new ArrayBuffer(SLAB_BYTES);
      this.usedBytes = 0;
    }
    const out = new Uint8Array(this.slab, this.usedBytes, length);
    this.usedBytes += length;
    return out;
  }
}

/** Encoded frames and payloads: they live until their packet arrives (or longer, when kept). */
const encoded = new SlabRun();
/**
 * Decoders' copies: nearly all die within the event that made them (a frame's payload once
 * decoded, a Gossip's content once checked against the memo). They are kept out of the frames'
 * slabs: sharing them, a slab of spent copies stayed alive while any frame carved beside them was
 * in flight, and at the peak of an all-nodes burst array buffers held twice what they hold apart
 * (docs/performance.md, round 20).
 */
const decoded = new SlabRun();

/** A zero-filled Uint8Array of `length` bytes, usually a view of a slab (for arrays being encoded). */
export function allocBytes(length: number): Uint8Array {
  return encoded.alloc(length);
}

/** A copy of `source[start, end)` in slab memory (what `source.slice(start, end)` returns), for decoders. */
export function copyBytes(source: Uint8Array, start: number, end: number): Uint8Array {
  const length = end - start;
  const out = decoded.alloc(length);
  // Short copies (most control frames) in a loop: `set` needs a subarray view, an object per copy.
  if (length <= SHORT_COPY_BYTES_MAX) for (let i = 0; i < length; i++) out[i] = source[start + i];
  else out.set(source.subarray(start, end));
  return out;
}
