/**
 * OTLP/JSON export of a run: the trace stream as an ExportTraceServiceRequest, serialized by
 * OpenTelemetry JS's own `JsonTraceSerializer` (@opentelemetry/otlp-transformer 0.219.0, the
 * release built against core/sdk-trace-base 2.8.0) via `toOtlpJson`. One resource per node
 * (service.name = node name, 'harness' for chaos spans), virtual [s, ns] timestamps, the
 * record's own ids and parents, so:
 * - a Hello receiver's `mesh.cross.peer_connected` is a child of the sender's `mesh.peer.connected`
 *   (trace context carried in the traced frame);
 * - `chaos.primitive.detected` is a child of `chaos.primitive.applied` and LINKS to its evidence;
 *   each linked evidence span also has a `chaos.primitive.evidence` child of `detected` on the
 *   evidence node's resource (emitted by the engine, naming the original span in its attributes).
 * The output is a pure function of the records: the same seed gives the same bytes.
 */
import { toOtlpJson, type Telemetry } from '../sim/telemetry/index.js';

export function otlpJsonOfRun(telemetry: Telemetry): string {
  return toOtlpJson(telemetry.records, telemetry.resources);
}

/** What an OTLP JSON document says about itself, for tests and the CLI's one-line note. */
export interface OtlpSummary {
  readonly resources: number;
  readonly spans: number;
}

interface OtlpDocument {
  readonly resourceSpans?: readonly { readonly scopeSpans?: readonly { readonly spans?: readonly unknown[] }[] }[];
}

export function summarizeOtlp(json: string): OtlpSummary {
  const doc = JSON.parse(json) as OtlpDocument;
  const resourceSpans = doc.resourceSpans ?? [];
  let spans = 0;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
  return { resources: resourceSpans.length, spans };
}
