/**
 * The query API over finished spans that detectors use: find by name, node, attributes and a
 * time window. Records are indexed by name and by node; each index list is in finish order, so
 * its end times are nondecreasing and a time window is found by binary search.
 *
 * The time window applies to a span's END time (`endMs`), inclusive at both ends; for instant
 * spans that is also the start time. Must not mutate records or read clocks.
 */
import { assert } from '../assert.js';
import type { Attrs, SpanRecord } from './span-record.js';

export interface SpanFilter {
  readonly name?: string;
  readonly node?: string;
  /** Inclusive lower bound on `endMs`. */
  readonly sinceMs?: number;
  /** Inclusive upper bound on `endMs`. */
  readonly untilMs?: number;
  /** Every listed attribute must be present with an equal (===) value. */
  readonly attrs?: Attrs;
}

const EMPTY: readonly SpanRecord[] = [];

/** First index in `list` whose endMs ≥ ms (list sorted by endMs). */
function lowerBound(list: readonly SpanRecord[], ms: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].endMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `list` whose endMs > ms. */
function upperBound(list: readonly SpanRecord[], ms: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].endMs <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function attrsMatch(record: SpanRecord, want: Attrs | undefined): boolean {
  if (want === undefined) return true;
  for (const key of Object.keys(want)) {
    if (record.attrs[key] !== want[key]) return false;
  }
  return true;
}

export class SpanQuery {
  private readonly all: SpanRecord[] = [];
  private readonly byName = new Map<string, SpanRecord[]>();
  private readonly byNode = new Map<string, SpanRecord[]>();

  /** Called by the hub as each record finishes; records must arrive in finish order. */
  add(record: SpanRecord): void {
    const last = this.all.length === 0 ? undefined : this.all[this.all.length - 1];
    if (!(last === undefined || last.endMs <= record.endMs)) assert(false, `records out of time order: ${record.endMs}`);
    // Seqs increase; they have gaps when the hub's retention rule keeps some spans out of memory.
    if (!(last === undefined || record.seq > last.seq)) assert(false, `record seq ${record.seq} after ${last?.seq}`);
    this.all.push(record);
    pushTo(this.byName, record.name, record);
    pushTo(this.byNode, record.node, record);
  }

  /** Matching records in record order. */
  find(filter: SpanFilter): readonly SpanRecord[] {
    const { list, lo, hi } = this.range(filter);
    const out: SpanRecord[] = [];
    for (let i = lo; i < hi; i++) {
      if (this.matches(list[i], filter)) out.push(list[i]);
    }
    return out;
  }

  first(filter: SpanFilter): SpanRecord | undefined {
    const { list, lo, hi } = this.range(filter);
    for (let i = lo; i < hi; i++) {
      if (this.matches(list[i], filter)) return list[i];
    }
    return undefined;
  }

  last(filter: SpanFilter): SpanRecord | undefined {
    const { list, lo, hi } = this.range(filter);
    for (let i = hi - 1; i >= lo; i--) {
      if (this.matches(list[i], filter)) return list[i];
    }
    return undefined;
  }

  count(filter: SpanFilter): number {
    const { list, lo, hi } = this.range(filter);
    let n = 0;
    for (let i = lo; i < hi; i++) {
      if (this.matches(list[i], filter)) n++;
    }
    return n;
  }

  /** The smallest index list that covers the filter, narrowed to the time window. */
  private range(filter: SpanFilter): { list: readonly SpanRecord[]; lo: number; hi: number } {
    let list: readonly SpanRecord[] = this.all;
    if (filter.name !== undefined) list = this.byName.get(filter.name) ?? EMPTY;
    if (filter.node !== undefined) {
      const byNode = this.byNode.get(filter.node) ?? EMPTY;
      if (byNode.length < list.length) list = byNode;
    }
    const lo = filter.sinceMs === undefined ? 0 : lowerBound(list, filter.sinceMs);
    const hi = filter.untilMs === undefined ? list.length : upperBound(list, filter.untilMs);
    return { list, lo, hi };
  }

  /** Name and node are re-checked because `range` picked only one index. */
  private matches(r: SpanRecord, filter: SpanFilter): boolean {
    return (
      (filter.name === undefined || r.name === filter.name) &&
      (filter.node === undefined || r.node === filter.node) &&
      attrsMatch(r, filter.attrs)
    );
  }
}

function pushTo(index: Map<string, SpanRecord[]>, key: string, record: SpanRecord): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [record]);
  else list.push(record);
}
