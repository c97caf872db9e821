/**
 * The telemetry hub: nodes and the harness emit spans here; it stamps them with virtual time,
 * draws ids from the run's telemetry PRNG stream, filters by level, and appends finished records
 * to the trace stream (indexed for queries, hashed for the trace digest).
 *
 * Hot path: `emit` builds one plain record and never touches the OpenTelemetry SDK; conversion
 * to SDK spans happens on demand (`toOtelSpans`). Must not read the wall clock or any randomness
 * other than the `ids` stream it is given. The hub takes ownership of the attrs objects passed in.
 */
import { assert } from '../assert.js';
import type { SimRng } from '../rng.js';
import { TraceDigest } from './digest.js';
import { SpanQuery } from './query.js';
import type { SpanAttrs, SpanName, TallyName } from './span-vocabulary.js';
import {
  HARNESS_RESOURCE,
  INVALID_CONTEXT,
  isValidContext,
  type Attrs,
  type NodeResource,
  type SpanContextRef,
  type SpanLevel,
  type SpanOf,
  type SpanRecord,
} from './span-record.js';

export interface TelemetryOptions {
  /** Most detailed level recorded. Default 'info' (TRACE spans are dropped). */
  readonly traceLevel?: SpanLevel;
  /** Keep records for `records`/`query`. Default true; when false only counts and digest are kept. */
  readonly keepRecords?: boolean;
  /**
   * Which recorded spans are kept in memory (for `records`/`query`), by name and attributes.
   * Default: all. Spans not kept are still counted, hashed into the trace digest and shown to
   * listeners, so retention never changes the digest; large runs drop per-pair and per-message
   * spans here.
   */
  readonly retain?: SpanRetention;
}

/** Whether a span is kept in memory, by its name and attributes (`TelemetryOptions.retain`). */
export type SpanRetention = (name: SpanName, attrs: Attrs) => boolean;

/** Called with every recorded span of one name, as it finishes (after counting and hashing). */
export type SpanListener<N extends SpanName = SpanName> = (record: SpanOf<N>) => void;

export interface SpanOptions {
  /** Default 'info'. */
  readonly level?: SpanLevel;
  /** Parent span; absent, null or invalid starts a new trace. */
  readonly parent?: SpanContextRef | null;
  readonly links?: readonly SpanContextRef[];
}

/** A span with duration, recorded when it ends. */
export interface OpenSpan<N extends SpanName = SpanName> {
  /** The ids children and links refer to (`INVALID_CONTEXT` if the span was filtered out). */
  readonly context: SpanContextRef;
  /** False when the span was filtered out by level; `end()` then records nothing. */
  readonly recorded: boolean;
  /** Ends the span at the current virtual time; `extraAttrs` override same-named start attrs. */
  end(extraAttrs?: Partial<SpanAttrs<N>>): SpanOf<N> | null;
}

interface Clock {
  readonly nowMs: number;
}

const FILTERED_SPAN: OpenSpan = {
  context: INVALID_CONTEXT,
  recorded: false,
  end: () => null,
};

export class Telemetry {
  readonly traceEnabled: boolean;
  readonly query = new SpanQuery();
  private readonly recordList: SpanRecord[] = [];
  private readonly keepRecords: boolean;
  private readonly retain: SpanRetention | null;
  private readonly digest = new TraceDigest();
  private readonly listeners = new Map<string, ((record: SpanRecord) => void)[]>();
  private readonly tallyListeners = new Map<string, ((key: string) => void)[]>();
  /** See `listenEvery`; null (one test per span) when nobody listens to every span. */
  private everyListeners: ((record: SpanRecord) => void)[] | null = null;
  /** Spans recorded but not kept in memory (see `retain`). */
  private droppedCount = 0;
  private nextSeq = 0;
  private lastEndMs = 0;
  private readonly counts = new Map<string, number>();
  private readonly resourceMap = new Map<string, NodeResource>();

