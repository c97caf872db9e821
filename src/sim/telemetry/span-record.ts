/**
 * The typed trace stream's record: one finished span, stamped with virtual time (integer ms).
 * This stream is the source of truth; OpenTelemetry spans, OTLP JSON, the CLI output and the
 * HTML report are adapters over it. Plain data only: no OpenTelemetry types, no behaviour.
 */

import type { Attrs, SpanAttrs, SpanName } from './span-vocabulary.js';

export type { AttrValue, Attrs } from './span-vocabulary.js';

/** INFO spans (state transitions) are always recorded; TRACE spans (per frame / message) only when asked. */
export type SpanLevel = 'info' | 'trace';

/** A W3C-style span context: trace id 32 hex chars (16 bytes), span id 16 hex chars (8 bytes). */
export interface SpanContextRef {
  readonly traceId: string;
  readonly spanId: string;
}

export interface SpanRecord {
  /** Position in finish order, from 0. */
  readonly seq: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  /** Node name, or `HARNESS_NODE` for chaos and harness spans. */
  readonly node: string;
  /** A name from the span vocabulary (src/sim/telemetry/span-vocabulary.ts). */
  readonly name: SpanName;
  readonly level: SpanLevel;
  readonly startMs: number;
  readonly endMs: number;
  readonly attrs: Attrs;
  /** Present only when the span has links. */
  readonly links?: readonly SpanContextRef[];
}

/** A finished span of a known name, its attributes typed; it is still a SpanRecord. */
export type SpanOf<N extends SpanName> = Omit<SpanRecord, 'name' | 'attrs'> & { readonly name: N; readonly attrs: SpanAttrs<N> };

/** What an OpenTelemetry resource says about a node. */
export interface NodeResource {
  readonly nodeName: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly meshId: string;
}

/** The node name under which the harness (chaos primitives, detectors) emits its spans. */
export const HARNESS_NODE = 'harness';

export const HARNESS_RESOURCE: NodeResource = {
  nodeName: HARNESS_NODE,
  nodeId: HARNESS_NODE,
  nodeType: HARNESS_NODE,
  meshId: HARNESS_NODE,
};

export const TRACE_ID_HEX_LENGTH = 32;
export const SPAN_ID_HEX_LENGTH = 16;

/** True for a well-formed, non-zero context (OpenTelemetry treats an all-zero id as invalid). */
export function isValidContext(ctx: SpanContextRef): boolean {
  return (
    ctx.traceId.length === TRACE_ID_HEX_LENGTH &&
    ctx.spanId.length === SPAN_ID_HEX_LENGTH &&
    /^[0-9a-f]+$/.test(ctx.traceId) &&
    /^[0-9a-f]+$/.test(ctx.spanId) &&
    !/^0+$/.test(ctx.traceId) &&
    !/^0+$/.test(ctx.spanId)
  );
}

/**
 * The context of a span that was filtered out by level. Passing it as a parent starts a new
 * trace, as OpenTelemetry does with an invalid parent.
 */
export const INVALID_CONTEXT: SpanContextRef = {
  traceId: '0'.repeat(TRACE_ID_HEX_LENGTH),
  spanId: '0'.repeat(SPAN_ID_HEX_LENGTH),
};
