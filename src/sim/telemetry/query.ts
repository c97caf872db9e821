/**
 * The query API over finished spans that detectors use: find by name, node, attributes and a
 * time window. Records are indexed by name, by node, by node and name together, and by name and
 * one attribute's value; each index list is in finish order, so its end times are nondecreasing
 * and a time window is found by binary search. The third index is what most detector questions ask ("the last
 * mesh.peer.connected of this node about that peer"): through the node's list alone such a
 * question scanned every span the node had emitted, and questions asked of every node (who was
 * connected to a victim) scanned every span of the run.
 *
 * The time window applies to a span's END time (`endMs`), inclusive at both ends; for instant
 * spans that is also the start time. Must not mutate records or read clocks.
 */
import { assert } from '../assert.js';
import type { Attrs, SpanOf, SpanRecord } from './span-record.js';
import type { SpanAttrs, SpanName } from './span-vocabulary.js';

/** Where and when: the parts of a filter that do not depend on the span's name. */
export interface SpanWindow {
  readonly node?: string;
  /** Inclusive lower bound on `endMs`. */
  readonly sinceMs?: number;
  /** Inclusive upper bound on `endMs`. */
  readonly untilMs?: number;
}

/** Spans of one name (from the vocabulary): attributes typed by it, records returned typed. */
export interface NamedSpanFilter<N extends SpanName> extends SpanWindow {
  readonly name: N;
  /** Every listed attribute must be present with an equal (===) value. */
  readonly attrs?: Partial<SpanAttrs<N>>;
}

/** Spans of any name. */
export interface AnySpanFilter extends SpanWindow {
  readonly name?: undefined;
  /** Every listed attribute must be present with an equal (===) value. */
  readonly attrs?: Attrs;
}

export type SpanFilter<N extends SpanName = SpanName> = NamedSpanFilter<N> | AnySpanFilter;

/** The filter as the index reads it (names and attributes already checked by the types above). */
interface LooseFilter extends SpanWindow {
  readonly name?: string;
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
  /**
   * A node's spans by name (node first: a run has few names, and `range` asks for one node).
   * Built at the first question that names both, then kept up: runs without chaos detectors
   * never ask one, and would pay for it on every span they keep.
   */
  private byNodeName: Map<string, Map<string, SpanRecord[]>> | null = null;
  /**
   * Spans of a name by the value of one attribute (name, then key, then value), for the
   * questions asked across nodes: the deliveries of one probe, whoever was connected to one
   * peer. Each (name, key) is built at its first question, then kept up, like `byNodeName`.
   */
  private byAttr: Map<string, Map<string, Map<unknown, SpanRecord[]>>> | null = null;

  /** Called by the hub as each record finishes; records must arrive in finish order. */
  add(record: SpanRecord): void {
    const last = this.all.length === 0 ? undefined : this.all[this.all.length - 1];
    if (!(last === undefined || last.endMs <= record.endMs)) assert(false, `records out of time order: ${record.endMs}`);
    // Seqs increase; they have gaps when the hub's retention rule keeps some spans out of memory.
    if (!(last === undefined || record.seq > last.seq)) assert(false, `record seq ${record.seq} after ${last?.seq}`);
    this.all.push(record);
    pushTo(this.byName, record.name, record);
    pushTo(this.byNode, record.node, record);
    if (this.byNodeName !== null) pushToNodeName(this.byNodeName, record);
    const keys = this.byAttr?.get(record.name);
    if (keys !== undefined) for (const [key, values] of keys) pushToValue(values, record, key);
  }

  /** Matching records in record order. */
  find<N extends SpanName>(filter: NamedSpanFilter<N>): readonly SpanOf<N>[];
  find(filter: AnySpanFilter): readonly SpanRecord[];
  find(wanted: SpanFilter): readonly SpanRecord[] {
    const filter = wanted as LooseFilter;
    const { list, lo, hi } = this.range(filter);
    const out: SpanRecord[] = [];
    for (let i = lo; i < hi; i++) {
      if (this.matches(list[i], filter)) out.push(list[i]);
    }
    return out;
  }

