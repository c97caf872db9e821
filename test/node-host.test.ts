/**
 * Node host acceptance (SPEC §3 "Node processes", §2.3 transport). Goal: a killed node's peers
 * see the connection idle out after 30 s of virtual time and not before; kill drops the dead
 * incarnation's timers; restart keeps identity, clock and disk; a wedged node processes its
 * backlog late and in order on unwedge (bounded, overflow counted); a full disk returns a write
 * error value; the node clock's offset and drift arithmetic.
 * Method: a tiny echo application on NodeHost + the simulated Network (the server echoes every
 * bi-stream chunk; the client dials it), driven by the scheduler with a fixed seed. Every time
 * asserted is virtual.
 */
import { describe, expect, it } from 'vitest';
import { NodeClock } from '../src/sim/clock/node-clock.js';
import { DataDir } from '../src/sim/data-dir.js';
import { Network, type CloseReason, type Connection, type Stream } from '../src/sim/network/index.js';
import { NodeHost, type NodeContext, type NodeHostOptions } from '../src/sim/node-host.js';
import { RngStreams } from '../src/sim/rng.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { Telemetry } from '../src/sim/telemetry/index.js';

const IDLE_TIMEOUT_MS = 30_000;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** What the echo server saw, with the virtual time it ran at. */
interface LogEntry {
  readonly what: string;
  readonly atMs: number;
}

function world(seed = 'node-host') {
  const scheduler = new Scheduler();
  const rng = new RngStreams(seed);
  const network = new Network(scheduler, rng);
  const telemetry = new Telemetry(scheduler, rng.stream('span-ids'));
  const deps = { scheduler, network, telemetry, rng };
  const log: LogEntry[] = [];
  const contexts = new Map<string, NodeContext[]>();
  const note = (what: string): void => void log.push({ what, atMs: scheduler.nowMs });

  /** A host whose app echoes every chunk of every bi stream and logs what it handled. */
  const host = (name: string, options: NodeHostOptions = {}): NodeHost => {
    const nodeId = name.padEnd(64, '0');
    return new NodeHost(
      deps,
      { nodeId, name, role: 'test', meshId: 'test' },
      (ctx) => {
        contexts.set(name, [...(contexts.get(name) ?? []), ctx]);
        return {
          onIncoming: (conn) => {
            note(`${name} incoming`);
            conn.onStream = (s) => {
              s.onData = (bytes) => {
                note(`${name} data ${str(bytes)}`);
                s.write(bytes);
              };
            };
          },
          stop: (reason) => note(`${name} stop ${reason}`),
        };
      },
      options,
    );
  };
  /** The latest incarnation's context of a host. */
  const ctxOf = (name: string): NodeContext => {
    const list = contexts.get(name);
    if (list === undefined) throw new Error(`${name} never started`);
    return list[list.length - 1];
  };
  /** Dial from `from` to `to` and run until the dial completes. */
  const connect = (from: NodeHost, to: NodeHost): Connection => {
    let conn: Connection | null = null;
    ctxOf(from.identity.name).endpoint.dial(to.identity.nodeId, (r) => {
      if (!r.ok) throw new Error(`dial failed: ${r.reason}`);
      conn = r.conn;
    });
    expect(scheduler.runUntil(() => conn !== null, { virtualMs: 10_000 }).ok).toBe(true);
    return conn!;
  };
  /** The echo server and its client, both started (not yet connected). */
  const startedPair = (): { server: NodeHost; client: NodeHost } => {
    const server = host('server');
    const client = host('client');
    server.start();
    client.start();
    return { server, client };
  };
  /** A bi stream whose echoed chunks are collected as strings. */
  const echoStream = (conn: Connection): { stream: Stream; echoed: string[] } => {
    const echoed: string[] = [];
    const stream = conn.openBi();
    stream.onData = (bytes) => echoed.push(str(bytes));
    return { stream, echoed };
  };
  return { scheduler, network, telemetry, log, host, ctxOf, connect, startedPair, echoStream };
}

