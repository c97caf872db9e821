/**
 * Bi-stream echo (SPEC §4, §6 `bi-stream-echo`). Goal: a running MeshNode echoes every 0x11
 * frame on a bidirectional stream back byte for byte — empty to 64 KiB payloads, frames split
 * across many writes, several streams at once — and drops a frame of a tag its bi service does
 * not serve with a span, without disturbing the stream or the node.
 * Method: a small cluster (observer + one node of each role) on the simulated network, plus a
 * bare client host that dials the gateway, opens bi streams, writes echo frames (honouring
 * backpressure) and decodes the replies with FrameDecoder(FRAME_LIMIT_BI). The mesh node closes
 * a connection no topic uses after 2 s, so each exchange finishes well within that.
 */
import { describe, expect, it } from 'vitest';
import { FRAME_LIMIT_BI, FrameDecoder, TAG_ECHO, type Frame } from '../src/protocol/framer.js';
import { encodeEcho } from '../src/protocol/traced.js';
import { Cluster } from '../src/scenario/cluster.js';
import { SWARM_TOPOLOGY } from '../src/catalog/mesh-scenarios.js';
import type { Connection, Stream } from '../src/sim/network/index.js';
import { NodeHost, type NodeContext } from '../src/sim/node-host.js';
import type { SimRng } from '../src/sim/rng.js';

const CLIENT_ID = 'c1'.repeat(32);
/** The exchange must finish before the node closes the unused connection (2 s grace). */
const EXCHANGE_BUDGET_MS = 1_500;

/** A booted cluster plus a client connected to its gateway. */
function setup(seed = 'bi-echo') {
  const cluster = new Cluster({ seed, topology: SWARM_TOPOLOGY });
  cluster.boot();
  cluster.scheduler.runFor(3_000);
  const gateway = cluster.plans.find((p) => p.role === 'gateway')!;
  expect(cluster.app(gateway.nodeId)).toBeDefined();
  let ctx: NodeContext | null = null;
  const client = new NodeHost(
    { scheduler: cluster.scheduler, network: cluster.network, telemetry: cluster.telemetry, rng: cluster.rng },
    { nodeId: CLIENT_ID, name: 'client', role: 'client', meshId: 'none' },
    (c) => {
      ctx = c;
      return { onIncoming: () => {}, stop: () => {} };
    },
  );
  client.start();
  let conn: Connection | null = null;
  ctx!.endpoint.dial(gateway.nodeId, (r) => {
    if (!r.ok) throw new Error(`dial failed: ${r.reason}`);
    conn = r.conn;
  });
  expect(cluster.scheduler.runUntil(() => conn !== null, { virtualMs: 1_000 }).ok).toBe(true);
  return { cluster, gateway, conn: conn! as Connection, rng: cluster.rng.fork('bi-echo-test') };
}

/** One bi stream: writes queued chunks as the send buffer allows, collects raw and decoded replies. */
class EchoClient {
  readonly frames: Frame[] = [];
  readonly errors: string[] = [];
  rawBytes = 0;
  private readonly raw: Uint8Array[] = [];
  private readonly queue: Uint8Array[] = [];
  private readonly decoder = new FrameDecoder(FRAME_LIMIT_BI);
  readonly stream: Stream;

  constructor(conn: Connection) {
    this.stream = conn.openBi();
    this.stream.onData = (bytes) => {
      this.raw.push(bytes);
      this.rawBytes += bytes.length;
      this.decoder.push(bytes);
      for (let r = this.decoder.next(); r !== null; r = this.decoder.next()) {
        if (!r.ok) {
          this.errors.push(r.error.kind);
          return;
        }
        this.frames.push(r.value);
      }
    };
    this.stream.onDrain = () => this.flush();
  }

  send(chunks: readonly Uint8Array[]): void {
    this.queue.push(...chunks);
    this.flush();
  }

  get pendingChunks(): number {
    return this.queue.length;
  }

  received(): Uint8Array {
    return Buffer.concat(this.raw);
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const r = this.stream.write(this.queue[0]);
      if (!r.ok) {
        expect(r.reason).toBe('backpressure');
        return;
      }
      this.queue.shift();
    }
  }
}

