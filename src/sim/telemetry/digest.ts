/**
 * The trace digest: SHA-256 over the canonical serialization of the trace stream, so that "the
 * same seed gives the same trace, byte for byte" is one string comparison.
 *
 * Canonical form: one line per record (terminated by "\n"), keys in a fixed order, attribute keys
 * sorted, numbers in JSON form. It never depends on object or Map insertion order. Hashing is
 * incremental (records can be fed as they finish). Must not read clocks or randomness.
 */
import { createHash, type Hash } from 'node:crypto';
import { assert } from '../assert.js';
import type { Attrs, SpanContextRef, SpanRecord } from './span-record.js';

/** Quoted attribute keys: the key vocabulary is small, so quoting once saves work per record. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** The sorted key list last seen for a span name, and the key order it was computed from. */
interface KeyOrder {
  readonly seen: readonly string[];
  readonly sorted: readonly string[];
}
const keyOrders = new Map<string, KeyOrder>();

/**
 * `Object.keys(attrs).sort()`, without sorting (or allocating) again when a span name comes with
 * the same keys in the same order as last time, which is nearly always: most of a run's bytes
 * allocated were these sorted copies. Any other key list is sorted afresh, so the output never
 * depends on the cache.
 */
function sortedKeysOf(name: string, attrs: Attrs): readonly string[] {
  const known = keyOrders.get(name);
  if (known !== undefined && hasKeysInOrder(attrs, known.seen)) return known.sorted;
  const seen = Object.keys(attrs);
  const sorted = [...seen].sort();
  if (known !== undefined || keyOrders.size < QUOTED_KEYS_MAX) keyOrders.set(name, { seen, sorted });
  return sorted;
}

function hasKeysInOrder(attrs: Attrs, keys: readonly string[]): boolean {
  let i = 0;
  // for-in walks the keys without building an array; inherited keys make it a mismatch.
  for (const key in attrs) {
    if (i >= keys.length || keys[i] !== key) return false;
    i++;
  }
  return i === keys.length;
}

function canonicalAttrs(name: string, attrs: Attrs): string {
  const keys = sortedKeysOf(name, attrs);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = attrs[key];
    // Tested first, message built only on failure: this runs per attribute of every span.
    if (typeof value === 'number' && !Number.isFinite(value)) assert(false, `attribute ${key} is not a finite number: ${value}`);
    if (i > 0) out += ',';
    out += quoteKey(key) + ':' + (typeof value === 'string' ? JSON.stringify(value) : String(value));
  }
  return out + '}';
}

function canonicalLinks(links: readonly SpanContextRef[] | undefined): string {
  if (links === undefined || links.length === 0) return '[]';
  return '[' + links.map((l) => `["${l.traceId}","${l.spanId}"]`).join(',') + ']';
}

/** The canonical one-line serialization of a record, newline included. */
export function canonicalLine(r: SpanRecord): string {
  return (
    `{"seq":${r.seq},"traceId":"${r.traceId}","spanId":"${r.spanId}",` +
    `"parentSpanId":${r.parentSpanId === null ? 'null' : `"${r.parentSpanId}"`},` +
    `"node":${JSON.stringify(r.node)},"name":${JSON.stringify(r.name)},"level":"${r.level}",` +
    `"startMs":${r.startMs},"endMs":${r.endMs},"attrs":${canonicalAttrs(r.name, r.attrs)},` +
    `"links":${canonicalLinks(r.links)}}\n`
  );
}

/** The whole stream in canonical form (one line per record). */
export function canonicalTrace(records: readonly SpanRecord[]): string {
  let out = '';
  for (const r of records) out += canonicalLine(r);
  return out;
}

/** Canonical bytes are hashed in chunks of this size (fewer, larger hash updates). */
const CHUNK_BYTES = 64 * 1024;

/**
 * Writes the UTF-8 bytes of `canonicalLine(record)` straight into a reused buffer, so no line
 * string is built per span: those strings were the largest share of all bytes a large run
 * allocated. Every piece is written exactly as `canonicalLine` writes it (a property test holds
 * the two together); a piece with characters that need escaping or are not ASCII goes through
 * `JSON.stringify` and `Buffer.write`, the same functions the string form uses.
 */
class CanonicalBytes {
  private readonly buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos = 0;

  constructor(private readonly hash: Hash) {}