describe('kill and the idle timeout', () => {
  it("a killed node's peer sees the connection idle out 30 s after its last packet, not before", () => {
    const w = world();
    const { server, client } = w.startedPair();
    const conn = w.connect(client, server);
    const closes: { reason: CloseReason; atMs: number }[] = [];
    conn.onClose = (reason) => closes.push({ reason, atMs: w.scheduler.nowMs });
    const { stream, echoed } = w.echoStream(conn);
    stream.write(text('ping'));
    w.scheduler.runFor(1_000);
    expect(echoed).toEqual(['ping']);

    // Live and idle: keep-alives hold the connection open far beyond the idle timeout.
    w.scheduler.runFor(3 * IDLE_TIMEOUT_MS);
    expect(conn.isOpen).toBe(true);
    expect(closes).toEqual([]);

    const killAtMs = w.scheduler.nowMs;
    server.kill();
    expect(server.status).toBe('stopped');
    // Let anything the server sent before dying land, then take the time of the last packet.
    w.scheduler.runFor(1_000);
    const lastPacketMs = conn.lastReceivedAtMs;
    expect(lastPacketMs).toBeLessThanOrEqual(killAtMs + 1_000);

    // The client keeps writing into the void: the data is retransmitted, never delivered.
    expect(stream.write(text('anyone?')).ok).toBe(true);
    w.scheduler.runFor(lastPacketMs + IDLE_TIMEOUT_MS - 1_000 - w.scheduler.nowMs); // 29 s after
    expect(w.scheduler.nowMs).toBe(lastPacketMs + 29_000);
    expect(conn.isOpen).toBe(true);
    expect(closes).toEqual([]);

    w.scheduler.runFor(2_000);
    expect(closes).toEqual([{ reason: 'idle-timeout', atMs: lastPacketMs + IDLE_TIMEOUT_MS }]);
    expect(conn.isOpen).toBe(false);
    expect(echoed).toEqual(['ping']);
    // The dead server saw nothing after its kill, and its endpoint holds no connection.
    expect(w.log.filter((e) => e.atMs > killAtMs)).toEqual([]);
    expect(w.network.endpointOf(server.identity.nodeId)?.closed).toBe(true);
  });

  it('the killed side gets no onClose and no goodbye reaches the peer', () => {
    const w = world();
    const { server, client } = w.startedPair();
    const conn = w.connect(client, server);
    w.scheduler.runFor(100);
    const serverConn = w.ctxOf('server').endpoint.connections()[0];
    const serverCloses: CloseReason[] = [];
    serverConn.onClose = (r) => serverCloses.push(r);
    const clientCloses: CloseReason[] = [];
    conn.onClose = (r) => clientCloses.push(r);
    server.kill();
    w.scheduler.runFor(10_000);
    expect(serverCloses).toEqual([]);
    expect(clientCloses).toEqual([]); // no close packet: only the idle timeout can tell
    expect(w.log.some((e) => e.what.includes('stop'))).toBe(false); // kill is not a graceful stop
  });

  it('a graceful stop runs the app goodbye, a restarted node accepts new dials at the same address', () => {
    const w = world();
    const { server, client } = w.startedPair();
    const addressBefore = w.network.addressOf(server.identity.nodeId);
    server.stop('maintenance');
    expect(w.log.map((e) => e.what)).toContain('server stop maintenance');
    expect(server.status).toBe('stopped');
    server.start();
    expect(w.network.addressOf(server.identity.nodeId)).toBe(addressBefore);
    const conn = w.connect(client, server);
    const { stream, echoed } = w.echoStream(conn);
    stream.write(text('again'));
    w.scheduler.runFor(1_000);
    expect(echoed).toEqual(['again']);
  });
});

