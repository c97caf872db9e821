/**
 * The simulated network's small parts (src/sim/network), as units. Goal: configurations and
 * link states that make no sense are refused and the boundary ones accepted; one link direction
 * draws jitter over its whole range and queues by bandwidth; the directory answers for nodes it
 * has never seen; partitions are counted per unordered pair and only they are undone by
 * repair; statistics count what happened; stream ids follow the QUIC-like scheme and a uni
 * stream's receiving end cannot write; a finished stream refuses writes; a graceful endpoint
 * close is heard by both ends. Method: a fresh scheduler, network and trivial hosts per test,
 * and a Link driven directly with a seeded stream.
 */
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../src/sim/rng.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { DEFAULT_LINK, Network, type CloseReason, type Connection, type DialResult, type EndpointOwner, type NetworkConfig, type Stream } from '../src/sim/network/index.js';
import { LOST, Link } from '../src/sim/network/link.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

const host: EndpointOwner = { isUp: () => true, isResponsive: () => true, deliver: (fn) => fn() };

function world(config: Partial<NetworkConfig> = {}) {
  const sched = new Scheduler();
  const net = new Network(sched, new RngStreams('units'), config);
  const incoming = new Map<string, Connection[]>();
  const bind = (key: string) => net.bind(key, host, (c) => incoming.set(key, [...(incoming.get(key) ?? []), c]));
  const connect = (from: string, to: string): { out: Connection; inc: Connection } => {
    let r: DialResult | undefined;
    net.endpointOf(from)!.dial(to, (res) => (r = res));
    sched.runUntil(() => r !== undefined, { virtualMs: 60_000 });
    if (r === undefined || !r.ok) throw new Error('dial failed');
    sched.runFor(0);
    const list = incoming.get(to)!;
    return { out: r.conn, inc: list[list.length - 1]! };
  };
  return { sched, net, bind, connect };
}

describe('configuration checks', () => {
  it('the network refuses impossible timeouts, buffers and retransmission bounds', () => {
    const bad: Partial<NetworkConfig>[] = [
      { keepAliveMs: 0 }, { idleTimeoutMs: 0 }, { dialTimeoutMs: 0 }, { sendBufferBytes: 0 },
      { rtoMinMs: 0 }, { rtoMinMs: 300, rtoMaxMs: 299 }, { deadPeer: 'loud' as NetworkConfig['deadPeer'] },
    ];
    for (const config of bad) expect(() => world(config), JSON.stringify(config)).toThrow();
    expect(() => world({ keepAliveMs: 1, idleTimeoutMs: 1, dialTimeoutMs: 1, sendBufferBytes: 1, rtoMinMs: 7, rtoMaxMs: 7 })).not.toThrow();
  });

  it('a link state must hold non-negative integers, a loss ratio in [0, 1] and a boolean block', () => {
    const { net, bind } = world();
    bind(A);
    bind(B);
    const bad = [
      { latencyMs: -1 }, { latencyMs: 1.5 }, { jitterMs: -1 }, { jitterMs: 0.5 }, { lossNum: -1 }, { lossNum: 0.5 },
      { lossNum: 1, lossDen: 0 }, { lossNum: 0, lossDen: 0 }, { lossDen: 1.5 }, { lossNum: 3, lossDen: 2 }, { bandwidthBytesPerSec: -1 },
      { bandwidthBytesPerSec: 0.5 }, { blocked: 1 as unknown as boolean },
    ];
    for (const patch of bad) expect(() => net.setLink(A, B, patch), JSON.stringify(patch)).toThrow();
    expect(net.link(A, B)).toEqual(DEFAULT_LINK);
    net.setLink(A, B, { latencyMs: 0, jitterMs: 0, lossNum: 2, lossDen: 2, bandwidthBytesPerSec: 0, blocked: true });
    expect(net.link(A, B)).toEqual({ latencyMs: 0, jitterMs: 0, lossNum: 2, lossDen: 2, bandwidthBytesPerSec: 0, blocked: true });
  });
});

