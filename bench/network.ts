/**
 * Network message throughput: FRAMES small frames from A to B over one connection and one uni
 * stream of src/sim/network, on a fresh scheduler, without and with 10% loss per direction
 * (lost packets are retransmitted after the RTO, and the stream puts chunks back in order).
 * The sender writes until backpressure and resumes on drain. One row also runs every chunk
 * through a FrameDecoder, as the mesh does. Rates count frames delivered in order per wall second.
 */
import { FRAME_LIMIT_BI, FrameDecoder, TAG_ECHO, encodeFrame } from '../src/protocol/framer.js';
import { Network, type Connection, type EndpointOwner, type Stream } from '../src/sim/network/index.js';
import { RngStreams } from '../src/sim/rng.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { type Row, medianMs, rate } from './table.js';

const FRAMES = 200_000;
const PAYLOAD_BYTES = 40;
const REPS = 5;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** A node that is always up and runs every callback at once. */
const owner: EndpointOwner = { isUp: () => true, isResponsive: () => true, deliver: (fn) => fn() };

interface Outcome {
  readonly events: number;
  readonly virtualMs: number;
}

function transfer(lossPercent: number, decode: boolean): Outcome {
  const scheduler = new Scheduler();
  const network = new Network(scheduler, new RngStreams('bench'));
  if (lossPercent > 0) {
    network.setLink(A, B, { lossNum: lossPercent, lossDen: 100 });
    network.setLink(B, A, { lossNum: lossPercent, lossDen: 100 });
  }
  const frame = encodeFrame(TAG_ECHO, new Uint8Array(PAYLOAD_BYTES).fill(7));
  let received = 0;
  network.bind(B, owner, (conn: Connection) => {
    conn.onStream = (stream) => {
      const decoder = new FrameDecoder(FRAME_LIMIT_BI);
      stream.onData = decode
        ? (bytes) => {
            decoder.push(bytes);
            for (let r = decoder.next(); r !== null; r = decoder.next()) if (r.ok) received++;
          }
        : () => received++;
    };
  });
  const a = network.bind(A, owner, () => {});
  let sent = 0;
  let stream: Stream | null = null;
  const pump = (): void => {
    while (sent < FRAMES) {
      const result = stream!.write(frame);
      if (!result.ok) {
        if (result.reason === 'backpressure') return; // onDrain calls pump again
        throw new Error('stream closed during the benchmark');
      }
      sent++;
    }
  };
  a.dial(B, (r) => {
    if (!r.ok) throw new Error(`dial failed: ${r.reason}`);
    stream = r.conn.openUni();
    stream.onDrain = pump;
    pump();
  });
  const report = scheduler.runUntil(() => received === FRAMES, { virtualMs: 3_600_000 });
  if (!report.ok) throw new Error(`network bench stopped: ${report.reason} after ${received} frames`);
  return { events: scheduler.eventsRun, virtualMs: scheduler.nowMs };
}

export function run(): Row[] {
  const cases = [
    { name: 'no loss', loss: 0, decode: false },
    { name: '10% loss', loss: 10, decode: false },
    { name: 'no loss + FrameDecoder', loss: 0, decode: true },
  ];
  return cases.map(({ name, loss, decode }) => {
    let outcome: Outcome = { events: 0, virtualMs: 0 };
    const wallMs = medianMs(() => {
      outcome = transfer(loss, decode);
    }, REPS);
    return {
      case: name,
      frames: FRAMES,
      'sim events': outcome.events,
      'virtual s': (outcome.virtualMs / 1000).toFixed(1),
      'median ms': wallMs.toFixed(1),
      'frames/s': rate(FRAMES, wallMs),
      'events/s': rate(outcome.events, wallMs),
    };
  });
}