describe('incarnation-owned timers', () => {
  it('kill drops every timer of the dead incarnation; after restart new timers fire', () => {
    const w = world();
    const node = w.host('node');
    node.start();
    const first = w.ctxOf('node');
    const fired: string[] = [];
    first.setTimer(1_000, () => fired.push('old'));
    first.setTimer(0, () => fired.push('old-immediate'));
    w.scheduler.runFor(500);
    expect(fired).toEqual(['old-immediate']);
    node.kill();
    w.scheduler.runFor(5_000);
    expect(fired).toEqual(['old-immediate']);

    node.start();
    const second = w.ctxOf('node');
    expect(second.incarnation).toBeGreaterThan(first.incarnation);
    // A timer armed through the dead context stays dead even after the restart.
    first.setTimer(10, () => fired.push('zombie'));
    second.setTimer(1_000, () => fired.push('new'));
    const cancelled = second.setTimer(500, () => fired.push('cancelled'));
    second.cancelTimer(cancelled);
    w.scheduler.runFor(2_000);
    expect(fired).toEqual(['old-immediate', 'new']);
  });

  it('a timer given as a task (an object with run) lives and dies like a function timer, and waits out a wedge', () => {
    const w = world();
    const node = w.host('node');
    node.start();
    const fired: string[] = [];
    const task = (what: string) => ({ run: () => fired.push(`${what}@${w.scheduler.nowMs}`) });
    const first = w.ctxOf('node');
    first.setTimer(100, task('a'));
    first.setTimer(1_000, task('dead'));
    w.scheduler.runFor(200);
    node.wedge();
    first.setTimer(100, task('late'));
    w.scheduler.runFor(300);
    expect(node.backlogLength).toBe(1);
    node.unwedge();
    node.kill();
    node.start();
    w.ctxOf('node').setTimer(100, task('new'));
    w.scheduler.runFor(2_000);
    expect(fired).toEqual(['a@100', 'late@500', 'new@600']);
  });

  it('restart() while running also drops the old timers', () => {
    const w = world();
    const node = w.host('node');
    node.start();
    const fired: string[] = [];
    w.ctxOf('node').setTimer(1_000, () => fired.push('old'));
    node.restart();
    w.ctxOf('node').setTimer(1_000, () => fired.push('new'));
    w.scheduler.runFor(2_000);
    expect(fired).toEqual(['new']);
    expect(node.incarnation).toBe(2);
  });

  it('incarnations count lives (1, 2, 3), and each kill span names the life it ended', () => {
    const w = world();
    const node = w.host('node');
    expect(node.incarnation).toBe(0);
    node.start();
    w.scheduler.runFor(100);
    node.restart();
    w.scheduler.runFor(100);
    node.kill('vanish');
    node.start();
    expect(node.incarnation).toBe(3);
    expect(w.ctxOf('node').incarnation).toBe(3);
    const killed = w.telemetry.records.filter((r) => r.name === 'sim.node.killed').map((r) => r.attrs.incarnation);
    expect(killed).toEqual([1, 2]);
  });
});

describe('restart keeps the machine', () => {
  it('identity, clock offset and drift, data dir contents and address survive; the rng stream is new', () => {
    const w = world();
    const node = w.host('node', { diskCapacityBytes: 1_000 });
    node.start();
    const first = w.ctxOf('node');
    expect(first.dataDir.write('identity', text(first.identity.nodeId)).ok).toBe(true);
    first.clock.jump(5_000);
    first.clock.setDriftPpm(1_000);
    const draws1 = [first.rng.nextU32(), first.rng.nextU32()];
    const address = w.network.addressOf(node.identity.nodeId);
    w.scheduler.runFor(10_000);
    const skewBefore = node.clock.skewMs();
    expect(skewBefore).toBe(5_010);

    node.kill();
    node.start();
    const second = w.ctxOf('node');
    expect(second.identity).toEqual(first.identity);
    expect(second.clock.skewMs()).toBe(skewBefore);
    expect(second.clock.wallMs()).toBe(w.scheduler.nowMs + skewBefore);
    expect(str(second.dataDir.read('identity')!)).toBe(first.identity.nodeId);
    expect(second.dataDir.usedBytes).toBe(64);
    expect(w.network.addressOf(node.identity.nodeId)).toBe(address);
    expect([second.rng.nextU32(), second.rng.nextU32()]).not.toEqual(draws1);
  });

  it('each incarnation draws the same stream in every run with the same seed', () => {
    const draws = (): number[] => {
      const w = world('same-seed');
      const node = w.host('node');
      node.start();
      const a = w.ctxOf('node').rng.nextU32();
      node.restart();
      return [a, w.ctxOf('node').rng.nextU32()];
    };
    expect(draws()).toEqual(draws());
  });
});