  constructor(
    private readonly clock: Clock,
    private readonly ids: SimRng,
    options: TelemetryOptions = {},
  ) {
    this.traceEnabled = options.traceLevel === 'trace';
    this.keepRecords = options.keepRecords ?? true;
    this.retain = options.retain ?? null;
    this.resourceMap.set(HARNESS_RESOURCE.nodeName, HARNESS_RESOURCE);
  }

  /** Finished spans in finish order (empty when `keepRecords` is false). */
  get records(): readonly SpanRecord[] {
    return this.recordList;
  }

  /** Resources by node name, in registration order ('harness' first). */
  get resources(): ReadonlyMap<string, NodeResource> {
    return this.resourceMap;
  }

  /** Spans recorded (counted and hashed) but not kept in memory by the retention rule. */
  get notRetained(): number {
    return this.droppedCount;
  }

  /**
   * Calls `fn` with every span recorded from now on, of any name, whether or not it is kept, in
   * finish order (after the listeners of its name): for an exporter that writes a large run's
   * whole trace as it is made. Like every listener, `fn` must not touch the run.
   */
  listenEvery(fn: (record: SpanRecord) => void): void {
    (this.everyListeners ??= []).push(fn);
  }

  /**
   * Calls `fn` with every span named `name` recorded from now on, whether or not it is kept.
   * Checkers and metrics read the nodes' evidence this way at any size, in finish order.
   */
  listen<N extends SpanName>(name: N, fn: SpanListener<N>): void {
    let list = this.listeners.get(name);
    if (list === undefined) this.listeners.set(name, (list = []));
    list.push(fn as (record: SpanRecord) => void);
  }

  /**
   * A counted event too frequent for a span (e.g. every Gossip payload received, duplicates
   * included): listeners registered with `listenTally` see it; nothing is recorded or hashed,
   * so tallies never change the trace. Costs one map lookup when nobody listens.
   */
  tally(name: TallyName, key: string): void {
    const listeners = this.tallyListeners.get(name);
    if (listeners !== undefined) for (const fn of listeners) fn(key);
  }

  listenTally(name: TallyName, fn: (key: string) => void): void {
    let list = this.tallyListeners.get(name);
    if (list === undefined) this.tallyListeners.set(name, (list = []));
    list.push(fn);
  }

  /** Registers a node's resource; registering the same identity again (a restart) is a no-op. */
  registerResource(r: NodeResource): void {
    const known = this.resourceMap.get(r.nodeName);
    if (known !== undefined) {
      assert(
        known.nodeId === r.nodeId && known.nodeType === r.nodeType && known.meshId === r.meshId,
        `node name ${r.nodeName} reused for a different identity`,
      );
      return;
    }
    this.resourceMap.set(r.nodeName, { ...r });
  }

  /** True if a span at this level would be recorded. */
  enabled(level: SpanLevel): boolean {
    return level === 'info' || this.traceEnabled;
  }

  /** An instant span (start = end = now); null if filtered out by level. */
  emit<N extends SpanName>(node: string, name: N, attrs: SpanAttrs<N>, opts?: SpanOptions): SpanOf<N> | null {
    const level = opts?.level ?? 'info';
    if (level === 'trace' && !this.traceEnabled) return null;
    const parent = parentOf(opts?.parent);
    const traceId = parent === null ? this.newTraceId() : parent.traceId;
    const nowMs = this.clock.nowMs;
    return this.finish(node, name, level, traceId, this.newSpanId(), parent, nowMs, attrs as Attrs, opts?.links) as SpanOf<N>;
  }

