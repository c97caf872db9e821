/**
 * OTLP export (issue: make chaos visible). Goal: `meshsim run --otlp` output is a valid OTLP/JSON
 * ExportTraceServiceRequest that a trace viewer can load and that says what happened: one resource
 * per node with service.name, virtual timestamps, the receiver of a traced Hello as a child of the
 * sender's span, the chaos event's detection tied to its evidence (links + evidence children), and
 * the same bytes for the same seed. Method: run the kill-node battery scenario twice with one seed,
 * export both, parse and compare against the trace stream the export was made from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { otlpJsonOfRun, summarizeOtlp } from '../../src/report/otlp.js';
import { findScenario } from '../../src/catalog/registry.js';
import { runScenario, type RunOutcome } from '../../src/scenario/runner.js';

interface OtlpAttr { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number } }
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttr[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpDoc { resourceSpans: { resource: { attributes: OtlpAttr[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] }
interface Placed { span: OtlpSpan; service: string }

const SEED = '11';
let outcome: RunOutcome;
let json: string;
let doc: OtlpDoc;
let spans: Placed[];
let byId: Map<string, Placed>;

const attr = (attrs: OtlpAttr[], key: string): string | undefined => {
  const v = attrs.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : String(v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue);
};

beforeAll(() => {
  outcome = runScenario(findScenario('kill-node')!, SEED);
  json = otlpJsonOfRun(outcome.cluster.telemetry);
  doc = JSON.parse(json) as OtlpDoc;
  spans = doc.resourceSpans.flatMap((rs) => {
    const service = attr(rs.resource.attributes, 'service.name') ?? '';
    return rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, service })));
  });
  byId = new Map(spans.map((p) => [p.span.spanId, p]));
});

describe('OTLP/JSON export', () => {
  it('parses as an ExportTraceServiceRequest holding every recorded span once', () => {
    const records = outcome.cluster.telemetry.records;
    expect(spans.length).toBe(records.length);
    expect(byId.size).toBe(records.length);
    expect(summarizeOtlp(json)).toEqual({ resources: doc.resourceSpans.length, spans: records.length });
    for (const p of spans) {
      expect(p.span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(p.span.spanId).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('has one resource per node, each with service.name, plus the harness for chaos spans', () => {
    const services = doc.resourceSpans.map((rs) => attr(rs.resource.attributes, 'service.name'));
    expect(services.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
    expect(new Set(services).size).toBe(services.length);
    const nodeNames = outcome.cluster.plans.map((p) => p.name);
    expect([...services].sort()).toEqual([...nodeNames, 'harness'].sort());
    const observer = doc.resourceSpans.find((rs) => attr(rs.resource.attributes, 'service.name')!.startsWith('observer-'))!;
    expect(attr(observer.resource.attributes, 'meshsim.node_type')).toBe('observer');
    expect(attr(observer.resource.attributes, 'service.instance.id')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stamps every span with its virtual time, not the wall clock', () => {
    const recordById = new Map(outcome.cluster.telemetry.records.map((r) => [r.spanId, r]));
    for (const p of spans) {
      const r = recordById.get(p.span.spanId)!;
      expect(p.span.startTimeUnixNano).toBe(String(BigInt(r.startMs) * 1_000_000n));
      expect(p.span.endTimeUnixNano).toBe(String(BigInt(r.endMs) * 1_000_000n));
      // Virtual time of a run is minutes from 0; a wall-clock stamp would be decades of ns.
      expect(BigInt(p.span.endTimeUnixNano) < 10n ** 15n).toBe(true);
    }
  });

  it('carries trace context across traced frames: a Hello receiver\'s span is a child of the sender\'s', () => {
    const cross = spans.filter((p) => p.span.name === 'mesh.cross.peer_connected');
    expect(cross.length).toBeGreaterThan(10);
    for (const p of cross) {
      const parent = byId.get(p.span.parentSpanId ?? '');
      expect(parent, `parent of ${p.service} ${p.span.spanId}`).toBeDefined();
      expect(parent!.span.name).toBe('mesh.peer.connected');
      expect(parent!.span.traceId).toBe(p.span.traceId);
      // Another node's resource: the context crossed the (simulated) wire.
      expect(parent!.service).not.toBe(p.service);
      const peerName = outcome.cluster.nameOf(attr(p.span.attributes, 'peerId')!);
      expect(parent!.service).toBe(peerName);
    }
  });

  it('ties the chaos event to its evidence: detected is a child of applied, links the evidence, and has evidence children', () => {
    const applied = spans.filter((p) => p.span.name === 'chaos.primitive.applied');
    expect(applied).toHaveLength(1);
    const detected = spans.find((p) => p.span.name === 'chaos.primitive.detected')!;
    expect(detected.span.parentSpanId).toBe(applied[0].span.spanId);
    expect(detected.service).toBe('harness');
    const links = detected.span.links ?? [];
    expect(links.length).toBeGreaterThan(0);
    const children = spans.filter((p) => p.span.name === 'chaos.primitive.evidence');
    expect(children).toHaveLength(links.length);
    for (const link of links) {
      const evidence = byId.get(link.spanId)!;
      expect(evidence.span.traceId).toBe(link.traceId);
      // Spans are grouped by resource in OTLP, so the child is found by the span it names.
      const child = children.find((c) => attr(c.span.attributes, 'evidenceSpanId') === link.spanId)!;
      expect(child).toBeDefined();
      expect(child.span.parentSpanId).toBe(detected.span.spanId);
      expect(child.span.traceId).toBe(detected.span.traceId);
      expect(child.service).toBe(evidence.service);
      expect(attr(child.span.attributes, 'evidenceSpanId')).toBe(link.spanId);
      expect(attr(child.span.attributes, 'evidenceName')).toBe(evidence.span.name);
      expect(child.span.links?.[0]?.spanId).toBe(link.spanId);
    }
  });

  it('gives identical bytes for the same seed and different bytes for another seed', () => {
    const again = otlpJsonOfRun(runScenario(findScenario('kill-node')!, SEED).cluster.telemetry);
    expect(again === json).toBe(true);
    const other = otlpJsonOfRun(runScenario(findScenario('default')!, '12', { durationMs: 5_000 }).cluster.telemetry);
    expect(other === json).toBe(false);
  });
});