describe('one link direction', () => {
  const link = (state: Partial<typeof DEFAULT_LINK>) => new Link(A, B, new RngStreams('link').seedOf('l'), { ...DEFAULT_LINK, ...state });

  it('jitter covers 0..jitterMs inclusive; no loss is never lost, full loss always', () => {
    const jittery = link({ latencyMs: 10, jitterMs: 2 });
    const arrivals = new Set(Array.from({ length: 200 }, () => jittery.send(0, 100)));
    expect([...arrivals].sort()).toEqual([10, 11, 12]);
    const still = link({ latencyMs: 10, jitterMs: 0 });
    expect(new Set(Array.from({ length: 50 }, () => still.send(5, 100)))).toEqual(new Set([15]));
    const lossy = link({ lossNum: 1, lossDen: 1 });
    expect(Array.from({ length: 20 }, () => lossy.send(0, 1)).every((t) => t === LOST)).toBe(true);
  });

  it('bandwidth serializes packets in order and reports the queueing delay', () => {
    const slow = link({ latencyMs: 0, jitterMs: 0, bandwidthBytesPerSec: 1_000 });
    expect(slow.queueDelayMs(0)).toBe(0);
    expect(slow.send(0, 100)).toBe(100);
    expect(slow.send(0, 100)).toBe(200);
    expect(slow.queueDelayMs(50)).toBe(150);
    expect(slow.queueDelayMs(250)).toBe(0);
  });
});

describe('directory and partitions', () => {
  it('answers for nodes it never saw; lists nodes in order; addresses are distinct', () => {
    const { net, bind } = world();
    expect(net.hostUp(C)).toBe(false);
    expect(net.endpointOf(C)).toBeNull();
    expect(net.inboundFirewall(C)).toBe(false);
    bind(B);
    bind(A);
    expect(net.nodes()).toEqual([B, A]);
    expect(net.hostUp(A)).toBe(true);
    expect(net.inboundFirewall(A)).toBe(false);
    net.setInboundFirewall(A, true);
    expect(net.inboundFirewall(A)).toBe(true);
    expect([net.addressOf(B), net.addressOf(A)]).toEqual(['10.0.0.1:7000', '10.0.0.2:7000']);
    expect(net.remapAddress(B)).toBe('10.0.0.3:7000');
  });

  it('partitions count per unordered pair; repair and resetLink undo only partitions', () => {
    const { net, bind } = world();
    for (const n of [A, B, C]) bind(n);
    net.partition(A, B);
    expect([net.partitionsHeld(B, A), net.partitionsHeld(A, C), net.partitionsHeld(B, C)]).toEqual([1, 0, 0]);
    expect(net.link(A, C).blocked).toBe(false);
    // A block set by hand is not a partition: repair leaves it, resetLink clears it.
    net.setLink(A, C, { blocked: true });
    net.repair(A, C);
    expect(net.link(A, C).blocked).toBe(true);
    net.resetLink(A, C);
    expect(net.link(A, C).blocked).toBe(false);
    net.resetLink(B, A);
    expect(net.link(B, A).blocked).toBe(true);
    net.repair(B, A);
    expect([net.link(A, B).blocked, net.link(B, A).blocked]).toEqual([false, false]);
  });
});

describe('statistics', () => {
  it('count dials, failures, packets sent, delivered and lost', () => {
    const { sched, net, bind, connect } = world();
    for (const n of [A, B, C]) bind(n);
    const { out } = connect(A, B);
    out.openBi().write(Uint8Array.of(1, 2, 3));
    sched.runFor(1_000);
    const ok = { ...net.stats };
    expect(ok.dials).toBe(1);
    expect(ok.dialFailures).toBe(0);
    expect(ok.packetsSent).toBe(3); // Initial, Response, one data chunk (acks are not packets here)
    expect(ok.packetsDelivered).toBe(3);
    expect(ok.packetsLost).toBe(0);
    net.partition(A, C);
    let r: DialResult | undefined;
    net.endpointOf(A)!.dial(C, (res) => (r = res));
    sched.runUntil(() => r !== undefined, { virtualMs: 60_000 });
    expect(r).toEqual({ ok: false, reason: 'timeout' });
    expect(net.stats.dials).toBe(2);
    expect(net.stats.dialFailures).toBe(1);
    expect(net.stats.packetsLost).toBeGreaterThan(0);
    expect(net.stats.packetsSent).toBeGreaterThan(ok.packetsSent);
  });
});

