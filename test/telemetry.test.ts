/**
 * Telemetry: the typed trace stream and its OpenTelemetry adapter.
 *
 * Goal: spans are filtered by level, indexed for detectors' queries, linked to their parents,
 * hashed into a digest that is stable and order-independent, and convert to real SDK spans that
 * carry virtual [s, ns] times, the record's ids and one resource per node, with no wall clock.
 * Method: drive a Telemetry hub with a hand-moved clock and a seeded SimRng, then inspect records,
 * query results, digests and the converted spans.
 */
import { describe, expect, it } from 'vitest';
import { SimRng } from '../src/sim/rng.js';
import {
  HARNESS_NODE,
  INVALID_CONTEXT,
  Telemetry,
  canonicalLine,
  msToHrTime,
  toOtelSpans,
  toOtlpJson,
  type NodeResource,
  type AnySpanFilter,
  type SpanLevel,
} from '../src/sim/telemetry/index.js';

class ManualClock {
  nowMs = 0;
}

function hub(traceLevel: SpanLevel = 'info', keepRecords = true) {
  const clock = new ManualClock();
  const telemetry = new Telemetry(clock, new SimRng('telemetry-test/ids'), { traceLevel, keepRecords });
  return { clock, telemetry };
}

const gateway: NodeResource = { nodeName: 'gateway-0a0b0c0d', nodeId: 'ab'.repeat(32), nodeType: 'gateway', meshId: 'mesh-a' };
const broker: NodeResource = { nodeName: 'broker-01020304', nodeId: 'cd'.repeat(32), nodeType: 'broker', meshId: 'mesh-b' };

/** A small fixed workload used by several tests. */
function workload(traceLevel: SpanLevel = 'info', keepRecords = true) {
  const { clock, telemetry } = hub(traceLevel, keepRecords);
  telemetry.registerResource(gateway);
  telemetry.registerResource(broker);
  telemetry.emit(gateway.nodeName, 'mesh.node.ready', { nodeId: gateway.nodeId, nodeName: gateway.nodeName, nodeType: 'gateway', meshId: 'mesh-a' });
  clock.nowMs = 50;
  telemetry.emit(broker.nodeName, 'mesh.node.ready', { nodeId: broker.nodeId, nodeName: broker.nodeName, nodeType: 'broker', meshId: 'mesh-b' });
  clock.nowMs = 120;
  telemetry.emit(gateway.nodeName, 'mesh.peer.connected', { peerId: broker.nodeId, direction: 'outbound' });
  telemetry.emit(broker.nodeName, 'mesh.gossip.received', { topic: 't', from: 'x' }, { level: 'trace' });
  clock.nowMs = 5000;
  telemetry.emit(gateway.nodeName, 'mesh.heartbeat', { peerCount: 1, wallTimeMs: 5000, clockSkewMs: 0 });
  telemetry.emit(broker.nodeName, 'mesh.heartbeat', { peerCount: 1, wallTimeMs: 5003, clockSkewMs: 3 });
  return { clock, telemetry };
}

describe('levels', () => {
  it('drops TRACE spans unless asked for, and records INFO always', () => {
    const off = workload('info').telemetry;
    expect(off.traceEnabled).toBe(false);
    expect(off.records.map((r) => r.name)).not.toContain('mesh.gossip.received');
    expect(off.records).toHaveLength(5);
    const on = workload('trace').telemetry;
    expect(on.traceEnabled).toBe(true);
    expect(on.records).toHaveLength(6);
    const traced = on.query.first({ name: 'mesh.gossip.received' });
    expect(traced?.level).toBe('trace');
  });

  it('emit returns null and start returns an unrecorded span when filtered', () => {
    const { telemetry } = hub('info');
    expect(telemetry.emit('n', 'app.x', {}, { level: 'trace' })).toBeNull();
    const open = telemetry.start('n', 'app.y', {}, { level: 'trace' });
    expect(open.recorded).toBe(false);
    expect(open.context).toEqual(INVALID_CONTEXT);
    expect(open.end()).toBeNull();
    // An invalid parent starts a new trace rather than linking to zeros.
    const child = telemetry.emit('n', 'app.z', {}, { parent: open.context });
    expect(child?.parentSpanId).toBeNull();
    expect(telemetry.records).toHaveLength(1);
  });
});