  /** A span with duration: ids are drawn now, the record is appended at `end()` with endMs = now. */
  start<N extends SpanName>(node: string, name: N, attrs: SpanAttrs<N>, opts?: SpanOptions): OpenSpan<N> {
    const level = opts?.level ?? 'info';
    if (level === 'trace' && !this.traceEnabled) return FILTERED_SPAN as OpenSpan<N>;
    const parent = parentOf(opts?.parent);
    const context: SpanContextRef = {
      traceId: parent === null ? this.newTraceId() : parent.traceId,
      spanId: this.newSpanId(),
    };
    const startMs = this.clock.nowMs;
    const links = opts?.links;
    let ended = false;
    return {
      context,
      recorded: true,
      end: (extraAttrs?: Partial<SpanAttrs<N>>): SpanOf<N> | null => {
        assert(!ended, `span ${name} ${context.spanId} ended twice`);
        ended = true;
        const finalAttrs = (extraAttrs === undefined ? attrs : { ...attrs, ...extraAttrs }) as Attrs;
        return this.finish(node, name, level, context.traceId, context.spanId, parent, startMs, finalAttrs, links) as SpanOf<N>;
      },
    };
  }

  /** Recorded spans per name, sorted by name. */
  countsByName(): ReadonlyMap<string, number> {
    const names = [...this.counts.keys()].sort();
    return new Map(names.map((n) => [n, this.counts.get(n) ?? 0]));
  }

  /** Number of recorded spans (also counted when records are not kept). */
  get recordCount(): number {
    return this.nextSeq;
  }

  /** Hex SHA-256 over the canonical serialization of every recorded span. */
  traceDigest(): string {
    assert(this.digest.count === this.nextSeq, 'digest missed records');
    return this.digest.hex();
  }

  private finish(
    node: string,
    name: SpanName,
    level: SpanLevel,
    traceId: string,
    spanId: string,
    parent: SpanContextRef | null,
    startMs: number,
    attrs: Attrs,
    links: readonly SpanContextRef[] | undefined,
  ): SpanRecord {
    const endMs = this.clock.nowMs;
    // Tested first, messages built only on failure: this runs for every span.
    if (!(Number.isSafeInteger(endMs) && endMs >= 0)) assert(false, `virtual time must be an integer ms: ${endMs}`);
    if (!(startMs <= endMs)) assert(false, `span ${name} ends before it starts: ${startMs} > ${endMs}`);
    if (!(endMs >= this.lastEndMs)) assert(false, `span ${name} finishes in the past: ${endMs} < ${this.lastEndMs}`);
    this.lastEndMs = endMs;
    const base = {
      seq: this.nextSeq++,
      traceId,
      spanId,
      parentSpanId: parent === null ? null : parent.spanId,
      node,
      name,
      level,
      startMs,
      endMs,
      attrs,
    };
    const record: SpanRecord = links !== undefined && links.length > 0 ? { ...base, links } : base;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    // The digest streams every record: it stays exact whatever is kept in memory.
    this.digest.add(record);
    if (this.keepRecords && (this.retain === null || this.retain(name, attrs))) {
      this.recordList.push(record);
      this.query.add(record);
    } else if (this.keepRecords) {
      this.droppedCount++;
    }
    const listeners = this.listeners.get(name);
    if (listeners !== undefined) for (const fn of listeners) fn(record);
    if (this.everyListeners !== null) for (const fn of this.everyListeners) fn(record);
    return record;
  }

  /** 16 random bytes as hex, never all zero. */
  private newTraceId(): string {
    for (;;) {
      const id = this.ids.hex(16);
      if (!isAllZero(id)) return id;
    }
  }

  /** 8 random bytes as hex, never all zero. */
  private newSpanId(): string {
    for (;;) {
      const id = this.ids.hex(8);
      if (!isAllZero(id)) return id;
    }
  }
}

function parentOf(parent: SpanContextRef | null | undefined): SpanContextRef | null {
  if (parent === undefined || parent === null || isAllZero(parent.spanId)) return null;
  assert(isValidContext(parent), `malformed parent context ${parent.traceId}/${parent.spanId}`);
  return parent;
}

function isAllZero(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}
