/**
 * Public surface of the simulator's telemetry: the typed trace stream (records, hub, query,
 * digest) and the OpenTelemetry adapter over it.
 */
export {
  HARNESS_NODE,
  HARNESS_RESOURCE,
  INVALID_CONTEXT,
  isValidContext,
  type AttrValue,
  type Attrs,
  type NodeResource,
  type SpanContextRef,
  type SpanLevel,
  type SpanOf,
  type SpanRecord,
} from './span-record.js';
export { Telemetry, type OpenSpan, type SpanOptions, type SpanRetention, type TelemetryOptions } from './telemetry.js';
export { SpanQuery, type AnySpanFilter, type NamedSpanFilter, type SpanFilter, type SpanWindow } from './query.js';
export type { SpanAttrs, SpanName, SpanVocabulary, TallyName, TallyVocabulary } from './span-vocabulary.js';
export { TraceDigest, canonicalLine, canonicalTrace, traceDigestOf } from './digest.js';
export { msToHrTime, nodeResource, toOtelSpans, toOtlpJson } from './otel.js';