describe('records and ids', () => {
  it('stamps virtual time, sequence numbers and well-formed non-zero ids', () => {
    const { telemetry } = workload();
    telemetry.records.forEach((r, i) => {
      expect(r.seq).toBe(i);
      expect(r.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(r.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(r.traceId).not.toMatch(/^0+$/);
      expect(r.startMs).toBe(r.endMs);
    });
    expect(telemetry.records.map((r) => r.endMs)).toEqual([0, 50, 120, 5000, 5000]);
  });

  it('links a child to its parent and keeps the trace id', () => {
    const { clock, telemetry } = hub();
    const parent = telemetry.emit('a', 'mesh.gossip.broadcast', { topic: 't', sizeBytes: 10 })!;
    clock.nowMs = 7;
    const child = telemetry.emit('b', 'mesh.gossip.received', { topic: 't', from: 'a' }, { parent })!;
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.spanId).not.toBe(parent.spanId);
    expect(parent.parentSpanId).toBeNull();
    const other = telemetry.emit('c', 'mesh.heartbeat', { peerCount: 0, wallTimeMs: 7, clockSkewMs: 0 })!;
    expect(other.traceId).not.toBe(parent.traceId);
  });

  it('start/end records a span with duration, children may reference it before it ends', () => {
    const { clock, telemetry } = hub();
    clock.nowMs = 100;
    const chaos = telemetry.start(HARNESS_NODE, 'chaos.primitive.applied', { name: 'kill_node', targets: 'n1' });
    clock.nowMs = 150;
    const inner = telemetry.emit('n2', 'mesh.peer.disconnected', { peerId: 'n1', reason: 'idle' }, { parent: chaos.context })!;
    clock.nowMs = 400;
    const rec = chaos.end({ targets: 'n1,n2', params: '{}' })!;
    expect(rec.startMs).toBe(100);
    expect(rec.endMs).toBe(400);
    expect(rec.spanId).toBe(chaos.context.spanId);
    expect(rec.attrs).toEqual({ name: 'kill_node', targets: 'n1,n2', params: '{}' });
    expect(inner.parentSpanId).toBe(rec.spanId);
    expect(telemetry.records.map((r) => r.name)).toEqual(['mesh.peer.disconnected', 'chaos.primitive.applied']);
    expect(() => chaos.end()).toThrow(/ended twice/);
  });

  it('keeps links and counts by name (sorted)', () => {
    const { telemetry } = workload();
    const a = telemetry.records[0];
    const linked = telemetry.emit('n', 'mesh.plumtree.graft', { topic: 't', peerId: 'p' }, { links: [a] })!;
    expect(linked.links).toEqual([a]);
    expect([...telemetry.countsByName()]).toEqual([
      ['mesh.heartbeat', 2],
      ['mesh.node.ready', 2],
      ['mesh.peer.connected', 1],
      ['mesh.plumtree.graft', 1],
    ]);
  });

  it('asserts that time never goes backwards between finished spans', () => {
    const { clock, telemetry } = hub();
    clock.nowMs = 10;
    telemetry.emit('n', 'app.a', {});
    clock.nowMs = 9;
    expect(() => telemetry.emit('n', 'app.b', {})).toThrow(/past/);
  });

  it('registers a resource per node, with harness by default; a restart re-registers the same identity', () => {
    const { telemetry } = workload();
    expect([...telemetry.resources.keys()]).toEqual([HARNESS_NODE, gateway.nodeName, broker.nodeName]);
    telemetry.registerResource({ ...gateway });
    expect(() => telemetry.registerResource({ ...gateway, nodeId: 'ff'.repeat(32) })).toThrow(/different identity/);
  });
});

describe('query', () => {
  it('finds by name, node, attribute and time window (inclusive)', () => {
    const { telemetry } = workload('trace');
    const q = telemetry.query;
    expect(q.find({ name: 'mesh.node.ready' }).map((r) => r.node)).toEqual([gateway.nodeName, broker.nodeName]);
    expect(q.count({ node: broker.nodeName })).toBe(3);
    expect(q.find({ name: 'mesh.heartbeat', node: broker.nodeName }).map((r) => r.attrs.clockSkewMs)).toEqual([3]);
    expect(q.count({ attrs: { peerCount: 1 } })).toBe(2);
    expect(q.count({ name: 'mesh.heartbeat', attrs: { peerCount: 1, clockSkewMs: 3 } })).toBe(1);
    expect(q.count({ attrs: { peerCount: '1' } })).toBe(0);
    expect(q.find({ sinceMs: 50, untilMs: 120 }).map((r) => r.endMs)).toEqual([50, 120, 120]);
    expect(q.count({ sinceMs: 51, untilMs: 119 })).toBe(0);
    expect(q.count({ name: 'mesh.heartbeat', sinceMs: 5000 })).toBe(2);
    expect(q.count({ name: 'mesh.heartbeat', untilMs: 4999 })).toBe(0);
    expect(q.first({ name: 'mesh.heartbeat' })?.node).toBe(gateway.nodeName);
    expect(q.last({ name: 'mesh.heartbeat' })?.node).toBe(broker.nodeName);
    expect(q.first({ name: 'app.nope' })).toBeUndefined();
    expect(q.find({ node: 'nobody' })).toEqual([]);
  });

  it('agrees with a linear scan on a larger stream', () => {
    const { clock, telemetry } = hub('trace');
    const names = ['app.a', 'app.b', 'app.c'] as const;
    const nodes = ['n0', 'n1', 'n2', 'n3'];
    const rng = new SimRng('query-model');
    // Spans, questions, more spans, more questions: an index built at a question is kept up after it.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1000; i++) {
        clock.nowMs += rng.int(3);
        telemetry.emit(rng.pick(nodes), rng.pick(names), { k: rng.int(4) });
      }
      const all = telemetry.records;
      for (let i = 0; i < 200; i++) {
        const since = rng.int(clock.nowMs + 1);
        const filter = {
          name: rng.chance(1, 2) ? rng.pick(names) : undefined,
          node: rng.chance(1, 2) ? rng.pick(nodes) : undefined,
          sinceMs: since,
          untilMs: since + rng.int(200),
          attrs: rng.chance(1, 2) ? { k: rng.int(4) } : undefined,
        };
        const expected = all.filter(
          (r) =>
            (filter.name === undefined || r.name === filter.name) &&
            (filter.node === undefined || r.node === filter.node) &&
            r.endMs >= filter.sinceMs &&
            r.endMs <= filter.untilMs &&
            (filter.attrs === undefined || r.attrs.k === filter.attrs.k),
        );
        // A random filter, with or without a name: the query's types take one or the other.
        const any = filter as AnySpanFilter;
        expect(telemetry.query.find(any)).toEqual(expected);
        expect(telemetry.query.count(any)).toBe(expected.length);
        expect(telemetry.query.first(any)).toBe(expected[0]);
        expect(telemetry.query.last(any)).toBe(expected[expected.length - 1]);
      }
    }
  });
});

