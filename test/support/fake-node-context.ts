/**
 * A hand-driven NodeContext for unit tests of the mesh node's parts (digest gossip, node disk,
 * seed dialer): time and wall time are set by the test, timers are collected instead of
 * scheduled, spans are collected as plain records. Only the members those parts read are real;
 * reading any other member throws, so a test cannot silently depend on a missing fake.
 */
import { DataDir } from '../../src/sim/data-dir.js';
import type { NodeContext, NodeIdentity } from '../../src/sim/node-host.js';

export interface FakeSpan {
  readonly node: string;
  readonly name: string;
  readonly attrs: Readonly<Record<string, unknown>>;
}

export interface FakeTimer {
  readonly delayMs: number;
  readonly fn: () => void;
}

export interface FakeNodeContext {
  readonly ctx: NodeContext;
  readonly spans: FakeSpan[];
  readonly timers: FakeTimer[];
  readonly dataDir: DataDir;
  nowMs: number;
  wallMs: number;
}

export function fakeNodeContext(identity: NodeIdentity, diskCapacityBytes = 1 << 20): FakeNodeContext {
  const fake: FakeNodeContext = {
    ctx: undefined as unknown as NodeContext,
    spans: [],
    timers: [],
    dataDir: new DataDir(diskCapacityBytes),
    nowMs: 0,
    wallMs: 0,
  };
  const members: Partial<NodeContext> = {
    identity,
    dataDir: fake.dataDir,
    nowMs: () => fake.nowMs,
    clock: { wallMs: () => fake.wallMs } as NodeContext['clock'],
    telemetry: {
      emit: (node: string, name: string, attrs: Record<string, unknown>) => {
        fake.spans.push({ node, name, attrs });
        return null;
      },
    } as unknown as NodeContext['telemetry'],
    setTimer: (delayMs: number, fn: () => void) => {
      fake.timers.push({ delayMs, fn });
      return fake.timers.length;
    },
  };
  (fake as { ctx: NodeContext }).ctx = new Proxy(members as NodeContext, {
    get(target, key: string | symbol) {
      if (!(key in target)) throw new Error(`fakeNodeContext: ${String(key)} is not faked`);
      return target[key as keyof NodeContext];
    },
  });
  return fake;
}
