/**
 * The span vocabulary (SPEC §2.4): every span name the simulator records, with the types of
 * its attributes. `Telemetry.emit`, `start` and `listen`, `SpanQuery`'s filters, the chaos
 * detectors, the report and the public API are typed by it, so a misspelt span name or
 * attribute fails to compile. Types only: nothing here runs, so the hot path pays nothing.
 *
 * Node applications brought by users (docs/byo-node.md) name their own spans under `app.`;
 * those take any attributes. Must not hold behaviour or import anything (records import it).
 */

/** An attribute value: spans carry only these (OpenTelemetry's primitive attribute types). */
export type AttrValue = string | number | boolean;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Attribute types per span name. Optional attributes are sometimes absent from a record. */
export type SpanVocabulary = {
  // A node's life (the mesh node's own account; the host records kills).
  'mesh.node.ready': { nodeId: string; nodeName: string; nodeType: string; meshId: string; incarnation?: number; identity?: string; cachedPeers?: number };
  'mesh.node.stopping': { reason: string };
  // Connections.
  'mesh.peer.connected': { peerId: string; direction: string };
  'mesh.peer.disconnected': { peerId: string; reason: string; cause?: string };
  'mesh.peer.dial_failed': { peerId: string; reason: string };
  'mesh.cross.peer_connected': { peerId: string; ownMeshId: string; peerMeshId: string; peerNodeType: string };
  // Gossip and the Plumtree tree.
  'mesh.gossip.broadcast': { topic: string; sizeBytes: number };
  'mesh.gossip.received': { topic: string; from: string; origin?: string; kind?: string };
  /** A topic sent a Join through this seed (mesh/node.ts, `joinTopicThrough`). */
  'mesh.gossip.join': { topic: string; peerId: string };
  /** A topic asked this peer to take it into its active view (HyParView's Neighbor request; priority high or low). */
  'mesh.gossip.neighbor_request': { topic: string; peerId: string; priority: string };
  'mesh.gossip.neighbor_up': { topic: string; peerId: string };
  'mesh.gossip.neighbor_down': { topic: string; peerId: string; cause?: string; reason?: string };
  'mesh.gossip.rejected': { topic: string; reason: string };
  'mesh.plumtree.graft': { topic: string; peerId: string };
  'mesh.plumtree.prune': { topic: string; peerId: string };
  'mesh.plumtree.gave_up': { topic: string; messageId: string; reason: string };
  // Probes (the harness's broadcasts, delivered by the nodes).
  'mesh.probe.sent': { topic: string; probeId: string; messageId: string; sizeBytes: number };
  'mesh.probe.delivered': { topic: string; probeId: string; origin: string; from: string; hop: number };
  // The substrate (SPEC §2.3).
  'mesh.digest.learned': { topic: string; nodeId: string; nodeName: string };
  'mesh.staleness.pruned': { removed: number; stalenessMs: number; nodeIds: string };
  'mesh.heartbeat': { peerCount: number; wallTimeMs: number; clockSkewMs: number };
  'mesh.bridge.per_mesh_heartbeat': { meshId: string; peerCount: number };
  'mesh.frame.decode_failed': { error: string; peerId?: string };
  'mesh.bi.unknown_tag': { tag: number; sizeBytes: number };
  'mesh.seed.retry': { attempt: number; delayMs: number; peerId: string };
  'mesh.seed.giveup': { attempts: number; peerId: string };
  /** Every seed of the topic failed while it was cut off: a dial to a cached peer to join through (`rejoinFromPeerCache`). */
  'mesh.peercache.rejoin': { topic: string; peerId: string };
  'mesh.disk.write_failed': { path: string; freeBytes: number };
  'mesh.disk.write_recovered': { path: string };
  // The harness: kills recorded by the host, workload failures, chaos events.
  'sim.node.killed': { targets: string; mode: string; incarnation: number };
  'workload.failure': { targets: string; mode: string; killed: number };
  'chaos.primitive.applied': { name: string; targets: string; params?: string };
  'chaos.primitive.detected': { name: string; result: string; waitedMs: number; message?: string };
  'chaos.primitive.evidence': {
    name: string; evidenceName: string; evidenceNode: string; evidenceSpanId: string; evidenceTraceId: string; evidenceAtMs: number;
  };
  'chaos.primitive.reverted': { name: string };
} & {
  // Spans of node applications users bring (docs/byo-node.md): any attributes.
  readonly [app: `app.${string}`]: Attrs;
};

/** A span name the simulator knows: one of the vocabulary's, or an application's `app.…`. */
export type SpanName = keyof SpanVocabulary & string;

/** The attributes a span of this name carries. */
export type SpanAttrs<N extends SpanName> = Readonly<SpanVocabulary[N]>;

/** Counted events too frequent for a span (`Telemetry.tally`), by name, with what their key is. */
export type TallyVocabulary = {
  /** Every Gossip payload a node receives, duplicates included; the key is the message id. */
  'mesh.gossip.payload_received': 'messageId';
};

export type TallyName = keyof TallyVocabulary;
