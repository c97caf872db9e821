/**
 * Simulated network (SPEC §3). Goal: every fault knob does what chaos primitives rely on —
 * partition/repair, stateful inbound firewall, NAT remap, loss with retransmission, bandwidth
 * queueing, backpressure, keep-alive and idle timeout, explicit close — and streams stay
 * reliable and ordered. Method: two or three nodes on a fresh scheduler with a fixed seed; the
 * tests drive virtual time and assert on what the app-level callbacks saw and when.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { RngStreams } from '../src/sim/rng.js';
import { Scheduler } from '../src/sim/scheduler.js';
import {
  DATAGRAM_PAYLOAD_BYTES_MAX,
  Network,
  chunkPoolStats,
  lendChunk,
  setChunkPoisoning,
  type CloseReason,
  type Connection,
  type DialResult,
  type Endpoint,
  type EndpointOwner,
  type NetworkConfig,
  type Stream,
} from '../src/sim/network/index.js';

const DATAGRAM_BYTES = DATAGRAM_PAYLOAD_BYTES_MAX;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

class Host implements EndpointOwner {
  up = true;
  responsive = true;
  readonly queued: (() => void)[] = [];
  readonly incoming: Connection[] = [];
  isUp(): boolean {
    return this.up;
  }
  isResponsive(): boolean {
    return this.responsive;
  }
  deliver(fn: () => void): void {
    if (!this.up) return;
    if (this.responsive) fn();
    else this.queued.push(fn);
  }
  unwedge(): void {
    this.responsive = true;
    for (const fn of this.queued.splice(0)) fn();
  }
}

interface Node {
  host: Host;
  ep: Endpoint;
}

function world(config: Partial<NetworkConfig> = {}, seed = 'net-seed') {
  const sched = new Scheduler();
  const net = new Network(sched, new RngStreams(seed), config);
  const bind = (key: string, onIncoming?: (c: Connection) => void): Node => {
    const host = new Host();
    const ep = net.bind(key, host, (c) => {
      host.incoming.push(c);
      onIncoming?.(c);
    });
    return { host, ep };
  };
  /** Dial and run until the result is in; returns it with the virtual time it took. */
  const dial = (from: Node, to: string): { r: DialResult; tookMs: number } => {
    let r: DialResult | undefined;
    const startMs = sched.nowMs;
    from.ep.dial(to, (res) => (r = res));
    const report = sched.runUntil(() => r !== undefined, { virtualMs: 60_000 });
    expect(report.ok).toBe(true);
    return { r: r!, tookMs: sched.nowMs - startMs };
  };
  const connect = (from: Node, to: Node): { out: Connection; inc: Connection } => {
    const { r } = dial(from, to.ep.node);
    if (!r.ok) throw new Error(`dial failed: ${r.reason}`);
    sched.runFor(0);
    return { out: r.conn, inc: to.host.incoming[to.host.incoming.length - 1] };
  };
  const flat = (): void => {
    for (const x of [A, B, C])
      for (const y of [A, B, C]) if (x !== y) net.setLink(x, y, { latencyMs: 10, jitterMs: 0 });
  };
  return { sched, net, bind, dial, connect, flat };
}

/** A and B bound on flat 10 ms links, A's connection to B open: the setup of most one-connection tests. */
function connectedPair() {
  const w = world();
  w.flat();
  const a = w.bind(A);
  const b = w.bind(B);
  return { w, a, b, ...w.connect(a, b) };
}

/** Collects everything a stream delivers, with arrival times. */
function collect(s: Stream, sched: Scheduler): { chunks: Uint8Array[]; atMs: number[]; bytes: () => number[] } {
  const chunks: Uint8Array[] = [];
  const atMs: number[] = [];
  s.onData = (b) => {
    chunks.push(b);
    atMs.push(sched.nowMs);
  };
  return { chunks, atMs, bytes: () => chunks.flatMap((c) => Array.from(c)) };
}

/** Streams opened by the peer, with their collectors. */
function acceptStreams(conn: Connection, sched: Scheduler) {
  const got: { s: Stream; c: ReturnType<typeof collect> }[] = [];
  conn.onStream = (s) => got.push({ s, c: collect(s, sched) });
  return got;
}

function closes(conn: Connection, sched: Scheduler): { reason: CloseReason; atMs: number }[] {
  const out: { reason: CloseReason; atMs: number }[] = [];
  conn.onClose = (reason) => out.push({ reason, atMs: sched.nowMs });
  return out;
}

