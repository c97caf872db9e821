/**
 * An unstarted cluster whose trace a case writes by hand: the chaos world the detectors read,
 * the mesh's nodes, a clock the case moves forward (`at`), and one writer per span the cases
 * write, so each attribute is spelt once here and checked against the span vocabulary. Nothing
 * runs: only the spans a case writes are in the trace. By default one mesh, 'mesh-a', of one
 * node per role, no bridges, plus the observer; writers about a topic use the mesh's.
 */
import type { CloseReason } from '../../src/sim/network/types.js';
import type { PeerCloseCause } from '../../src/mesh/peers.js';
import type { ChaosWorld } from '../../src/primitives/types.js';
import type { NeighborDownCause } from '../../src/protocol/hyparview-types.js';
import { Cluster } from '../../src/scenario/cluster.js';
import { OBSERVER_ROLE, standardMesh, type NodePlan, type TopologySpec } from '../../src/scenario/topology.js';
import { HARNESS_NODE, type SpanContextRef } from '../../src/sim/telemetry/index.js';
import { runningWorldOf, worldOf } from './chaos.js';

export interface HandTraceOptions {
  /** Every node read as running (`runningWorldOf`); by default the hosts' own status (`worldOf`): nothing was started. */
  readonly running?: boolean;
  /** The mesh whose nodes `nodes` lists and whose topic the writers use. Default 'mesh-a'. */
  readonly meshId?: string;
  /** Default one mesh `meshId` of one node per role, no bridges. */
  readonly topology?: TopologySpec;
}

export interface ReadyOptions {
  /** Default 1. */
  readonly incarnation?: number;
  /** Written only when given. */
  readonly identity?: string;
  /** Default the node's role. */
  readonly nodeType?: string;
}

export function handTrace(seed: string, options: HandTraceOptions = {}) {
  const meshId = options.meshId ?? 'mesh-a';
  const cluster = new Cluster({ seed, topology: options.topology ?? { meshes: [standardMesh(meshId, 1)], bridges: 0 } });
  const world: ChaosWorld = options.running === true ? runningWorldOf(cluster) : worldOf(cluster);
  /** The mesh's nodes, observer left out, in plan order. */
  const nodes = cluster.plans.filter((p) => p.meshIds.includes(meshId) && p.role !== OBSERVER_ROLE);
  const tel = cluster.telemetry;
  const names = (targets: readonly NodePlan[]) => targets.map((t) => t.name).join(',');

  /** Move virtual time forward to `ms`. */
  const at = (ms: number) => cluster.scheduler.runFor(ms - cluster.scheduler.nowMs);
  /** A chaos event applied to `targets`; the span is the parent its revert names. */
  const chaos = (name: string, targets: readonly NodePlan[], params = '{}') =>
    tel.emit(HARNESS_NODE, 'chaos.primitive.applied', { name, targets: names(targets), params })!;
  const revert = (applied: SpanContextRef, name: string) => tel.emit(HARNESS_NODE, 'chaos.primitive.reverted', { name }, { parent: applied })!;
  /** The host's record of a process that died (the node itself says no goodbye). */
  const killed = (node: NodePlan, mode = 'crash', incarnation = 1) => tel.emit(HARNESS_NODE, 'sim.node.killed', { targets: node.name, mode, incarnation })!;
  const ready = (node: NodePlan, o: ReadyOptions = {}) =>
    tel.emit(node.name, 'mesh.node.ready', {
      nodeId: node.nodeId,
      nodeName: node.name,
      nodeType: o.nodeType ?? node.role,
      meshId,
      incarnation: o.incarnation ?? 1,
      ...(o.identity !== undefined ? { identity: o.identity } : {}),
    })!;
  /** `from`'s end of a connection to `to`. */
  const connected = (from: NodePlan, to: NodePlan, direction: 'inbound' | 'outbound') =>
    tel.emit(from.name, 'mesh.peer.connected', { peerId: to.nodeId, direction })!;
  /** `from`'s end of its connection to `to` closed; the cause is the reason unless the node gave one of its own. */
  const disconnected = (from: NodePlan, to: NodePlan, reason: CloseReason, cause: PeerCloseCause | CloseReason = reason) =>
    tel.emit(from.name, 'mesh.peer.disconnected', { peerId: to.nodeId, reason, cause })!;
  /** `from` takes `to` into its active view. */
  const up = (from: NodePlan, to: NodePlan, topic = meshId) => tel.emit(from.name, 'mesh.gossip.neighbor_up', { topic, peerId: to.nodeId })!;
  /** `from` drops `to` from its active view. */
  const down = (from: NodePlan, to: NodePlan, cause: NeighborDownCause, topic = meshId) =>
    tel.emit(from.name, 'mesh.gossip.neighbor_down', { topic, peerId: to.nodeId, cause })!;
  /** x dials y, and each takes the other up. */
  const link = (x: NodePlan, y: NodePlan) => {
    connected(x, y, 'outbound');
    connected(y, x, 'inbound');
    up(x, y);
    up(y, x);
  };
  /** `from` sends its topic's Join through `to`. */
  const join = (from: NodePlan, to: NodePlan, topic = meshId) => tel.emit(from.name, 'mesh.gossip.join', { topic, peerId: to.nodeId })!;
  /** `node` learns `about`'s digest. */
  const learn = (node: NodePlan, about: NodePlan) => tel.emit(node.name, 'mesh.digest.learned', { topic: meshId, nodeId: about.nodeId, nodeName: about.name })!;

  return {
    cluster,
    world,
    nodes,
    tel,
    /** The observer (it subscribes to every topic). Throws when the topology has none. */
    observer: (): NodePlan => {
      const o = cluster.plans.find((p) => p.role === OBSERVER_ROLE);
      if (o === undefined) throw new Error('this topology has no observer');
      return o;
    },
    /** The first node of `role`. */
    byRole: (role: string): NodePlan => {
      const p = cluster.plans.find((x) => x.role === role);
      if (p === undefined) throw new Error(`no node of role ${role}`);
      return p;
    },
    at,
    chaos,
    revert,
    killed,
    ready,
    connected,
    disconnected,
    up,
    down,
    link,
    join,
    learn,
  };
}
