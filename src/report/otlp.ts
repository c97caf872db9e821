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
import { assert } from '../sim/assert.js';
import { toOtlpJson, type SpanRecord, type Telemetry } from '../sim/telemetry/index.js';

/**
 * The whole document as one string. A string holds at most about 512 M characters: a run whose
 * spans serialize to more (a 10,000-node chaos run: 1.4 M spans) needs `writeOtlpOfRun`.
 */
export function otlpJsonOfRun(telemetry: Telemetry): string {
  return toOtlpJson(telemetry.records, telemetry.resources);
}

const DOCUMENT_HEAD = '{"resourceSpans":[';
const DOCUMENT_TAIL = ']}';
/** Spans serialized at a time by `OtlpStream` by default: about 5 MB of JSON. */
export const OTLP_STREAM_BATCH = 10_000;
/** The most spans `otlpStreamBatch` puts in one batch: about 100 MB of serializer objects at once. */
const OTLP_STREAM_BATCH_MAX = 100_000;

/**
 * The batch for a run of `nodes` nodes: ten spans per node, from OTLP_STREAM_BATCH to
 * OTLP_STREAM_BATCH_MAX. Each batch gives every node in it a resource entry (and the serializer a
 * tracer per node). protocol-10k through `meshsim run --otlp`: batches of 10,000 spans held
 * about one span per node, 1.6 M entries for 3.06 M spans, 2.56 GB, 173.3 s; batches of 100,000,
 * 0.26 M entries, 1.98 GB, 166.0 s, the same 2.5 GB peak (about 98 s without the file).
 */
export function otlpStreamBatch(nodes: number): number {
  return Math.min(OTLP_STREAM_BATCH_MAX, Math.max(OTLP_STREAM_BATCH, 10 * nodes));
}

/**
 * The OTLP/JSON of a run written as the run goes, for a run that does not keep every span in
 * memory (above 1,000 nodes, per-pair and per-message spans are only counted and hashed): every
 * span recorded from construction on, of any name, kept or not, in finish order. Each
 * `batchSize` spans (`otlpStreamBatch`) are serialized as `otlpJsonOfRun` serializes a whole
 * run, and their resourceSpans entries appended to one ExportTraceServiceRequest, so a node's spans come in one
 * entry per batch it has spans in, as from an exporter that sends batches. `write` receives the
 * document in pieces; the same seed gives the same bytes.
 */
export class OtlpStream {
  private batch: SpanRecord[] = [];
  private spans = 0;
  private resourceEntries = 0;
  private bytes = 0;
  private finished = false;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly write: (chunk: string) => void,
    private readonly batchSize = OTLP_STREAM_BATCH,
  ) {
    this.emit(DOCUMENT_HEAD);
    telemetry.listenEvery((record) => {
      if (this.finished) return;
      this.batch.push(record);
      if (this.batch.length >= this.batchSize) this.flush();
    });
  }

  /** Writes what is left and closes the document; later spans are not written. */
  finish(): OtlpSummary & { readonly bytes: number } {
    if (!this.finished) {
      this.flush();
      this.emit(DOCUMENT_TAIL);
      this.finished = true;
    }
    return { resources: this.resourceEntries, spans: this.spans, bytes: this.bytes };
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.emit(`${this.spans === 0 ? '' : ','}${resourceSpansOf(this.batch, this.telemetry)}`);
    this.spans += this.batch.length;
    this.resourceEntries += new Set(this.batch.map((r) => r.node)).size; // one entry per node in the batch
    this.batch = [];
  }

  private emit(chunk: string): void {
    this.bytes += Buffer.byteLength(chunk);
    this.write(chunk);
  }
}

/** Spans `writeOtlpOfRun` serializes at a time, at most: some 50 MB of JSON and as much in serializer objects. */
export const OTLP_WRITE_BATCH = 50_000;

/**
 * The OTLP/JSON of the spans a run kept in memory, handed to `write` in pieces: `otlpJsonOfRun`'s
 * document without ever holding it whole (neither the string nor the serializer's objects for
 * every span). Nodes are taken in the order of their first span and serialized a group at a
 * time, each group's spans in record order, so a node's spans stay under one resource entry and
 * the bytes are `otlpJsonOfRun`'s exactly. Only a node with more than `batchSpans` spans of its
 * own is split, into one entry per `batchSpans` of them (as an exporter sending batches would).
 */
export function writeOtlpOfRun(
  telemetry: Telemetry,
  write: (chunk: string) => void,
  batchSpans = OTLP_WRITE_BATCH,
): OtlpSummary & { readonly bytes: number } {
  assert(Number.isInteger(batchSpans) && batchSpans > 0, 'OTLP batch must be a positive whole number of spans');
  const records = telemetry.records;
  // Group the nodes, in the order of their first span, so that each group holds about batchSpans.
  const spansOf = new Map<string, number>();
  for (const r of records) spansOf.set(r.node, (spansOf.get(r.node) ?? 0) + 1);
  const groupOf = new Map<string, number>();
  let groups = 0;
  let inGroup = 0;
  for (const [node, spans] of spansOf) {
    if (inGroup > 0 && inGroup + spans > batchSpans) {
      groups++;
      inGroup = 0;
    }
    groupOf.set(node, groups);
    inGroup += spans;
  }
  const batches: SpanRecord[][] = Array.from({ length: inGroup > 0 ? groups + 1 : 0 }, () => []);
  for (const r of records) batches[groupOf.get(r.node)!].push(r);
  let bytes = 0;
  let resources = 0;
  const emit = (chunk: string): void => {
    bytes += Buffer.byteLength(chunk);
    write(chunk);
  };
  emit(DOCUMENT_HEAD);
  let first = true;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    batches[b] = []; // let the group's records go with its serializer objects
    // A node over the batch on its own is the only member of its group; it is cut into pieces.
    for (let from = 0; from < batch.length; from += batchSpans) {
      const piece = batch.length <= batchSpans ? batch : batch.slice(from, from + batchSpans);
      emit(`${first ? '' : ','}${resourceSpansOf(piece, telemetry)}`);
      first = false;
      resources += new Set(piece.map((r) => r.node)).size;
    }
  }
  emit(DOCUMENT_TAIL);
  return { resources, spans: records.length, bytes };
}

/** The `resourceSpans` entries of `records`' document, without the brackets around them (to append to a document). */
function resourceSpansOf(records: readonly SpanRecord[], telemetry: Telemetry): string {
  const json = toOtlpJson(records, telemetry.resources);
  assert(json.startsWith(DOCUMENT_HEAD) && json.endsWith(DOCUMENT_TAIL), 'OTLP serializer wrote an unexpected document shape');
  return json.slice(DOCUMENT_HEAD.length, json.length - DOCUMENT_TAIL.length);
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