describe('wedge', () => {
  it('inbound deliveries and timers queue while wedged and run late, in arrival order, on unwedge', () => {
    const w = world();
    const { server, client } = w.startedPair();
    const conn = w.connect(client, server);
    w.scheduler.runFor(100);
    const ctx = w.ctxOf('server');
    const t0 = w.scheduler.nowMs;
    server.wedge();
    expect(server.status).toBe('wedged');
    const { stream, echoed } = w.echoStream(conn);
    for (const chunk of ['a', 'b', 'c']) stream.write(text(chunk));
    ctx.setTimer(500, () => w.log.push({ what: 'server timer 500', atMs: w.scheduler.nowMs }));
    ctx.setTimer(5_000, () => w.log.push({ what: 'server timer 5000', atMs: w.scheduler.nowMs }));
    w.scheduler.runFor(2_000);
    const sinceWedge = (): LogEntry[] => w.log.filter((e) => e.atMs >= t0);
    expect(sinceWedge()).toEqual([]);
    expect(echoed).toEqual([]);
    expect(server.backlogLength).toBe(5); // the stream's opening, 3 chunks, 1 timer
    // Slow is not dead: the client got nothing back for 2 s and still holds the connection.
    expect(conn.isOpen).toBe(true);

    const unwedgeAtMs = w.scheduler.nowMs;
    server.unwedge();
    expect(server.backlogLength).toBe(0);
    expect(sinceWedge()).toEqual([
      { what: 'server data a', atMs: unwedgeAtMs },
      { what: 'server data b', atMs: unwedgeAtMs },
      { what: 'server data c', atMs: unwedgeAtMs },
      { what: 'server timer 500', atMs: unwedgeAtMs },
    ]);
    w.scheduler.runFor(5_000);
    expect(echoed.join('')).toBe('abc');
    // A timer that comes due after unwedge runs on time.
    expect(sinceWedge().at(-1)).toEqual({ what: 'server timer 5000', atMs: t0 + 5_000 });
  });

  it('the backlog is bounded for inbound work: overflow is dropped and counted; timers are never dropped; kill discards the backlog', () => {
    const w = world();
    const node = w.host('node', { wedgeBacklogMax: 3 });
    node.start();
    const ctx = w.ctxOf('node');
    const fired: number[] = [];
    node.wedge();
    for (let i = 0; i < 5; i++) w.scheduler.after(10 * (i + 1), () => node.deliver(() => fired.push(i)));
    w.scheduler.runFor(100);
    expect(node.backlogLength).toBe(3);
    expect(node.droppedWhileWedged).toBe(2);
    // The node's own timers queue past the bound: none is lost, and they run in order.
    for (let i = 5; i < 7; i++) ctx.setTimer(10 * i, () => fired.push(i));
    w.scheduler.runFor(100);
    expect(node.backlogLength).toBe(5);
    expect(node.droppedWhileWedged).toBe(2);
    node.unwedge();
    expect(fired).toEqual([0, 1, 2, 5, 6]);

    node.wedge();
    ctx.setTimer(10, () => fired.push(99));
    w.scheduler.runFor(100);
    expect(node.backlogLength).toBe(1);
    node.kill();
    expect(node.backlogLength).toBe(0);
    node.unwedge(); // not wedged any more: a no-op
    expect(fired).toEqual([0, 1, 2, 5, 6]);
  });

  it('a graceful stop of a wedged node first runs its backlog, then says goodbye', () => {
    const w = world();
    const node = w.host('node');
    node.start();
    const ctx = w.ctxOf('node');
    node.wedge();
    ctx.setTimer(10, () => w.log.push({ what: 'timer', atMs: w.scheduler.nowMs }));
    w.scheduler.runFor(100);
    node.stop('bye');
    expect(w.log.map((e) => e.what)).toEqual(['timer', 'node stop bye']);
  });
});