describe('traceDigest', () => {
  it('is stable for the same input and differs for different input', () => {
    const d1 = workload().telemetry.traceDigest();
    const d2 = workload().telemetry.traceDigest();
    expect(d1).toMatch(/^[0-9a-f]{64}$/);
    expect(d2).toBe(d1);
    const changed = workload().telemetry;
    changed.emit('n', 'mesh.node.stopping', { reason: 'test' });
    expect(changed.traceDigest()).not.toBe(d1);
    expect(workload('trace').telemetry.traceDigest()).not.toBe(d1);
  });

  it('does not depend on attribute insertion order', () => {
    const a = hub().telemetry;
    const b = hub().telemetry;
    a.emit('n', 'mesh.heartbeat', { peerCount: 1, wallTimeMs: 5, clockSkewMs: 0 });
    b.emit('n', 'mesh.heartbeat', { clockSkewMs: 0, wallTimeMs: 5, peerCount: 1 });
    expect(a.traceDigest()).toBe(b.traceDigest());
    expect(canonicalLine(a.records[0])).toBe(canonicalLine(b.records[0]));
  });

  it('is the same whether records are kept (lazy hashing) or not (eager), and grows incrementally', () => {
    const kept = workload('info', true).telemetry;
    const dropped = workload('info', false).telemetry;
    expect(dropped.records).toHaveLength(0);
    expect(dropped.recordCount).toBe(kept.recordCount);
    expect(dropped.traceDigest()).toBe(kept.traceDigest());
    const before = kept.traceDigest();
    kept.emit('n', 'app.x', {});
    dropped.emit('n', 'app.x', {});
    expect(kept.traceDigest()).not.toBe(before);
    expect(kept.traceDigest()).toBe(dropped.traceDigest());
  });

  it('canonical lines have keys in a fixed order and sorted attrs', () => {
    const { telemetry } = hub();
    const r = telemetry.emit('n', 'app.m', { b: 2, a: 'x', c: true })!;
    const line = canonicalLine(r);
    expect(line.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(line))).toEqual([
      'seq', 'traceId', 'spanId', 'parentSpanId', 'node', 'name', 'level', 'startMs', 'endMs', 'attrs', 'links',
    ]);
    expect(line).toContain('"attrs":{"a":"x","b":2,"c":true}');
  });
});