  first<N extends SpanName>(filter: NamedSpanFilter<N>): SpanOf<N> | undefined;
  first(filter: AnySpanFilter): SpanRecord | undefined;
  first(wanted: SpanFilter): SpanRecord | undefined {
    const filter = wanted as LooseFilter;
    const { list, lo, hi } = this.range(filter);
    for (let i = lo; i < hi; i++) {
      if (this.matches(list[i], filter)) return list[i];
    }
    return undefined;
  }

  last<N extends SpanName>(filter: NamedSpanFilter<N>): SpanOf<N> | undefined;
  last(filter: AnySpanFilter): SpanRecord | undefined;
  last(wanted: SpanFilter): SpanRecord | undefined {
    const filter = wanted as LooseFilter;
    const { list, lo, hi } = this.range(filter);
    for (let i = hi - 1; i >= lo; i--) {
      if (this.matches(list[i], filter)) return list[i];
    }
    return undefined;
  }

  count<N extends SpanName>(filter: SpanFilter<N>): number;
  count(wanted: SpanFilter): number {
    const filter = wanted as LooseFilter;
    const { list, lo, hi } = this.range(filter);
    let n = 0;
    for (let i = lo; i < hi; i++) {
      if (this.matches(list[i], filter)) n++;
    }
    return n;
  }

  /** The smallest index list that covers the filter, narrowed to the time window. */
  private range(filter: LooseFilter): { list: readonly SpanRecord[]; lo: number; hi: number } {
    let list: readonly SpanRecord[] = this.all;
    const key = filter.name !== undefined && filter.node === undefined ? indexedKey(filter.attrs) : undefined;
    if (filter.name !== undefined && filter.node !== undefined) list = this.nodeNameIndex().get(filter.node)?.get(filter.name) ?? EMPTY;
    else if (key !== undefined) list = this.attrIndex(filter.name!, key).get(filter.attrs![key]) ?? EMPTY;
    else if (filter.name !== undefined) list = this.byName.get(filter.name) ?? EMPTY;
    else if (filter.node !== undefined) list = this.byNode.get(filter.node) ?? EMPTY;
    const lo = filter.sinceMs === undefined ? 0 : lowerBound(list, filter.sinceMs);
    const hi = filter.untilMs === undefined ? list.length : upperBound(list, filter.untilMs);
    return { list, lo, hi };
  }

  private nodeNameIndex(): Map<string, Map<string, SpanRecord[]>> {
    if (this.byNodeName === null) {
      const index = new Map<string, Map<string, SpanRecord[]>>();
      for (const record of this.all) pushToNodeName(index, record);
      this.byNodeName = index;
    }
    return this.byNodeName;
  }

  private attrIndex(name: string, key: string): Map<unknown, SpanRecord[]> {
    const byAttr = (this.byAttr ??= new Map());
    let keys = byAttr.get(name);
    if (keys === undefined) byAttr.set(name, (keys = new Map()));
    let values = keys.get(key);
    if (values === undefined) {
      values = new Map();
      for (const record of this.byName.get(name) ?? EMPTY) pushToValue(values, record, key);
      keys.set(key, values);
    }
    return values;
  }

  /** Name and node are re-checked: cheap, and `range` may have picked an index on one of them. */
  private matches(r: SpanRecord, filter: LooseFilter): boolean {
    return (
      (filter.name === undefined || r.name === filter.name) &&
      (filter.node === undefined || r.node === filter.node) &&
      attrsMatch(r, filter.attrs)
    );
  }
}

function pushTo<K>(index: Map<K, SpanRecord[]>, key: K, record: SpanRecord): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [record]);
  else list.push(record);
}

function pushToNodeName(index: Map<string, Map<string, SpanRecord[]>>, record: SpanRecord): void {
  let names = index.get(record.node);
  if (names === undefined) index.set(record.node, (names = new Map()));
  pushTo(names, record.name, record);
}

/** The attribute a question across nodes is looked up by: its first with a value (a record without the key is never indexed). */
function indexedKey(attrs: Attrs | undefined): string | undefined {
  if (attrs === undefined) return undefined;
  for (const key of Object.keys(attrs)) if (attrs[key] !== undefined) return key;
  return undefined;
}

function pushToValue(values: Map<unknown, SpanRecord[]>, record: SpanRecord, key: string): void {
  const value = record.attrs[key];
  if (value !== undefined) pushTo(values, value, record);
}