describe('network: dial and streams', () => {
  it('opens at the dialer after one RTT and at the acceptor after one way', () => {
    const w = world();
    w.flat();
    const a = w.bind(A);
    let incomingAtMs = -1;
    const b = w.bind(B, () => (incomingAtMs = w.sched.nowMs));
    const { r, tookMs } = w.dial(a, B);
    expect(r.ok).toBe(true);
    expect(tookMs).toBe(20);
    expect(incomingAtMs).toBe(10);
    expect(a.ep.connections()).toHaveLength(1);
    expect(b.ep.connections()).toHaveLength(1);
    expect(w.net.addressOf(A)).not.toBe(w.net.addressOf(B));
  });

  it('reports no-endpoint for a node that was never bound', () => {
    const w = world();
    const a = w.bind(A);
    const { r } = w.dial(a, C);
    expect(r).toEqual({ ok: false, reason: 'no-endpoint' });
  });

  it('echoes bytes over a bi stream byte for byte (with jitter and some loss)', () => {
    const w = world();
    w.net.setLink(A, B, { lossNum: 1, lossDen: 10, jitterMs: 20 });
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    inc.onStream = (s) => (s.onData = (bytes) => expect(s.write(bytes).ok).toBe(true));
    const s = out.openBi();
    const echoed = collect(s, w.sched);
    const rng = new RngStreams('payload').stream('p');
    const sent: number[] = [];
    for (let i = 0; i < 200; i++) {
      const chunk = rng.bytes(1 + rng.int(700));
      sent.push(...chunk);
      expect(s.write(chunk).ok).toBe(true);
    }
    w.sched.runFor(20_000);
    expect(echoed.bytes()).toEqual(sent);
    expect(w.net.stats.packetsLost).toBeGreaterThan(0);
  });

  it('forgets finished streams and closed connections (no table growth)', () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    let finished = 0;
    for (let i = 0; i < 50; i++) {
      const s = out.openUni();
      s.write(new Uint8Array([i]));
      s.finish();
    }
    inc.onStream = (s) => (s.onFinish = () => finished++);
    w.sched.runFor(1_000);
    expect(finished).toBe(50);
    expect(out.openStreams()).toHaveLength(0);
    expect(inc.openStreams()).toHaveLength(0);
    out.close();
    w.sched.runFor(1_000);
    expect(a.ep.connections()).toHaveLength(0);
    expect(b.ep.connections()).toHaveLength(0);
    expect(w.net.stats.connectionsOpened).toBe(w.net.stats.connectionsClosed);
  });

  it('routes every chunk to its own stream among many, as streams finish and open', () => {
    // Past a handful of streams an end keeps an index by id beside its list; chunks written
    // round-robin never find the stream of the one before, so each is looked up.
    const { w, out, inc } = connectedPair();
    const got = acceptStreams(inc, w.sched);
    const sent = new Map<number, number[]>();
    const streams = Array.from({ length: 12 }, () => out.openUni());
    const writeRound = (round: number): void => {
      for (const s of streams) {
        if (s.sendDone) continue;
        const bytes = [s.id & 0xff, round];
        sent.set(s.id, [...(sent.get(s.id) ?? []), ...bytes]);
        expect(s.write(Uint8Array.from(bytes)).ok).toBe(true);
        w.sched.runFor(1); // one packet per chunk: no chunk joins another's packet
      }
    };
    writeRound(0);
    w.sched.runFor(100);
    for (let i = 0; i < streams.length; i += 2) streams[i].finish();
    w.sched.runFor(100);
    streams.push(out.openUni(), out.openUni()); // new streams after others finished
    writeRound(1);
    writeRound(2);
    w.sched.runFor(100);
    expect(got.map((g) => g.s.id)).toEqual(streams.map((s) => s.id));
    for (const g of got) expect(g.c.bytes()).toEqual(sent.get(g.s.id));
    expect(out.openStreams().map((s) => s.id)).toEqual(streams.filter((s) => !s.sendDone).map((s) => s.id));
    expect(inc.openStreams().map((s) => s.id)).toEqual(streams.filter((s) => !s.sendDone).map((s) => s.id));
  });
});