describe('OpenTelemetry adapter', () => {
  it('converts ms to [s, ns]', () => {
    expect(msToHrTime(1234567)).toEqual([1234, 567000000]);
    expect(msToHrTime(0)).toEqual([0, 0]);
    expect(msToHrTime(999)).toEqual([0, 999000000]);
    expect(() => msToHrTime(1.5)).toThrow();
  });

  it('stamps SDK spans with virtual [s, ns] start and end equal to the record times', () => {
    const { clock, telemetry } = hub();
    clock.nowMs = 1234000;
    const open = telemetry.start(HARNESS_NODE, 'chaos.primitive.applied', { name: 'wedge_node', targets: 'n' });
    clock.nowMs = 1234567;
    open.end();
    const [span] = toOtelSpans(telemetry.records, telemetry.resources);
    expect(span.startTime).toEqual([1234, 0]);
    expect(span.endTime).toEqual([1234, 567000000]);
    expect(span.duration).toEqual([0, 567000000]);
    expect(span.ended).toBe(true);
  });

  it('leaks no wall clock: a span at virtual time 0 starts and ends at [0, 0]', () => {
    const { telemetry } = hub();
    telemetry.emit('n', 'app.ready', {});
    const [span] = toOtelSpans(telemetry.records, telemetry.resources);
    expect(span.startTime).toEqual([0, 0]);
    expect(span.endTime).toEqual([0, 0]);
  });

  it('carries the record ids, parent, attributes, links, kind, status and per-node resource', () => {
    const { clock, telemetry } = workload();
    const parent = telemetry.records[2];
    clock.nowMs = 6000;
    telemetry.emit(broker.nodeName, 'mesh.gossip.neighbor_up', { topic: 't', peerId: gateway.nodeId }, {
      parent,
      links: [telemetry.records[0]],
    });
    telemetry.emit('unregistered-node', 'mesh.heartbeat', { peerCount: 0, wallTimeMs: 1, clockSkewMs: 0 });
    const spans = toOtelSpans(telemetry.records, telemetry.resources);
    expect(spans).toHaveLength(telemetry.records.length);
    spans.forEach((span, i) => {
      const r = telemetry.records[i];
      expect(span.name).toBe(r.name);
      expect(span.spanContext().traceId).toBe(r.traceId);
      expect(span.spanContext().spanId).toBe(r.spanId);
      expect(span.parentSpanContext?.spanId).toBe(r.parentSpanId ?? undefined);
      expect(span.attributes).toEqual({ ...r.attrs, 'meshsim.level': r.level });
      expect(span.kind).toBe(0); // SpanKind.INTERNAL
      expect(span.status.code).toBe(1); // SpanStatusCode.OK
      expect(span.startTime).toEqual(msToHrTime(r.startMs));
      expect(span.endTime).toEqual(msToHrTime(r.endMs));
    });
    const child = spans[5];
    expect(child.parentSpanContext?.traceId).toBe(parent.traceId);
    expect(child.links.map((l) => l.context.spanId)).toEqual([telemetry.records[0].spanId]);
    expect(spans[0].resource.attributes).toEqual({
      'service.name': gateway.nodeName,
      'service.instance.id': gateway.nodeId,
      'meshsim.node_type': 'gateway',
      'meshsim.mesh_id': 'mesh-a',
    });
    expect(spans[1].resource.attributes['service.name']).toBe(broker.nodeName);
    expect(spans[1].resource.attributes['meshsim.mesh_id']).toBe('mesh-b');
    expect(spans[0].resource).toBe(spans[2].resource);
    expect(spans[6].resource.attributes).toEqual({ 'service.name': 'unregistered-node' });
  });

  it('serializes to OTLP JSON that parses and groups spans by node resource', () => {
    const { telemetry } = workload();
    const json = toOtlpJson(telemetry.records, telemetry.resources);
    const parsed = JSON.parse(json) as {
      resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; startTimeUnixNano: string }[] }[] }[];
    };
    expect(parsed.resourceSpans).toHaveLength(2);
    const names = parsed.resourceSpans.map(
      (rs) => rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
    );
    expect(names).toEqual([gateway.nodeName, broker.nodeName]);
    const spans = parsed.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans));
    expect(spans).toHaveLength(5);
    expect(spans.map((s) => s.traceId).sort()).toEqual(telemetry.records.map((r) => r.traceId).sort());
    expect(json).toBe(toOtlpJson(telemetry.records, telemetry.resources));
  });
});

describe('id drawing', () => {
  it('SimRng.hex is the hex of SimRng.bytes for the same draws (span ids keep their values)', () => {
    const a = new SimRng('hex-check');
    const b = new SimRng('hex-check');
    for (let i = 0; i < 2_000; i++) {
      const n = [8, 16, 32, 3, 5][i % 5];
      expect(a.hex(n)).toBe(Buffer.from(b.bytes(n)).toString('hex'));
    }
  });
});