describe('data dir', () => {
  it('a write beyond capacity returns ENOSPC and changes nothing', () => {
    const disk = new DataDir(100);
    expect(disk.write('a', new Uint8Array(60).fill(1))).toEqual({ ok: true });
    const result = disk.write('b', new Uint8Array(41));
    expect(result).toEqual({ ok: false, error: 'ENOSPC', path: 'b', neededBytes: 41, freeBytes: 40 });
    expect(disk.paths()).toEqual(['a']);
    expect(disk.usedBytes).toBe(60);
    // A failed replacement leaves the old contents in place.
    expect(disk.write('a', new Uint8Array(101)).ok).toBe(false);
    expect(disk.read('a')).toEqual(new Uint8Array(60).fill(1));
    // Replacing counts only the difference; filling exactly to capacity is fine.
    expect(disk.write('a', new Uint8Array(100)).ok).toBe(true);
    expect(disk.freeBytes).toBe(0);
    expect(disk.write('a', new Uint8Array(10)).ok).toBe(true);
    expect(disk.usedBytes).toBe(10);
  });

  it('reads return copies: the stored bytes cannot be changed from outside', () => {
    const disk = new DataDir(10);
    const bytes = new Uint8Array([1, 2, 3]);
    disk.write('f', bytes);
    bytes[0] = 9;
    disk.read('f')![1] = 9;
    expect(disk.read('f')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('fill() leaves the asked free bytes, writes fail, clearBallast() makes them succeed again', () => {
    const disk = new DataDir(1_000);
    disk.write('identity', new Uint8Array(100));
    expect(disk.fill()).toBe(900);
    expect(disk.freeBytes).toBe(0);
    expect(disk.write('peers', new Uint8Array(1))).toMatchObject({ ok: false, error: 'ENOSPC', freeBytes: 0 });
    disk.clearBallast();
    expect(disk.freeBytes).toBe(900);
    expect(disk.fill(50)).toBe(850);
    expect(disk.write('peers', new Uint8Array(50)).ok).toBe(true);
    expect(disk.write('more', new Uint8Array(1)).ok).toBe(false);
    disk.clearBallast();
    expect(disk.usedBytes).toBe(150);
    expect(disk.read('identity')?.length).toBe(100);
  });

  it("a host's full disk gives its app an error value and the node keeps running", () => {
    const w = world();
    const node = w.host('node', { diskCapacityBytes: 64 });
    node.start();
    node.dataDir.fill();
    const result = w.ctxOf('node').dataDir.write('peers.json', text('[]'));
    expect(result.ok).toBe(false);
    expect(node.status).toBe('running');
    node.dataDir.clearBallast();
    expect(w.ctxOf('node').dataDir.write('peers.json', text('[]')).ok).toBe(true);
  });
});

describe('node clock', () => {
  it('wall = monotonic + offset + drift; jump and setOffsetMs move only the wall clock', () => {
    const time = { nowMs: 1_000 };
    const clock = new NodeClock(time);
    expect(clock.wallMs()).toBe(1_000);
    clock.jump(5_000);
    expect([clock.monotonicMs(), clock.wallMs(), clock.skewMs()]).toEqual([1_000, 6_000, 5_000]);
    clock.jump(-7_000);
    expect(clock.skewMs()).toBe(-2_000);
    clock.setOffsetMs(250);
    time.nowMs = 3_000;
    expect([clock.monotonicMs(), clock.wallMs()]).toEqual([3_000, 3_250]);
    clock.setOffsetMs(0);
    expect(clock.wallMs()).toBe(3_000);
  });

  it('drift accrues in ppm from when it is set, rounds down, and is kept when drift changes', () => {
    const time = { nowMs: 10_000 };
    const clock = new NodeClock(time);
    clock.setDriftPpm(1_000); // 1 ms per second
    time.nowMs = 20_000;
    expect(clock.skewMs()).toBe(10);
    time.nowMs = 20_999;
    expect(clock.skewMs()).toBe(10); // 10.999 ms rounds down
    clock.setDriftPpm(0);
    time.nowMs = 100_000;
    expect(clock.skewMs()).toBe(10); // accumulated drift is kept
    clock.setDriftPpm(-1_000);
    time.nowMs = 101_500;
    expect(clock.skewMs()).toBe(10 - 2); // -1.5 ms rounds down to -2
    clock.jump(100);
    expect(clock.wallMs()).toBe(101_500 + 100 + 8);
    expect(clock.monotonicMs()).toBe(101_500);
  });
});