describe('network: faults', () => {
  it('partition drops traffic both ways; repair restores it', () => {
    const { w, a, out, inc } = connectedPair();
    const atB = acceptStreams(inc, w.sched);
    const atA = acceptStreams(out, w.sched);
    w.net.partition(A, B);
    expect(w.net.link(A, B).blocked && w.net.link(B, A).blocked).toBe(true);
    out.openUni().write(new Uint8Array([1, 2, 3]));
    inc.openUni().write(new Uint8Array([4, 5]));
    w.sched.runFor(5_000);
    expect(atB).toHaveLength(0);
    expect(atA).toHaveLength(0);
    const blockedDial = w.dial(a, B);
    expect(blockedDial.r).toEqual({ ok: false, reason: 'timeout' });
    expect(blockedDial.tookMs).toBe(5_000);
    w.net.repair(A, B);
    w.sched.runFor(11_000); // Retransmissions back off to at most rtoMaxMs.
    expect(atB.map((x) => x.c.bytes())).toEqual([[1, 2, 3]]);
    expect(atA.map((x) => x.c.bytes())).toEqual([[4, 5]]);
    expect(out.isOpen && inc.isOpen).toBe(true);
    expect(w.dial(a, B).r.ok).toBe(true);
  });

  it('inbound firewall blocks dials to a node but not its own outbound connections', () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    w.net.setInboundFirewall(A, true);
    expect(w.dial(b, A).r).toEqual({ ok: false, reason: 'timeout' });
    const { out, inc } = w.connect(a, b);
    inc.onStream = (s) => (s.onData = (bytes) => s.write(bytes));
    const s = out.openBi();
    const echoed = collect(s, w.sched);
    s.write(new Uint8Array([9, 8, 7]));
    w.sched.runFor(60_000); // Longer than the idle timeout: keep-alives pass both ways.
    expect(echoed.bytes()).toEqual([9, 8, 7]);
    expect(out.isOpen && inc.isOpen).toBe(true);
    w.net.setInboundFirewall(A, false);
    expect(w.dial(b, A).r.ok).toBe(true);
  });

  it('NAT remap breaks old paths; a new dial reaches the new address', () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    const oldAddress = w.net.addressOf(A);
    const atA = acceptStreams(out, w.sched);
    const atB = acceptStreams(inc, w.sched);
    const closedA = closes(out, w.sched);
    const closedB = closes(inc, w.sched);
    const newAddress = w.net.remapAddress(A);
    expect(newAddress).not.toBe(oldAddress);
    expect(w.net.addressOf(A)).toBe(newAddress);
    out.openUni().write(new Uint8Array([1]));
    inc.openUni().write(new Uint8Array([2]));
    w.sched.runFor(31_000);
    expect(atA).toHaveLength(0);
    expect(atB).toHaveLength(0);
    expect(closedA.map((c) => c.reason)).toEqual(['idle-timeout']);
    expect(closedB.map((c) => c.reason)).toEqual(['idle-timeout']);
    const again = w.dial(b, A);
    expect(again.r.ok).toBe(true);
    if (again.r.ok) expect(again.r.conn.remoteAddr).toBe(newAddress);
    expect(w.dial(a, B).r.ok).toBe(true);
  });

  it('a killed peer is seen to idle out after exactly 30 s of silence, not before', () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    const { inc } = w.connect(a, b);
    const closed = closes(inc, w.sched);
    w.sched.runFor(7_000);
    a.host.up = false;
    a.ep.closeSilently();
    w.sched.runFor(100); // Packets already on the wire still land.
    const silentSinceMs = inc.lastReceivedAtMs;
    w.sched.runFor(silentSinceMs + 30_000 - 1 - w.sched.nowMs);
    expect(inc.isOpen).toBe(true);
    expect(closed).toHaveLength(0);
    w.sched.runFor(1);
    expect(closed).toEqual([{ reason: 'idle-timeout', atMs: silentSinceMs + 30_000 }]);
    expect(b.ep.connections()).toHaveLength(0);
  });

  it('keep-alives hold an idle connection open for minutes', () => {
    const w = world();
    w.net.setLink(A, B, { lossNum: 1, lossDen: 4 });
    w.net.setLink(B, A, { lossNum: 1, lossDen: 4 });
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    w.sched.runFor(300_000);
    expect(out.isOpen && inc.isOpen).toBe(true);
  });

  it('one timer per end serves keep-alive and idle: a quiet pair costs two events per end per keep-alive period', () => {
    const { w, out, inc } = connectedPair();
    w.sched.runFor(30_000); // Past the first idle deadline, so both deadlines have moved on.
    const sent = w.net.stats.packetsSent;
    const before = w.sched.eventsRun;
    w.sched.runFor(300_000);
    const keepAlives = w.net.stats.packetsSent - sent;
    // Every 15 s each end sends a keep-alive (one timer event, one arrival at the peer). A
    // separate idle chain would add a wake-up per end at each 30 s deadline it re-arms from.
    expect(keepAlives).toBe(2 * (300_000 / 15_000));
    expect(w.sched.eventsRun - before).toBe(2 * keepAlives);
    expect(out.isOpen && inc.isOpen).toBe(true);
  });

  it('a dialer\'s timer chain starts at the dial timeout: a connection closed before it costs each end one timer event', () => {
    const { w, out, inc } = connectedPair();
    const before = w.sched.eventsRun;
    out.close();
    w.sched.runFor(60_000);
    expect(inc.isOpen).toBe(false);
    // The CONNECTION_CLOSE's arrival, the dialer's fire at its dial timeout, the acceptor's
    // first look at 15 s. A separate dial-timeout timer would add one more for the dialer.
    expect(w.sched.eventsRun - before).toBe(3);
  });

  it('a 5 s wedge queues inbound work and disconnects nobody', () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    const atB = acceptStreams(inc, w.sched);
    w.sched.runFor(12_000);
    b.host.responsive = false;
    out.openUni().write(new Uint8Array([5]));
    w.sched.runFor(5_000);
    expect(atB).toHaveLength(0);
    expect(b.host.queued.length).toBeGreaterThan(0);
    b.host.unwedge();
    expect(atB.map((x) => x.c.bytes())).toEqual([[5]]);
    w.sched.runFor(60_000);
    expect(out.isOpen && inc.isOpen).toBe(true);
  });

  it('loss costs delay but not data, and keeps order', () => {
    const run = (lossNum: number) => {
      const w = world();
      w.net.setLink(A, B, { lossNum, lossDen: 10 });
      const a = w.bind(A);
      const b = w.bind(B);
      const { out, inc } = w.connect(a, b);
      const got = acceptStreams(inc, w.sched);
      const s = out.openUni();
      const startMs = w.sched.nowMs;
      // One chunk per millisecond: chunks written in one millisecond would share a packet.
      for (let i = 0; i < 300; i++) w.sched.at(startMs + i, () => s.write(new Uint8Array([i & 255, i >> 8])));
      w.sched.runUntil(() => got.length === 1 && got[0].c.chunks.length === 300, { virtualMs: 120_000 });
      const values = got[0].c.chunks.map((c) => c[0] | (c[1] << 8));
      return { values, lastMs: got[0].c.atMs[299] - startMs, lost: w.net.stats.packetsLost };
    };
    const clean = run(0);
    const lossy = run(3);
    const expected = Array.from({ length: 300 }, (_, i) => i);
    expect(clean.values).toEqual(expected);
    expect(lossy.values).toEqual(expected);
    expect(clean.lost).toBe(0);
    expect(lossy.lost).toBeGreaterThan(50);
    // At least one RTT more; less than an RTO, as later chunks get through and their
    // acknowledgements bring the resends forward (loss-detection.ts).
    expect(lossy.lastMs).toBeGreaterThan(clean.lastMs + 20);
    expect(lossy.lastMs).toBeLessThan(clean.lastMs + 200);
  });

  it('enough loss idles the connection out', () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    w.net.setLink(A, B, { lossNum: 1, lossDen: 1 });
    w.net.setLink(B, A, { lossNum: 1, lossDen: 1 });
    w.sched.runFor(30_100);
    expect(out.isOpen || inc.isOpen).toBe(false);
  });
});

