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

function canonicalAttrs(attrs: Attrs): string {
  const keys = Object.keys(attrs).sort();
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
    `"startMs":${r.startMs},"endMs":${r.endMs},"attrs":${canonicalAttrs(r.attrs)},` +
    `"links":${canonicalLinks(r.links)}}\n`
  );
}

/** The whole stream in canonical form (one line per record). */
export function canonicalTrace(records: readonly SpanRecord[]): string {
  let out = '';
  for (const r of records) out += canonicalLine(r);
  return out;
}

/** Lines are hashed in chunks of about this many characters (fewer, larger hash updates). */
const CHUNK_CHARS = 64 * 1024;

/** Incremental SHA-256 over canonical lines. */
export class TraceDigest {
  private readonly hash: Hash = createHash('sha256');
  private pending = '';
  private recordCount = 0;

  get count(): number {
    return this.recordCount;
  }

  add(record: SpanRecord): void {
    this.pending += canonicalLine(record);
    this.recordCount++;
    if (this.pending.length >= CHUNK_CHARS) this.flush();
  }

  /** Hex digest of everything added so far; adding may continue afterwards. */
  hex(): string {
    this.flush();
    return this.hash.copy().digest('hex');
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.hash.update(this.pending);
    this.pending = '';
  }
}

/** Digest of a whole record list (same value as feeding each record to a `TraceDigest`). */
export function traceDigestOf(records: readonly SpanRecord[]): string {
  const d = new TraceDigest();
  for (const r of records) d.add(r);
  return d.hex();
}
