/**
 * OpenTelemetry adapter: turns trace-stream records into real sdk-trace-base spans (ReadableSpan)
 * on demand, and those into OTLP JSON. Never on the simulation's hot path.
 *
 * SDK pitfalls handled here (SPEC §9): times are always passed as [seconds, nanos] HrTime, for the
 * start AND the end (a numeric time or a missing end time is rebased onto the wall clock); ids
 * come from an IdGenerator that replays the record's own ids; finished spans are collected by a
 * tiny processor that appends to an array (no timers, nothing dropped); sampler and limits are
 * explicit so OTEL_* environment variables cannot change the output.
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, HrTime, Link, Tracer } from '@opentelemetry/api';
import type * as OtelResources from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type * as OtelTraceBase from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type * as OtelTransformer from '@opentelemetry/otlp-transformer';
import { assert } from '../assert.js';
import type { NodeResource, SpanContextRef, SpanRecord } from './span-record.js';

/**
 * The OpenTelemetry packages, loaded on first use. They are some 220 module files that every
 * run, sweep worker, test file and CLI command loaded at start-up (half a second on a cold
 * cache), although only OTLP export needs them. They are CommonJS, so a synchronous require
 * keeps this module's functions synchronous.
 */
interface Otel {
  readonly api: typeof OtelApi;
  readonly resources: typeof OtelResources;
  readonly traceBase: typeof OtelTraceBase;
  readonly transformer: typeof OtelTransformer;
}
let loaded: Otel | null = null;
function otel(): Otel {
  if (loaded === null) {
    const require = createRequire(import.meta.url);
    loaded = {
      api: require('@opentelemetry/api') as typeof OtelApi,
      resources: require('@opentelemetry/resources') as typeof OtelResources,
      traceBase: require('@opentelemetry/sdk-trace-base') as typeof OtelTraceBase,
      transformer: require('@opentelemetry/otlp-transformer') as typeof OtelTransformer,
    };
  }
  return loaded;
}

const SCOPE_NAME = 'meshsim';
const SCOPE_VERSION = '0.1.0';
const LIMIT_COUNT = 1024;

/** Virtual ms → OpenTelemetry HrTime [seconds, nanoseconds]. */
export function msToHrTime(ms: number): [number, number] {
  assert(Number.isSafeInteger(ms) && ms >= 0, `virtual time must be a non-negative integer ms: ${ms}`);
  return [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
}

/** Hands out exactly the ids it was told to, so SDK spans carry the record's ids. */
class ReplayIdGenerator implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    assert(this.traceId !== '', 'trace id not primed');
    return this.traceId;
  }
  generateSpanId(): string {
    assert(this.spanId !== '', 'span id not primed');
    return this.spanId;
  }
}

/** Appends finished spans to an array; no timers, no drops. */
class CollectingProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(_span: Span, _parentContext: Context): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The OpenTelemetry resource for a node. */
export function nodeResource(r: NodeResource): Resource {
  return otel().resources.resourceFromAttributes({
    'service.name': r.nodeName,
    'service.instance.id': r.nodeId,
    'meshsim.node_type': r.nodeType,
    'meshsim.mesh_id': r.meshId,
  });
}

function spanContextOf(ref: SpanContextRef) {
  return { traceId: ref.traceId, spanId: ref.spanId, traceFlags: otel().api.TraceFlags.SAMPLED };
}

/**
 * Real SDK spans for the records, in record order: virtual [s, ns] times, the record's ids and
 * parent, its attributes plus `meshsim.level`, its links, status OK, kind INTERNAL, and one
 * Resource per node. A node without a registered resource gets one with only its name.
 */
export function toOtelSpans(
  records: readonly SpanRecord[],
  resources: ReadonlyMap<string, NodeResource>,
): ReadableSpan[] {
  const { api, resources: otelResources, traceBase } = otel();
  const ids = new ReplayIdGenerator();
  const processor = new CollectingProcessor();
  const tracers = new Map<string, Tracer>();
  const tracerFor = (node: string): Tracer => {
    let tracer = tracers.get(node);
    if (tracer === undefined) {
      const known = resources.get(node);
      const provider = new traceBase.BasicTracerProvider({
        resource: known === undefined ? otelResources.resourceFromAttributes({ 'service.name': node }) : nodeResource(known),
        idGenerator: ids,
        sampler: new traceBase.AlwaysOnSampler(),
        spanProcessors: [processor],
        spanLimits: {
          attributeCountLimit: LIMIT_COUNT,
          attributeValueLengthLimit: Infinity,
          linkCountLimit: LIMIT_COUNT,
          eventCountLimit: LIMIT_COUNT,
          attributePerEventCountLimit: LIMIT_COUNT,
          attributePerLinkCountLimit: LIMIT_COUNT,
        },
      });
      tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
      tracers.set(node, tracer);
    }
    return tracer;
  };
  for (const r of records) {
    ids.traceId = r.traceId;
    ids.spanId = r.spanId;
    const parentCtx =
      r.parentSpanId === null
        ? api.ROOT_CONTEXT
        : api.trace.setSpanContext(api.ROOT_CONTEXT, spanContextOf({ traceId: r.traceId, spanId: r.parentSpanId }));
    const links: Link[] = (r.links ?? []).map((l) => ({ context: spanContextOf(l) }));
    const attributes: Attributes = { ...r.attrs, 'meshsim.level': r.level };
    const startTime: HrTime = msToHrTime(r.startMs);
    const span = tracerFor(r.node).startSpan(
      r.name,
      { kind: api.SpanKind.INTERNAL, startTime, attributes, links },
      parentCtx,
    );
    span.setStatus({ code: api.SpanStatusCode.OK });
    span.end(msToHrTime(r.endMs));
  }
  assert(processor.spans.length === records.length, 'SDK dropped spans');
  return processor.spans;
}

/** OTLP/JSON (ExportTraceServiceRequest) for the records. */
export function toOtlpJson(
  records: readonly SpanRecord[],
  resources: ReadonlyMap<string, NodeResource>,
): string {
  const bytes = otel().transformer.JsonTraceSerializer.serializeRequest(toOtelSpans(records, resources));
  assert(bytes !== undefined, 'OTLP serializer returned nothing');
  return new TextDecoder().decode(bytes);
}