/**
 * Acknowledgement-based loss detection (loss-detection.ts, RFC 9002 §6.1). Goal: a lost packet
 * is retransmitted once a packet its end sent after it is acknowledged (the delivery plus the
 * ACK's return, one link latency), by the packet threshold at once and by the time threshold
 * after 9/8 of the RTT, and starts its RTO backoff again; resends brought forward together go
 * in packet-number order; with nothing later delivered, or no way back for the ACK, a lost
 * packet waits its own RTO backoff as before; the same seed gives the same trace. Method: two
 * nodes, 10 ms each way without jitter (RTO 200 ms), the link blocked for exactly the attempts
 * that must be lost, and the arrival times of each chunk.
 */
describe('network: acknowledgements restart the idle timer (RFC 9000 §10.1)', () => {
  /**
   * A sends a byte a second to B for two minutes and B sends nothing of its own: A hears from B
   * only B's keep-alives and the acknowledgements of its bytes. `back` is the B → A direction.
   */
  const oneWay = (config: Partial<NetworkConfig>, back: Parameters<Network['setLink']>[2], wedgeB = false) => {
    const w = world(config);
    w.flat();
    const b = w.bind(B);
    const { out, inc } = w.connect(w.bind(A), b);
    const got = acceptStreams(inc, w.sched);
    const closedA = closes(out, w.sched);
    const closedB = closes(inc, w.sched);
    w.net.setLink(B, A, back);
    if (wedgeB) b.host.responsive = false;
    const s = out.openUni();
    for (let i = 0; i < 120 && out.isOpen; i++) {
      s.write(new Uint8Array([i & 0xff]));
      w.sched.runFor(1_000);
    }
    return { w, out, inc, got, closedA, closedB };
  };
  // Nineteen of every twenty packets B sends back are lost: its keep-alives, with their
  // retransmissions, nearly all. The acknowledgements of A's bytes are not drawn (wire.ts).
  const lossy = { latencyMs: 10, jitterMs: 0, lossNum: 19, lossDen: 20 };

  it('an end that only sends stays open while its packets are acknowledged, whatever the keep-alives back', () => {
    const { out, got, closedA, closedB } = oneWay({}, lossy);
    expect(closedA).toEqual([]);
    expect(closedB).toEqual([]);
    expect(out.isOpen).toBe(true);
    expect(got[0].c.chunks).toHaveLength(120);
  });

  it('red without them (acksRestartIdle false): the same end idles out with both processes alive', () => {
    const { closedA } = oneWay({ acksRestartIdle: false }, lossy);
    expect(closedA.map((c) => c.reason)).toEqual(['idle-timeout']);
  });

  it('an acknowledgement that cannot come back restarts nothing: a blocked way back, a wedged receiver', () => {
    const blocked = oneWay({}, { blocked: true });
    expect(blocked.closedA.map((c) => c.reason)).toEqual(['idle-timeout']);
    expect(blocked.closedA[0].atMs).toBe(blocked.out.lastReceivedAtMs + 30_000);
    // A wedged B still takes A's bytes in (queued) but neither acknowledges nor keeps alive.
    const wedged = oneWay({}, { latencyMs: 10, jitterMs: 0 }, true);
    expect(wedged.closedA.map((c) => c.reason)).toEqual(['idle-timeout']);
    expect(wedged.closedA[0].atMs).toBe(wedged.out.lastReceivedAtMs + 30_000);
  });
});

