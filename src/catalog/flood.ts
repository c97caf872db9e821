/**
 * The bi-stream flood workload (SPEC §6 `backpressure-stream-flood`): a client node keeps
 * `streams` concurrent bi streams busy with `payloadBytes` echo frames against a server node
 * for `durationMs`, each stream sending its next frame when the echo of the previous one has
 * come back byte for byte. Counts round trips and errors (a mismatched or undecodable echo, a
 * stream that could not be opened). Backpressure is waited out, never counted as an error.
 * The client and server are protected from chaos: the flood measures the transport, not them.
 */
import { FRAME_LIMIT_BI, FrameDecoder, TAG_ECHO } from '../protocol/framer.js';
import { encodeEcho } from '../protocol/traced.js';
import type { Stream } from '../sim/network/index.js';
import type { Violation } from '../scenario/checker.js';
import type { RunContext, RunExtension, RunExtensionFactory } from '../scenario/scenario.js';

export interface FloodConfig {
  readonly streams: number;
  readonly payloadBytes: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly minRoundTrips: number;
}

export const FLOOD_DEFAULTS: FloodConfig = { streams: 32, payloadBytes: 1024, startMs: 10_000, durationMs: 10_000, minRoundTrips: 200 };

export class FloodWorkload implements RunExtension {
  roundTrips = 0;
  errors: string[] = [];
  private client = '';
  private server = '';

  constructor(
    private readonly ctx: RunContext,
    private readonly config: FloodConfig,
  ) {
    const plans = ctx.cluster.plans.filter((p) => p.role !== 'observer');
    this.client = plans[0].nodeId;
    this.server = plans[plans.length - 1].nodeId;
    ctx.protectedNodes.add(this.client);
    ctx.protectedNodes.add(this.server);
  }

  start(): void {
    this.ctx.cluster.scheduler.at(this.config.startMs, () => {
      for (let i = 0; i < this.config.streams; i++) this.openStream(i);
    });
  }

  finish(): void {}

  violations(): Violation[] {
    const out: Violation[] = [];
    if (this.roundTrips < this.config.minRoundTrips) {
      out.push({ check: 'backpressure-stream-flood', message: `only ${this.roundTrips} round trips (need ${this.config.minRoundTrips})` });
    }
    for (const e of this.errors.slice(0, 5)) out.push({ check: 'backpressure-stream-flood', message: e });
    return out;
  }

  report(): Record<string, unknown> {
    return { flood: { streams: this.config.streams, payloadBytes: this.config.payloadBytes, roundTrips: this.roundTrips, errors: this.errors.length } };
  }

  private get endMs(): number {
    return this.config.startMs + this.config.durationMs;
  }

  private openStream(index: number): void {
    const app = this.ctx.cluster.app(this.client);
    if (app === undefined) {
      this.errors.push(`stream ${index}: client is down`);
      return;
    }
    app.peers.openBi(this.server, (stream) => {
      if (stream === null) this.errors.push(`stream ${index}: could not open a bi stream to the server`);
      else this.drive(index, stream);
    });
  }

  private drive(index: number, stream: Stream): void {
    const rng = this.ctx.cluster.rng.stream(`flood:${index}`);
    const decoder = new FrameDecoder(FRAME_LIMIT_BI);
    let expected: Uint8Array = new Uint8Array(0);
    const sendNext = (): void => {
      if (this.ctx.cluster.scheduler.nowMs >= this.endMs) return;
      expected = rng.bytes(this.config.payloadBytes);
      const frame = encodeEcho(expected);
      if (!stream.write(frame).ok) stream.onDrain = () => {
        stream.onDrain = () => {};
        if (!stream.write(frame).ok) this.errors.push(`stream ${index}: write refused after drain`);
      };
    };
    stream.onData = (bytes) => {
      decoder.push(bytes);
      for (let r = decoder.next(); r !== null; r = decoder.next()) {
        if (!r.ok || r.value.tag !== TAG_ECHO || !equal(r.value.payload, expected)) {
          this.errors.push(`stream ${index}: bad echo after ${this.roundTrips} round trips`);
          return;
        }
        this.roundTrips++;
        sendNext();
      }
    };
    sendNext();
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function floodExtension(config: Partial<FloodConfig> = {}): RunExtensionFactory {
  const full = { ...FLOOD_DEFAULTS, ...config };
  return Object.assign((ctx: RunContext): RunExtension => new FloodWorkload(ctx, full), {
    // A main phase that ends before the flood has run its course judges round trips never sent.
    endsEarly: (durationMs: number): string | null => {
      const endMs = full.startMs + full.durationMs;
      return endMs <= durationMs ? null : `flood: its streams run from ${full.startMs} to ${endMs} ms, past the main phase (durationMs ${durationMs})`;
    },
  });
}
