/**
 * A handful of mesh nodes (src/mesh/node.ts) on a fresh simulated network, for unit tests of the
 * node: each node is named by one letter and gets a fixed hex id, joins the topics it is given
 * through the seeds it is given, and runs with the default configuration unless a test changes
 * it. Spans are read back by name and node, with their start times; virtual time only.
 */
import { MESH_NODE_DEFAULTS, type MeshNodeConfig, type NodeVariant } from '../../src/mesh/config.js';
import { DeliveryLedger } from '../../src/mesh/delivery-ledger.js';
import { MeshNode } from '../../src/mesh/node.js';
import { topicIdOf } from '../../src/mesh/topic-id.js';
import { encodeEnvelope } from '../../src/protocol/codec.js';
import type { TopicMessage } from '../../src/protocol/messages.js';
import { Network } from '../../src/sim/network/index.js';
import { NodeHost } from '../../src/sim/node-host.js';
import { RngStreams } from '../../src/sim/rng.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { Telemetry } from '../../src/sim/telemetry/index.js';
import type { SpanName } from '../../src/sim/telemetry/span-vocabulary.js';

export const MESH = 'mesh-a';

/** A fixed 64-hex-digit node id per one-letter name ('a' → 'a0a0…'). */
export const idOf = (name: string): string => `${name}0`.repeat(32);

export interface NodeOptions {
  readonly role?: string;
  /** The node's own mesh. Default MESH. */
  readonly meshId?: string;
  /** Topics it subscribes to. Default its own mesh only. */
  readonly meshIds?: readonly string[];
  /** Seed names. */
  readonly seeds?: readonly string[];
  /** Topics joined through each seed. Default the node's own mesh. */
  readonly seedMeshIds?: readonly string[];
  readonly config?: Partial<MeshNodeConfig>;
  readonly variant?: NodeVariant;
  /** The host's bound on inbound work queued while wedged (NodeHostOptions). */
  readonly wedgeBacklogMax?: number;
}

export interface WorldNode {
  readonly name: string;
  readonly id: string;
  readonly host: NodeHost;
  /** The application of the current incarnation. */
  readonly app: MeshNode;
}

export function meshWorld(options: { readonly trace?: boolean } = {}) {
  const scheduler = new Scheduler();
  const rng = new RngStreams('mesh-node');
  const network = new Network(scheduler, rng);
  const telemetry = new Telemetry(scheduler, rng.stream('span-ids'), { traceLevel: options.trace === true ? 'trace' : 'info' });
  const deliveries = new DeliveryLedger(); // shared, as a cluster's nodes share theirs

  const node = (name: string, o: NodeOptions = {}): WorldNode => {
    const meshId = o.meshId ?? MESH;
    const config: MeshNodeConfig = { ...MESH_NODE_DEFAULTS, ...o.config, variant: o.variant ?? {} };
    const seeds = (o.seeds ?? []).map((s) => ({ nodeId: idOf(s), meshIds: o.seedMeshIds ?? [meshId] }));
    let app: MeshNode | null = null;
    const identity = { nodeId: idOf(name), name, role: o.role ?? 'gateway', meshId };
    const host = new NodeHost({ scheduler, network, telemetry, rng }, identity, (ctx) => {
      app = new MeshNode(ctx, { meshIds: o.meshIds ?? [meshId], seeds, config, deliveries });
      return app;
    }, { wedgeBacklogMax: o.wedgeBacklogMax });
    host.start();
    return { name, id: identity.nodeId, host, get app() { return app!; } };
  };

  /** Attributes of the spans `name` recorded by `node`, in finish order. */
  const spans = (name: SpanName, node: WorldNode) => telemetry.records.filter((r) => r.name === name && r.node === node.name).map((r) => r.attrs);
  /** Start times of those spans. */
  const times = (name: SpanName, node: WorldNode) => telemetry.records.filter((r) => r.name === name && r.node === node.name).map((r) => r.startMs);
  /** Send a topic message from `from` to `to` as it is, outside the protocol machines. */
  const sendRaw = (from: WorldNode, to: WorldNode, message: TopicMessage, meshId = MESH): void =>
    from.app.peers.send(to.id, encodeEnvelope({ topic: topicIdOf(meshId), message }));
  /** Run until virtual time `atMs`. */
  const runTo = (atMs: number): void => void scheduler.runFor(atMs - scheduler.nowMs);

  return { scheduler, network, telemetry, node, spans, times, sendRaw, runTo };
}