/** Split `bytes` at random points into pieces of 1..maxPieceBytes bytes. */
function split(bytes: Uint8Array, rng: SimRng, maxPieceBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = rng.rangeInclusive(1, maxPieceBytes);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const SIZES = [0, 1, 127, 128, 300, 4_096, 16_383, 16_384, 65_535, 65_536];

describe('bi streams of a mesh node', () => {
  it('bi-stream-echo', () => {
    const { cluster, conn, rng } = setup();
    const payloads = SIZES.map((n) => rng.bytes(n));
    const frames = payloads.map((p) => encodeEcho(p));
    const all = Buffer.concat(frames);

    // Stream 1: every frame in its own write. Stream 2: the same bytes cut into many writes,
    // most smaller than a frame header or straddling frame boundaries. Stream 3: pieces of a
    // few KiB, so 64 KiB frames arrive in dozens of chunks.
    const whole = new EchoClient(conn);
    whole.send(frames);
    const tiny = new EchoClient(conn);
    tiny.send([...split(all.subarray(0, 4_096), rng, 3), ...split(all.subarray(4_096), rng, 700)]);
    const pieces = new EchoClient(conn);
    pieces.send(split(all, rng, 5_000));
    expect(tiny.pendingChunks + pieces.pendingChunks).toBeGreaterThan(0); // backpressure was hit

    const clients = [whole, tiny, pieces];
    const done = (): boolean => clients.every((c) => c.rawBytes >= all.length);
    const report = cluster.scheduler.runUntil(done, { virtualMs: EXCHANGE_BUDGET_MS });
    expect(report.ok, `echo incomplete: ${clients.map((c) => c.rawBytes).join(', ')} of ${all.length} bytes`).toBe(true);
    for (const c of clients) {
      expect(c.errors).toEqual([]);
      expect(c.frames.map((f) => f.tag)).toEqual(SIZES.map(() => TAG_ECHO));
      expect(c.frames.map((f) => f.payload.length)).toEqual(SIZES);
      c.frames.forEach((f, i) => expect(Buffer.from(f.payload).equals(Buffer.from(payloads[i]))).toBe(true));
      expect(Buffer.from(c.received()).equals(all)).toBe(true);
    }
    expect(cluster.telemetry.query.find({ name: 'mesh.frame.decode_failed' })).toEqual([]);
    expect(cluster.telemetry.query.find({ name: 'mesh.bi.unknown_tag' })).toEqual([]);
  });

  it('many concurrent streams of 64 KiB frames are all echoed in full', () => {
    const { cluster, conn, rng } = setup('bi-echo-flood');
    const streams = Array.from({ length: 8 }, () => {
      const payload = rng.bytes(65_536);
      const c = new EchoClient(conn);
      c.send([encodeEcho(payload)]);
      return { c, payload };
    });
    const report = cluster.scheduler.runUntil(() => streams.every((s) => s.c.frames.length === 1), { virtualMs: EXCHANGE_BUDGET_MS });
    expect(report.ok, `echoed frames per stream: ${streams.map((s) => s.c.frames.length).join(', ')}`).toBe(true);
    for (const { c, payload } of streams) expect(Buffer.from(c.frames[0].payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('a tag the bi service does not serve yields mesh.bi.unknown_tag{tag,sizeBytes}; the stream keeps echoing', () => {
    const { cluster, gateway, conn } = setup('bi-echo-unknown');
    const c = new EchoClient(conn);
    // 0x05 is a control-plane tag and 0x10 a traced frame: valid frames, but not for this service.
    const control = Uint8Array.of(0x05, 3, 1, 2, 3);
    const traced = Uint8Array.of(0x10, 0);
    c.send([control, encodeEcho(Uint8Array.of(42)), traced, encodeEcho(Uint8Array.of(43))]);
    cluster.scheduler.runUntil(() => c.frames.length === 2, { virtualMs: EXCHANGE_BUDGET_MS });
    expect(c.frames.map((f) => [...f.payload])).toEqual([[42], [43]]);
    const spans = cluster.telemetry.query.find({ name: 'mesh.bi.unknown_tag' });
    expect(spans.map((s) => [s.node, s.attrs.tag, s.attrs.sizeBytes])).toEqual([
      [gateway.name, 0x05, 3],
      [gateway.name, 0x10, 0],
    ]);
  });

  it('a tag outside the wire format is rejected with a span, and the node keeps serving', () => {
    const { cluster, gateway, conn } = setup('bi-echo-garbage');
    const bad = new EchoClient(conn);
    bad.send([Uint8Array.of(0x42, 2, 9, 9), encodeEcho(Uint8Array.of(1))]);
    cluster.scheduler.runFor(200);
    expect(bad.frames).toEqual([]);
    const spans = [
      ...cluster.telemetry.query.find({ name: 'mesh.bi.unknown_tag', node: gateway.name }),
      ...cluster.telemetry.query.find({ name: 'mesh.frame.decode_failed', node: gateway.name }),
    ];
    expect(spans).toHaveLength(1);
    expect(JSON.stringify(spans[0].attrs)).toMatch(/66|0x42/); // the tag is named (66 = 0x42)
    const good = new EchoClient(conn);
    good.send([encodeEcho(Uint8Array.of(7, 7))]);
    cluster.scheduler.runUntil(() => good.frames.length === 1, { virtualMs: EXCHANGE_BUDGET_MS });
    expect(good.frames.map((f) => [...f.payload])).toEqual([[7, 7]]);
    expect(cluster.app(gateway.nodeId)).toBeDefined();
  });
});