describe('network: loss detection', () => {
  const chunk = (v: number, sizeBytes = 1): Uint8Array => new Uint8Array(sizeBytes).fill(v);
  const setup = () => {
    const w = world();
    w.flat();
    const { out, inc } = w.connect(w.bind(A), w.bind(B));
    const got = acceptStreams(inc, w.sched);
    return { w, out, inc, s: out.openUni(), got, startMs: w.sched.nowMs };
  };
  /** Arrival times (relative to `startMs`) of the chunks the peer's one stream received. */
  const arrivals = (got: ReturnType<typeof acceptStreams>, startMs: number) => got[0].c.atMs.map((t) => t - startMs);

  it('a lost packet is resent when a later one is acknowledged, not at its RTO (time threshold)', () => {
    const { w, out, s, got, startMs } = setup();
    w.net.setLink(A, B, { blocked: true });
    s.write(chunk(1)); // lost at once; its RTO would resend it at +200
    w.sched.runFor(50);
    w.net.setLink(A, B, { blocked: false });
    s.write(chunk(2)); // delivered at +60, its ACK back at +70: chunk 1 went 70 ≥ 9/8·20 ms ago
    expect(out.lost).not.toBeNull();
    w.sched.runFor(500);
    expect(got[0].c.chunks.map((c) => c[0])).toEqual([1, 2]);
    expect(arrivals(got, startMs)).toEqual([80, 80]); // resent at +70, chunk 2 held until then
    expect(w.net.stats.packetsLost).toBe(1);
    expect(out.lost).toBeNull();
  });

  it('a packet sent too recently waits 9/8 of the RTT; three later packets declare it lost at once', () => {
    const run = (laterPackets: number) => {
      const { w, s, got, startMs } = setup();
      w.net.setLink(A, B, { blocked: true });
      s.write(chunk(1));
      w.net.setLink(A, B, { blocked: false });
      // Full-datagram chunks: each its own packet, although written in the same millisecond.
      for (let i = 0; i < laterPackets; i++) s.write(chunk(2 + i, DATAGRAM_BYTES));
      w.sched.runFor(500);
      expect(got[0].c.chunks).toHaveLength(1 + laterPackets);
      return arrivals(got, startMs)[0];
    };
    // One later packet: its ACK is back at +20, before 9/8 · 20 ms = 23 have passed: resent at +23.
    expect(run(1)).toBe(33);
    // The third later packet is three packet numbers on (kPacketThreshold): resent when its ACK is back.
    expect(run(3)).toBe(30);
  });

  it('with nothing later delivered a lost packet keeps its own RTO backoff', () => {
    const { w, s, got, startMs } = setup();
    w.net.setLink(A, B, { blocked: true });
    s.write(chunk(1)); // attempts at 0 and +200 are lost, the next one is due at +600
    w.sched.runFor(300);
    w.net.setLink(A, B, { blocked: false });
    w.sched.runFor(1_000);
    expect(arrivals(got, startMs)).toEqual([610]);
    expect(w.net.stats.packetsLost).toBe(2);
  });

  it('a packet declared lost by an acknowledgement starts its backoff again', () => {
    const { w, s, got, startMs } = setup();
    w.net.setLink(A, B, { blocked: true });
    s.write(chunk(1)); // lost at 0, +200 and +600; its next RTO would be 1,600 ms
    w.sched.runFor(700);
    w.net.setLink(A, B, { blocked: false });
    s.write(chunk(2)); // delivered at +710, its ACK back at +720
    w.sched.runFor(15);
    w.net.setLink(A, B, { blocked: true }); // the resend at +720 is lost too
    w.sched.runFor(85);
    w.net.setLink(A, B, { blocked: false });
    w.sched.runFor(3_000);
    expect(arrivals(got, startMs)).toEqual([930, 930]); // resent after the base RTO, 200 ms
    expect(w.net.stats.packetsLost).toBe(4);
  });

  it('an acknowledgement that cannot come back (return direction blocked) detects nothing', () => {
    const { w, s, got, startMs } = setup();
    w.net.setLink(A, B, { blocked: true });
    s.write(chunk(1));
    w.sched.runFor(50);
    w.net.setLink(A, B, { blocked: false });
    w.net.setLink(B, A, { blocked: true });
    s.write(chunk(2));
    w.sched.runFor(500);
    expect(arrivals(got, startMs)).toEqual([210, 210]); // the RTO's resend at +200
  });

  it('resends brought forward to one millisecond go in packet-number order, not in the order of the losses', () => {
    const { w, out, inc, s, startMs } = setup();
    const hostB = w.net.endpointOf(B)!.owner as Host;
    const order: string[] = [];
    inc.onStream = (t) => (t.onData = (bytes) => order.push(`${w.sched.nowMs - startMs}:${bytes[0]}`));
    const other = out.openUni();
    const third = out.openUni();
    hostB.up = false; // B refuses what arrives: losses found on arrival, in arrival order
    w.net.setLink(A, B, { latencyMs: 50 });
    s.write(chunk(1)); // packet number n, refused at +50
    w.sched.runFor(1);
    w.net.setLink(A, B, { latencyMs: 10 });
    other.write(chunk(2)); // packet number n + 1, refused at +11: lost first
    w.sched.runFor(99);
    hostB.up = true;
    third.write(chunk(3)); // delivered at +110, its ACK back at +120: both resent then, chunk 1 first
    w.sched.runFor(500);
    expect(order).toEqual(['110:3', '130:1', '130:2']);
  });

  it('the same seed gives the same trace under loss', () => {
    const run = (seed: string) => {
      const w = world({}, seed);
      w.net.setLink(A, B, { lossNum: 1, lossDen: 4, jitterMs: 30 });
      const { out, inc } = w.connect(w.bind(A), w.bind(B));
      const got = acceptStreams(inc, w.sched);
      const streams = [out.openUni(), out.openUni(), out.openUni()];
      for (let i = 0; i < 200; i++) w.sched.at(w.sched.nowMs + i, () => streams[i % 3].write(chunk(i & 255)));
      w.sched.runFor(30_000);
      expect(got.map((g) => g.c.chunks.length).sort()).toEqual([66, 67, 67]);
      return { stats: { ...w.net.stats }, atMs: got.map((g) => g.c.atMs), events: w.sched.eventsRun };
    };
    const first = run('s1');
    expect(first.stats.packetsLost).toBeGreaterThan(20);
    expect(run('s1')).toEqual(first);
    expect(run('s2')).not.toEqual(first);
  });
});