  line(r: SpanRecord): void {
    this.raw('{"seq":');
    this.number(r.seq);
    this.raw(',"traceId":"');
    this.raw(r.traceId);
    this.raw('","spanId":"');
    this.raw(r.spanId);
    this.raw('","parentSpanId":');
    if (r.parentSpanId === null) this.raw('null');
    else {
      this.raw('"');
      this.raw(r.parentSpanId);
      this.raw('"');
    }
    this.raw(',"node":');
    this.json(r.node);
    this.raw(',"name":');
    this.json(r.name);
    this.raw(',"level":"');
    this.raw(r.level);
    this.raw('","startMs":');
    this.number(r.startMs);
    this.raw(',"endMs":');
    this.number(r.endMs);
    this.raw(',"attrs":{');
    const attrs = r.attrs;
    const keys = sortedKeysOf(r.name, attrs);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const value = attrs[key];
      if (typeof value === 'number' && !Number.isFinite(value)) assert(false, `attribute ${key} is not a finite number: ${value}`);
      if (i > 0) this.raw(',');
      this.raw(quoteKey(key));
      this.raw(':');
      if (typeof value === 'string') this.json(value);
      else if (typeof value === 'number') this.number(value);
      else this.raw(String(value));
    }
    this.raw('},"links":');
    const links = r.links;
    if (links === undefined || links.length === 0) this.raw('[]');
    else {
      this.raw('[');
      for (let i = 0; i < links.length; i++) {
        if (i > 0) this.raw(',');
        this.raw('["');
        this.raw(links[i].traceId);
        this.raw('","');
        this.raw(links[i].spanId);
        this.raw('"]');
      }
      this.raw(']');
    }
    this.raw('}\n');
  }

  /** Hands the buffered bytes to the hash. */
  flush(): void {
    if (this.pos === 0) return;
    this.hash.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** A string as its UTF-8 bytes (ASCII copied in a loop; anything else via Buffer.write). */
  private raw(text: string): void {
    const n = text.length;
    if (this.pos + 3 * n > CHUNK_BYTES) {
      this.flush();
      if (3 * n > CHUNK_BYTES) {
        this.hash.update(text, 'utf8');
        return;
      }
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        this.pos = pos + buf.write(text.slice(i), pos, 'utf8');
        return;
      }
      buf[pos++] = code;
    }
    this.pos = pos;
  }

  /**
   * `JSON.stringify(text)`: quoted as is when nothing in it needs escaping. Copied while it is
   * checked, in one pass (names and ids are most of a line's bytes); a character that needs
   * escaping takes back what was copied and goes through `JSON.stringify`.
   */
  private json(text: string): void {
    const n = text.length;
    if (3 * n > CHUNK_BYTES) {
      this.raw(JSON.stringify(text)); // long: `raw` hashes it directly
      return;
    }
    if (this.pos + n + 2 > CHUNK_BYTES) this.flush();
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    buf[pos++] = 0x22;
    for (let i = 0; i < n; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0x7f) {
        this.pos = start;
        this.raw(JSON.stringify(text));
        return;
      }
      buf[pos++] = code;
    }
    buf[pos++] = 0x22;
    this.pos = pos;
  }

  /** `String(value)`: safe integers digit by digit, anything else through String. */
  private number(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.raw(String(value));
      return;
    }
    if (value < 0) {
      this.raw('-');
      value = -value;
    }
    if (this.pos + 16 > CHUNK_BYTES) this.flush();
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    const buf = this.buf;
    let pos = this.pos + digits;
    this.pos = pos;
    do {
      buf[--pos] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    } while (value > 0);
  }
}

/** Incremental SHA-256 over canonical lines. */
export class TraceDigest {
  private readonly hash: Hash = createHash('sha256');
  private readonly bytes = new CanonicalBytes(this.hash);
  private recordCount = 0;

  get count(): number {
    return this.recordCount;
  }

  add(record: SpanRecord): void {
    this.bytes.line(record);
    this.recordCount++;
  }

  /** Hex digest of everything added so far; adding may continue afterwards. */
  hex(): string {
    this.bytes.flush();
    return this.hash.copy().digest('hex');
  }
}

/** Digest of a whole record list (same value as feeding each record to a `TraceDigest`). */
export function traceDigestOf(records: readonly SpanRecord[]): string {
  const d = new TraceDigest();
  for (const r of records) d.add(r);
  return d.hex();
}