describe('datagram packing', () => {
  /** A connection A → B with latency `latencyMs`, no jitter; the chunks B's uni streams hand over, per stream. */
  function pair(latencyMs = 10) {
    const w = world();
    w.bind(A);
    w.bind(B);
    w.net.setLink(A, B, { latencyMs, jitterMs: 0 });
    w.net.setLink(B, A, { latencyMs, jitterMs: 0 });
    const { out, inc } = w.connect(A, B);
    const chunks: number[][] = [];
    inc.onStream = (s) => (s.onData = (b) => chunks.push(Array.from(b)));
    const sentSince = (() => {
      const at = w.net.stats.packetsSent;
      return () => w.net.stats.packetsSent - at;
    })();
    return { ...w, out, inc, chunks, sentSince };
  }
  const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

  it('writes to one stream in one millisecond, from different events, travel in one packet, in order', () => {
    const { sched, out, chunks, sentSince } = pair();
    const s = out.openUni();
    const t = sched.nowMs + 5;
    const mine = Uint8Array.of(3);
    sched.at(t, () => s.write(Uint8Array.of(1, 2)));
    sched.at(t, () => {
      s.write(mine);
      mine.fill(9); // write copies, also into a packet on its way
    });
    sched.at(t, () => s.writeOwned(Uint8Array.of(4, 5)));
    sched.runFor(1_000);
    expect(sentSince()).toBe(1);
    expect(chunks.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(s.bufferedBytes).toBe(0); // the one acknowledgement released every joined byte
    expect(out.bufferedBytes).toBe(0);
  });

  it('joined chunks are handed over one by one, in write order, also when a later send copied their list while on the way', () => {
    const { sched, out, chunks, sentSince } = pair();
    const s = out.openUni();
    const t = sched.nowMs + 5;
    // Twenty chunks: past the 19 slots V8 gives a list that `push` has grown once.
    sched.at(t, () => {
      for (let i = 0; i < 20; i++) s.write(Uint8Array.of(i, i));
    });
    // A send in the next millisecond, while the packet is on its way, settles its list.
    sched.at(t + 1, () => out.openUni().write(Uint8Array.of(99)));
    sched.runFor(1_000);
    expect(sentSince()).toBe(2);
    expect(chunks).toEqual([...Array.from({ length: 20 }, (_, i) => [i, i]), [99]]);
    expect(s.bufferedBytes).toBe(0);
  });

  it('a datagram holds 1,200 bytes: exactly full is joined, one byte more goes in the next packet', () => {
    const { sched, out, chunks, sentSince } = pair();
    const s = out.openUni();
    s.write(bytes(1_000, 1));
    s.write(bytes(200, 2));
    s.write(bytes(1, 3));
    sched.runFor(1_000);
    expect(sentSince()).toBe(2);
    expect(chunks.flat()).toEqual([...bytes(1_000, 1), ...bytes(200, 2), 3]);
    const big = out.openUni(); // one write larger than a datagram still goes whole, alone
    big.write(bytes(1_500, 4));
    big.write(bytes(1, 5));
    sched.runFor(1_000);
    expect(sentSince()).toBe(4);
    expect(chunks.slice(3).map((c) => c.length)).toEqual([1_500, 1]);
  });

  it('a new packet for a later millisecond, another stream, a bandwidth-limited link, or a chunk that already arrived', () => {
    const later = pair();
    const s1 = later.out.openUni();
    s1.write(Uint8Array.of(1));
    later.sched.after(1, () => s1.write(Uint8Array.of(2)));
    later.sched.runFor(1_000);
    expect(later.sentSince()).toBe(2);

    const streams = pair();
    streams.out.openUni().write(Uint8Array.of(1));
    streams.out.openUni().write(Uint8Array.of(2));
    streams.sched.runFor(1_000);
    expect(streams.sentSince()).toBe(2);
    expect(streams.chunks).toEqual([[1], [2]]);

    const slow = pair();
    slow.net.setLink(A, B, { bandwidthBytesPerSec: 1_000_000 });
    const s3 = slow.out.openUni();
    s3.write(Uint8Array.of(1));
    s3.write(Uint8Array.of(2));
    slow.sched.runFor(1_000);
    expect(slow.sentSince()).toBe(2);
    expect(slow.chunks).toEqual([[1], [2]]);

    const instant = pair(0); // no latency: the first chunk arrives within its millisecond
    const s4 = instant.out.openUni();
    const t = instant.sched.nowMs + 5;
    instant.sched.at(t, () => s4.write(Uint8Array.of(1)));
    instant.sched.at(t, () => instant.sched.at(t, () => s4.write(Uint8Array.of(2)))); // after the arrival
    instant.sched.runFor(1_000);
    expect(instant.sentSince()).toBe(2);
    expect(instant.chunks).toEqual([[1], [2]]);
  });

  it('a packet lost as it is sent takes nothing more; a joined packet lost on arrival is resent whole', () => {
    const lostAtSend = pair();
    lostAtSend.net.setLink(A, B, { lossNum: 1, lossDen: 1 });
    const s = lostAtSend.out.openUni();
    s.write(Uint8Array.of(1));
    s.write(Uint8Array.of(2));
    lostAtSend.sched.after(1, () => lostAtSend.net.setLink(A, B, { lossNum: 0 }));
    lostAtSend.sched.runFor(5_000);
    expect(lostAtSend.chunks).toEqual([[1], [2]]);

    const lostOnArrival = pair();
    const s2 = lostOnArrival.out.openUni();
    lostOnArrival.net.setInboundFirewall(B, true); // B's end is the inbound one: the packet is dropped there
    s2.write(Uint8Array.of(1));
    s2.write(Uint8Array.of(2));
    lostOnArrival.sched.after(20, () => lostOnArrival.net.setInboundFirewall(B, false));
    lostOnArrival.sched.runFor(5_000);
    expect(lostOnArrival.net.stats.packetsLost).toBe(1);
    expect(lostOnArrival.sentSince()).toBe(2); // one packet, sent twice
    expect(lostOnArrival.chunks.flat()).toEqual([1, 2]);
  });

  it('a packet lost on arrival is resent at its latest send time plus the RTO, doubling, whole; chunks written as it is resent join it', () => {
    const { sched, net, out, inc, sentSince } = pair();
    const got: [number, number[]][] = [];
    inc.onStream = (st) => (st.onData = (b) => got.push([sched.nowMs, Array.from(b)]));
    const s = out.openUni();
    const t = sched.nowMs + 5;
    net.setInboundFirewall(B, true); // B's end is the inbound one: the packet is dropped there
    sched.at(t, () => {
      s.write(Uint8Array.of(1));
      s.write(Uint8Array.of(2));
    });
    // RTO max(200, 2 × 20) = 200 ms: lost at t + 10, resent at t + 200, lost at t + 210,
    // resent at t + 200 + 400 = t + 600, when the way is open again.
    sched.at(t + 300, () => net.setInboundFirewall(B, false));
    // Scheduled later than the retransmission due at t + 600, so it runs after it and joins it.
    sched.at(t + 599, () => sched.at(t + 600, () => s.write(Uint8Array.of(3))));
    sched.at(t + 601, () => out.openUni().write(Uint8Array.of(9)));
    sched.runFor(2_000);
    expect(got).toEqual([
      [t + 610, [1]],
      [t + 610, [2]],
      [t + 610, [3]],
      [t + 611, [9]],
    ]);
    expect(sentSince()).toBe(4); // three attempts of the joined packet, one other
    expect(net.stats.packetsLost).toBe(2);
    expect(s.bufferedBytes).toBe(0);
  });
});

describe('streams', () => {
  it('ids: bit 0 says which end opened it, bit 1 that it is uni; ids never repeat', () => {
    const { sched, bind, connect } = world();
    bind(A);
    bind(B);
    const { out, inc } = connect(A, B);
    const received: Stream[] = [];
    out.onStream = (s) => received.push(s);
    const opened = [out.openUni(), out.openBi(), out.openBi(), inc.openUni(), inc.openBi()];
    expect(opened.map((s) => s.id)).toEqual([2, 4, 8, 3, 5]);
    expect(new Set(opened.map((s) => s.id)).size).toBe(5);
    for (const s of opened.slice(3)) s.write(Uint8Array.of(9));
    sched.runFor(1_000);
    expect(received.map((s) => s.id)).toEqual(opened.slice(3).map((s) => s.id));
  });

  it('the receiving end of a uni stream cannot write; a finished stream refuses writes', () => {
    const { sched, bind, connect } = world();
    bind(A);
    bind(B);
    const { out, inc } = connect(A, B);
    const got: Stream[] = [];
    inc.onStream = (s) => got.push(s);
    const uni = out.openUni();
    expect(uni.writable).toBe(true);
    expect(uni.write(Uint8Array.of(1))).toEqual({ ok: true });
    sched.runFor(1_000);
    expect(got[0]!.kind).toBe('uni');
    expect(got[0]!.writable).toBe(false);
    expect(() => got[0]!.write(Uint8Array.of(2))).toThrow(/receiving end of uni stream/);
    const bi = out.openBi();
    let finished = 0;
    bi.write(Uint8Array.of(5));
    sched.runFor(1_000);
    got[1]!.onFinish = () => finished++;
    bi.finish();
    bi.finish();
    expect(bi.write(Uint8Array.of(6))).toEqual({ ok: false, reason: 'closed' });
    expect(bi.writeOwned(Uint8Array.of(6))).toEqual({ ok: false, reason: 'closed' });
    sched.runFor(1_000);
    expect(finished).toBe(1);
    expect(got[1]!.writable).toBe(true);
  });
});

describe('endpoint close', () => {
  it('a graceful close reports endpoint-closed here and closed-by-peer there, once', () => {
    const { sched, net, bind, connect } = world();
    for (const n of [A, B, C]) bind(n);
    const { out, inc } = connect(A, B);
    const here: CloseReason[] = [];
    const there: CloseReason[] = [];
    out.onClose = (reason) => here.push(reason);
    inc.onClose = (reason) => there.push(reason);
    net.partition(A, C);
    let pending: DialResult | undefined;
    const ep = net.endpointOf(A)!;
    ep.dial(C, (res) => (pending = res));
    ep.close();
    ep.close();
    expect(ep.closed).toBe(true);
    sched.runFor(10_000);
    expect(here).toEqual(['endpoint-closed']);
    expect(there).toEqual(['closed-by-peer']);
    expect(pending).toBeUndefined(); // its owner is gone: a pending dial never reports
    expect(ep.connections()).toEqual([]);
  });
});

describe('connection timing and buffers', () => {
  it('the retransmission timeout is max(rtoMin, 2 × worst RTT), doubling per loss up to rtoMax', () => {
    const { net, bind, connect } = world();
    bind(A);
    bind(B);
    const { out } = connect(A, B);
    expect(out.rtoMs(0)).toBe(200); // 2 × (10 + 5 + 10 + 5) = 60 < rtoMinMs
    net.setLink(A, B, { latencyMs: 100, jitterMs: 50 });
    net.setLink(B, A, { latencyMs: 70, jitterMs: 30 });
    expect(out.rtoMs(0)).toBe(500);
    expect(out.rtoMs(2)).toBe(2_000);
    expect(out.rtoMs(10)).toBe(10_000);
  });

  it('without keep-alives an idle connection idles out after 30 s', () => {
    const { sched, bind, connect } = world();
    bind(A);
    bind(B);
    const { out, inc } = connect(A, B);
    out.keepAlive = false;
    inc.keepAlive = false;
    const closes: CloseReason[] = [];
    out.onClose = (reason) => closes.push(reason);
    sched.runFor(29_000);
    expect(closes).toEqual([]);
    sched.runFor(2_000);
    expect(closes).toEqual(['idle-timeout']);
  });

  it('an empty send buffer takes any chunk; a full one says backpressure; exactly full is not over', () => {
    const { bind, connect } = world({ sendBufferBytes: 100 });
    bind(A);
    bind(B);
    const { out } = connect(A, B);
    const big = out.openBi();
    expect(big.write(new Uint8Array(150))).toEqual({ ok: true });
    expect(big.write(new Uint8Array(1))).toEqual({ ok: false, reason: 'backpressure' });
    const other = world({ sendBufferBytes: 100 });
    other.bind(A);
    other.bind(B);
    const s = other.connect(A, B).out.openBi();
    expect(s.write(new Uint8Array(60))).toEqual({ ok: true });
    expect(s.write(new Uint8Array(40))).toEqual({ ok: true });
    expect(s.write(new Uint8Array(1))).toEqual({ ok: false, reason: 'backpressure' });
  });

  it('close is heard once at each end, and a second close does nothing', () => {
    const { sched, bind, connect } = world();
    bind(A);
    bind(B);
    const { out, inc } = connect(A, B);
    const here: CloseReason[] = [];
    const there: CloseReason[] = [];
    out.onClose = (reason) => here.push(reason);
    inc.onClose = (reason) => there.push(reason);
    out.close();
    out.close();
    sched.runFor(1_000);
    expect([here, there]).toEqual([['closed-locally'], ['closed-by-peer']]);
    expect(out.isOpen).toBe(false);
    expect(out.openBi().write(Uint8Array.of(1))).toEqual({ ok: false, reason: 'closed' });
  });
});

describe('dial and death edge cases', () => {
  it('a dial to a node never bound fails with no-endpoint and counts; a closed endpoint dials nothing', () => {
    const { sched, net, bind } = world();
    bind(A);
    let r: DialResult | undefined;
    net.endpointOf(A)!.dial(C, (res) => (r = res));
    sched.runFor(10);
    expect(r).toEqual({ ok: false, reason: 'no-endpoint' });
    expect([net.stats.dials, net.stats.dialFailures]).toEqual([1, 1]);
    const ep = net.endpointOf(A)!;
    ep.close();
    let late: DialResult | undefined;
    ep.dial(C, (res) => (late = res));
    sched.runFor(10_000);
    expect(late).toBeUndefined();
    expect(net.stats.dials).toBe(1);
  });

  it('a node known only to the directory is not up, and vanishing it is harmless', () => {
    const { net } = world();
    net.setInboundFirewall(C, false);
    expect(net.hostUp(C)).toBe(false);
    expect(net.endpointOf(C)).toBeNull();
    expect(() => net.vanish(C)).not.toThrow();
  });

  it('crashing a vanished node, or one already crashed, does nothing', () => {
    const { net, bind } = world({ deadPeer: 'close' });
    bind(A);
    net.vanish(A);
    expect(() => net.crash(A)).not.toThrow();
    bind(B);
    net.crash(B);
    expect(() => net.crash(B)).not.toThrow();
  });

  it('under deadPeer close, a crash with a dial still in its handshake resets only real far ends', () => {
    const { sched, net, bind, connect } = world({ deadPeer: 'close' });
    for (const n of [A, B, C]) bind(n);
    const { inc } = connect(A, B);
    const heard: CloseReason[] = [];
    inc.onClose = (reason) => heard.push(reason);
    net.endpointOf(A)!.dial(C, () => {});
    expect(() => net.crash(A)).not.toThrow();
    sched.runFor(1_000);
    expect(heard).toEqual(['reset']);
  });
});

describe('data and liveness details', () => {
  it('write copies the caller\'s bytes; writeOwned takes them; a FIN delivers no empty chunk', () => {
    const { sched, bind, connect } = world();
    bind(A);
    bind(B);
    const { out, inc } = connect(A, B);
    const chunks: number[][] = [];
    inc.onStream = (s) => (s.onData = (b) => chunks.push(Array.from(b)));
    const s = out.openBi();
    const buf = Uint8Array.of(1, 2, 3);
    s.write(buf);
    buf.fill(9);
    s.finish();
    sched.runFor(1_000);
    expect(chunks).toEqual([[1, 2, 3]]);
  });

  it('a second close sends nothing more', () => {
    const { sched, net, bind, connect } = world();
    bind(A);
    bind(B);
    const { out } = connect(A, B);
    out.close();
    const sent = net.stats.packetsSent;
    out.close();
    sched.runFor(1_000);
    expect(net.stats.packetsSent).toBe(sent);
  });

  it('a wedged node sends no keep-alives, so a wedge longer than the idle timeout loses its connections', () => {
    const sched = new Scheduler();
    const net = new Network(sched, new RngStreams('wedge'));
    let responsive = true;
    const queued: (() => void)[] = [];
    const wedgeable: EndpointOwner = { isUp: () => true, isResponsive: () => responsive, deliver: (fn) => (responsive ? fn() : queued.push(fn)) };
    const accepted: Connection[] = [];
    net.bind(A, wedgeable, () => {});
    net.bind(B, host, (c) => accepted.push(c));
    let r: DialResult | undefined;
    net.endpointOf(A)!.dial(B, (res) => (r = res));
    sched.runUntil(() => r !== undefined, { virtualMs: 10_000 });
    const closes: CloseReason[] = [];
    accepted[0]!.onClose = (reason) => closes.push(reason);
    accepted[0]!.keepAlive = false; // only the wedged side's keep-alives could hold it
    responsive = false;
    sched.runFor(45_000);
    expect(closes).toEqual(['idle-timeout']);
  });

  it('a graceful close also drops a dial still in its handshake, even one that would have connected', () => {
    const { sched, net, bind } = world();
    for (const n of [A, B]) bind(n);
    const ep = net.endpointOf(A)!;
    let r: DialResult | undefined;
    ep.dial(B, (res) => (r = res));
    ep.close();
    sched.runFor(10_000);
    expect(r).toBeUndefined();
    expect(ep.connections()).toEqual([]);
  });
});