describe('network: lent chunks (chunk-pool.ts)', () => {
  afterEach(() => setChunkPoisoning(false));

  /** A lent chunk holding `n` bytes of value `v`. */
  const lent = (n: number, v: number): Uint8Array => lendChunk(n).fill(v);

  /** B's streams from A, each reader keeping (against its promise, to look) what it was handed. */
  const setup = (readsDataInCall: boolean) => {
    setChunkPoisoning(true);
    const { w, b, out, inc } = connectedPair();
    const seen: Uint8Array[] = [];
    const copies: number[][] = [];
    inc.onStream = (s) => {
      s.readsDataInCall = readsDataInCall;
      s.onData = (bytes) => {
        seen.push(bytes);
        copies.push(Array.from(bytes));
      };
    };
    return { w, b, out, seen, copies };
  };

  it('takes a chunk back once a reader that keeps no view has read it', () => {
    const { w, out, seen, copies } = setup(true);
    const returned = chunkPoolStats.chunksReturned;
    const s = out.openUni();
    s.writeOwned(lent(300, 1));
    w.sched.runFor(1); // a second write in a later millisecond: its own packet
    s.writeOwned(lent(200, 2));
    w.sched.runFor(1_000);
    expect(copies.map((c) => c.length)).toEqual([300, 200]);
    expect(copies[0].every((x) => x === 1) && copies[1].every((x) => x === 2)).toBe(true);
    expect(chunkPoolStats.chunksReturned - returned).toBe(2);
    // Poisoned on return: a reader that kept the view would read garbage.
    expect(seen[0].every((x) => x === 1)).toBe(false);
  });

  it('takes back chunks that joined a packet in its millisecond, each after its read', () => {
    const { w, out, copies } = setup(true);
    const returned = chunkPoolStats.chunksReturned;
    const sent = w.net.stats.packetsSent;
    const s = out.openUni();
    s.writeOwned(lent(100, 1));
    s.writeOwned(lent(100, 2)); // the same millisecond: joins the first packet
    w.sched.runFor(1_000);
    expect(w.net.stats.packetsSent - sent).toBe(1); // one packet carried both chunks
    expect(copies.map((c) => c[0])).toEqual([1, 2]);
    expect(chunkPoolStats.chunksReturned - returned).toBe(2);
  });

  it('leaves a chunk alone when its reader may keep views of it', () => {
    const { w, out, seen } = setup(false);
    const returned = chunkPoolStats.chunksReturned;
    out.openUni().writeOwned(lent(300, 5));
    w.sched.runFor(1_000);
    expect(seen).toHaveLength(1);
    expect(chunkPoolStats.chunksReturned).toBe(returned);
    for (let i = 0; i < 200; i++) lendChunk(300).fill(9); // the pool's slabs lent again
    expect(seen[0].every((x) => x === 5)).toBe(true);
  });

  it('keeps a chunk whose read the owner deferred (a wedged node) until after it is read', () => {
    const { w, b, out, seen, copies } = setup(true);
    const s = out.openUni();
    s.writeOwned(lent(300, 5)); // the stream is open at B (and its reader set) before the wedge
    w.sched.runFor(1_000);
    expect(seen).toHaveLength(1);
    const returned = chunkPoolStats.chunksReturned;
    b.host.responsive = false;
    s.writeOwned(lent(300, 6));
    w.sched.runFor(1_000);
    expect(seen).toHaveLength(1);
    for (let i = 0; i < 200; i++) lendChunk(300).fill(9); // the pool's slabs lent again
    b.host.unwedge();
    expect(copies).toHaveLength(2);
    expect(copies[1].every((x) => x === 6)).toBe(true);
    expect(chunkPoolStats.chunksReturned).toBe(returned);
  });

  it('keeps a chunk lost on the way for its retransmission', () => {
    const { w, out, copies } = setup(true);
    w.net.setLink(A, B, { lossNum: 1, lossDen: 5 });
    const s = out.openUni();
    for (let i = 1; i <= 40; i++) {
      s.writeOwned(lent(50, i));
      w.sched.runFor(1);
      for (let j = 0; j < 5; j++) lendChunk(50).fill(0xaa); // other writers take what comes back
    }
    w.sched.runFor(60_000);
    expect(w.net.stats.packetsLost).toBeGreaterThan(0);
    expect(copies.map((c) => c.every((x) => x === c[0]) ? c[0] : -1)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('network: flow control', () => {
  it('writes beyond the send buffer return backpressure; drain fires later', () => {
    const w = world({ sendBufferBytes: 1_000 });
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    const got = acceptStreams(inc, w.sched);
    const s = out.openUni();
    let drains = 0;
    s.onDrain = () => drains++;
    const chunk = new Uint8Array(300);
    expect([1, 2, 3].map(() => s.write(chunk).ok)).toEqual([true, true, true]);
    expect(s.write(chunk)).toEqual({ ok: false, reason: 'backpressure' });
    expect(s.bufferedBytes).toBe(900);
    expect(drains).toBe(0);
    w.sched.runFor(100);
    expect(drains).toBe(1);
    expect(s.bufferedBytes).toBe(0);
    expect(s.write(chunk).ok).toBe(true);
    w.sched.runFor(100);
    expect(got[0].c.chunks).toHaveLength(4);
  });

  it('bandwidth queues packets FIFO and delays them by their transmission time', () => {
    const w = world();
    w.flat();
    // 1 000 bytes/s: a packet of 68 payload bytes + 32 overhead takes 100 ms to serialize.
    w.net.setLink(A, B, { bandwidthBytesPerSec: 1_000 });
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    const got = acceptStreams(inc, w.sched);
    const s = out.openUni();
    const startMs = w.sched.nowMs;
    for (let i = 0; i < 5; i++) s.write(new Uint8Array(68).fill(i));
    w.sched.runFor(2_000);
    expect(got[0].c.atMs.map((t) => t - startMs)).toEqual([110, 210, 310, 410, 510]);
    expect(got[0].c.chunks.map((c) => c[0])).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('network: close', () => {
  it('explicit close is heard by the peer when the link is up', () => {
    const { w, out, inc } = connectedPair();
    const closedA = closes(out, w.sched);
    const closedB = closes(inc, w.sched);
    const t0 = w.sched.nowMs;
    out.close();
    expect(out.isOpen).toBe(false);
    w.sched.runFor(100);
    expect(closedA).toEqual([{ reason: 'closed-locally', atMs: t0 }]);
    expect(closedB).toEqual([{ reason: 'closed-by-peer', atMs: t0 + 10 }]);
  });

  it("explicit close is not heard when blocked; the peer's next keep-alive draws a reset from the closer", () => {
    const { w, out, inc } = connectedPair();
    const closedB = closes(inc, w.sched);
    w.net.partition(A, B);
    out.close();
    w.net.repair(A, B);
    const keepAliveAtMs = inc.lastSentAtMs + 15_000;
    w.sched.runFor(15_000);
    expect(inc.isOpen).toBe(true);
    w.sched.runFor(1_000);
    // A's endpoint runs on and answers for the connection it closed (QUIC stateless reset).
    expect(closedB).toEqual([{ reason: 'reset', atMs: keepAliveAtMs + 20 }]);
  });

  it("explicit close is not heard when blocked, and the closer's process then crashes: the peer idles out", () => {
    const w = world();
    const a = w.bind(A);
    const b = w.bind(B);
    const { out, inc } = w.connect(a, b);
    const closedB = closes(inc, w.sched);
    w.net.partition(A, B);
    const lastMs = inc.lastReceivedAtMs;
    out.close();
    w.net.crash(A); // under the default deadPeer 'silent' a dead process answers nothing
    w.net.repair(A, B);
    w.sched.runFor(29_000);
    expect(inc.isOpen).toBe(true);
    w.sched.runFor(2_000);
    expect(closedB).toEqual([{ reason: 'idle-timeout', atMs: lastMs + 30_000 }]);
  });
});

describe('network: determinism', () => {
  it('the same seed gives the same delivery times', () => {
    const run = (seed: string) => {
      const w = world({}, seed);
      w.net.setLink(A, B, { lossNum: 1, lossDen: 5, jitterMs: 30 });
      const a = w.bind(A);
      const b = w.bind(B);
      const { out, inc } = w.connect(a, b);
      const got = acceptStreams(inc, w.sched);
      const s = out.openUni();
      for (let i = 0; i < 50; i++) s.write(new Uint8Array([i]));
      w.sched.runFor(30_000);
      return got[0].c.atMs;
    };
    expect(run('s1')).toEqual(run('s1'));
    expect(run('s1')).not.toEqual(run('s2'));
  });
});

describe('overlapping partitions compose', () => {
  it('a pair stays blocked until every partition of it is repaired; extra repairs are no-ops', () => {
    const w = world();
    w.net.partition(A, B);
    w.net.partition(B, A); // a second fault cutting the same pair
    w.net.repair(A, B);
    expect(w.net.link(A, B).blocked && w.net.link(B, A).blocked).toBe(true);
    expect(w.net.partitionsHeld(A, B)).toBe(1);
    w.net.repair(A, B);
    expect(w.net.link(A, B).blocked || w.net.link(B, A).blocked).toBe(false);
    w.net.repair(A, B); // nothing left to repair
    expect(w.net.partitionsHeld(A, B)).toBe(0);
    w.net.partition(A, B);
    expect(w.net.link(A, B).blocked).toBe(true);
  });

  it('resetting a damaged link keeps a partition that is still held', () => {
    const w = world();
    w.net.setLink(A, B, { latencyMs: 500 });
    w.net.partition(A, B);
    w.net.resetLink(A, B);
    expect(w.net.link(A, B).latencyMs).not.toBe(500);
    expect(w.net.link(A, B).blocked).toBe(true);
  });
});

describe('network: memory of closed connections', () => {
  it('a closed connection is not kept alive by its pending timer', async () => {
    // A large boot closes tens of thousands of short connections per virtual second, and each
    // end's timer may be a keep-alive period away: the scheduler must not hold the ends that long.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const w = world();
    w.flat();
    const a = w.bind(A);
    const b = w.bind(B);
    const refs = ((): WeakRef<Connection>[] => {
      const { out, inc } = w.connect(a, b);
      out.close();
      w.sched.runFor(50); // the close reaches the acceptor
      expect([out.isOpen, inc.isOpen]).toEqual([false, false]);
      b.host.incoming.length = 0;
      return [new WeakRef(out), new WeakRef(inc)];
    })();
    expect(w.sched.pending).toBeGreaterThan(0); // both ends' timers are still armed
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true]);
  });
});

describe('network: memory of finished streams', () => {
  it('an open connection lets go of its finished streams, also past the few it finds by a scan', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { w, out, inc } = connectedPair();
    inc.onStream = (s) => (s.onData = () => {});
    const refs = ((): WeakRef<Stream>[] => {
      const streams = Array.from({ length: 12 }, () => out.openUni());
      for (const s of streams) {
        s.write(Uint8Array.of(1));
        s.finish();
      }
      w.sched.runFor(100);
      return streams.map((s) => new WeakRef(s));
    })();
    expect([out.isOpen, inc.isOpen]).toEqual([true, true]);
    expect([out.openStreams(), inc.openStreams()]).toEqual([[], []]);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});
