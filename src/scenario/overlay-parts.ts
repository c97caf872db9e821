/**
 * Where a topic's overlay stood apart when a chaos detection timed out: the diagnosis its
 * violation carries. Over the running nodes of each topic, two are in one part when either holds
 * the other in its active view and no partition lies between them; every part but the largest is
 * reported, in one of two kinds:
 * - stranded: nothing any node of the part knows there (active and passive views, seeds, with
 *   the cache switch its peer cache), nor anything a node of the rest knows, leads across while
 *   reachable (no partition between, no inbound firewall on the one dialled unless a connection
 *   is already open). No protocol step can join the part to the rest until a fault ends (a killed
 *   peer comes back, a cut is repaired): a shuffle only trades what is known inside a part.
 * - apart though known across: some node knows a reachable peer on the other side, and names up
 *   to three such pairs. A node asks a passive peer when it loses a neighbour (§4.3) and, with a
 *   free slot, again at each shuffle (every 60 s by default; hyparview-state.ts), and a seed
 *   when cut off, so two parts whose views are not empty can stay apart for up to a shuffle
 *   period, or until a failure moves one of them.
 * The snapshot is read from the lower layer (the nodes' own views and seeds, the network's
 * partitions and firewalls), not from the trace under judgement, and only when a detection has
 * timed out: it explains a red and never makes one green. Wedged nodes count as down (they
 * answer nothing while wedged), NAT-shifted ones as reachable (a new dial resolves their new
 * address).
 */
import type { Cluster } from './cluster.js';
import { UnionFind } from './union-find.js';

/** What the diagnosis reads: the nodes' own views and seeds and the network's cuts, now. */
export interface SplitWorld {
  meshIds(): readonly string[];
  /** Nodes subscribed to the topic, in plan order. */
  subscribers(meshId: string): readonly { readonly nodeId: string }[];
  /** Up and processing (a wedged node answers nothing). */
  running(nodeId: string): boolean;
  activeView(nodeId: string, meshId: string): readonly string[];
  /** Every peer the node could ask to get back onto the topic (`MeshNode.knownOn`). */
  knownPeers(nodeId: string, meshId: string): readonly string[];
  connectedPeers(nodeId: string): readonly string[];
  partitioned(a: string, b: string): boolean;
  inboundBlocked(nodeId: string): boolean;
  nameOf(nodeId: string): string;
}

const NONE: readonly string[] = [];

/** The snapshot of a cluster, read live. */
export function splitWorldOf(cluster: Cluster): SplitWorld {
  return {
    meshIds: () => cluster.meshIds(),
    subscribers: (meshId) => cluster.subscribers(meshId),
    running: (nodeId) => cluster.host(nodeId).status === 'running',
    activeView: (nodeId, meshId) => cluster.app(nodeId)?.activeView(meshId) ?? NONE,
    knownPeers: (nodeId, meshId) => cluster.app(nodeId)?.knownOn(meshId) ?? NONE,
    connectedPeers: (nodeId) => cluster.app(nodeId)?.peers.connectedPeers() ?? NONE,
    partitioned: (a, b) => cluster.network.partitionsHeld(a, b) > 0,
    inboundBlocked: (nodeId) => cluster.network.inboundFirewall(nodeId),
    nameOf: (nodeId) => cluster.nameOf(nodeId),
  };
}

/** One part of a topic's overlay apart from the rest at the moment of the diagnosis. */
export interface SplitPart {
  readonly meshId: string;
  /** Its nodes' names, in plan order, at most SPLIT_NAMES_MAX of them. */
  readonly nodes: readonly string[];
  /** How many nodes the part holds (more than `nodes` lists when over the cap). */
  readonly size: number;
  /** Running nodes on the topic, this part included. */
  readonly running: number;
  /**
   * True when no peer any node of the part knows (nor any node that knows one of them) leads to
   * the rest: the protocol cannot join them until a fault ends. False when someone knows across
   * but nobody asks; `knownAcross` then names up to three such pairs.
   */
  readonly stranded: boolean;
  /** "a knows b" pairs across the split (at most three); empty when stranded. */
  readonly knownAcross: readonly string[];
}

/** Names listed per part; a 10,000-node topic cut in half would otherwise list 5,000. */
export const SPLIT_NAMES_MAX = 20;
const PAIRS_SHOWN = 3;

/**
 * The parts of every topic's overlay (or of each of `meshIds`, in that order) apart from its
 * largest one now, each topic's parts by their first node's plan order. Two running nodes are in one
 * part when either holds the other in its active view and no partition lies between them; a
 * part is stranded when not even what its nodes know, or what others know of them, reaches the
 * largest part.
 */
export function splitParts(world: SplitWorld, meshIds: readonly string[] = world.meshIds()): SplitPart[] {
  const out: SplitPart[] = [];
  for (const meshId of meshIds) {
    const members = world.subscribers(meshId).filter((p) => world.running(p.nodeId));
    if (members.length < 2) continue;
    const slot = new Map<string, number>(members.map((p, i) => [p.nodeId, i]));
    const overlay = new UnionFind(members.length);
    for (const [i, a] of members.entries()) {
      for (const b of world.activeView(a.nodeId, meshId)) {
        const j = slot.get(b);
        if (j !== undefined && !world.partitioned(a.nodeId, b)) overlay.join(i, j);
      }
    }
    const parts = new Map<number, number[]>();
    for (let i = 0; i < members.length; i++) {
      const root = overlay.find(i);
      const part = parts.get(root);
      if (part === undefined) parts.set(root, [i]);
      else part.push(i);
    }
    if (parts.size < 2) continue;
    // Who could ask whom: the overlay's links, and every known peer reachable now.
    const knowledge = new UnionFind(members.length);
    for (const part of parts.values()) for (const i of part) knowledge.join(part[0], i);
    const across = new Map<number, string[]>();
    const note = (root: number, pair: string): void => {
      const list = across.get(root) ?? [];
      if (list.length < PAIRS_SHOWN) list.push(pair);
      across.set(root, list);
    };
    for (const [i, a] of members.entries()) {
      let connected: ReadonlySet<string> | null = null;
      for (const b of world.knownPeers(a.nodeId, meshId)) {
        const j = slot.get(b);
        if (j === undefined || overlay.find(i) === overlay.find(j) || world.partitioned(a.nodeId, b)) continue;
        // A firewall drops new dials to b; a connection a already holds to it still carries.
        if (world.inboundBlocked(b)) {
          connected ??= new Set(world.connectedPeers(a.nodeId));
          if (!connected.has(b)) continue;
        }
        knowledge.join(i, j);
        const pair = `${world.nameOf(a.nodeId)} knows ${world.nameOf(b)}`;
        note(overlay.find(i), pair);
        note(overlay.find(j), pair);
      }
    }
    // The largest part is the rest of the overlay; on a tie, the one with the earliest plan.
    const ordered = [...parts.values()].sort((x, y) => x[0] - y[0]);
    const rest = ordered.reduce((best, p) => (p.length > best.length ? p : best));
    for (const part of ordered) {
      if (part === rest) continue;
      const stranded = knowledge.find(part[0]) !== knowledge.find(rest[0]);
      out.push({
        meshId,
        nodes: part.slice(0, SPLIT_NAMES_MAX).map((i) => world.nameOf(members[i].nodeId)),
        size: part.length,
        running: members.length,
        stranded,
        knownAcross: stranded ? [] : (across.get(overlay.find(part[0])) ?? []),
      });
    }
  }
  return out;
}

/** One line for a timeout's message, at most three parts. */
export function describeSplit(parts: readonly SplitPart[]): string {
  const shown = parts.slice(0, 3).map((p) => {
    const who = `${p.nodes.join(', ')}${p.size > p.nodes.length ? ` and ${p.size - p.nodes.length} more` : ''} on ${p.meshId} (${p.size} of ${p.running} running)`;
    if (p.stranded) return `${who}, stranded: every peer known on either side of the split is down or cut off`;
    return `${who}, though ${p.knownAcross.join(', ')}: not joined yet (a node asks a passive peer when it loses a neighbour or at its next shuffle, a seed when cut off)`;
  });
  if (parts.length > shown.length) shown.push(`${parts.length - shown.length} more parts`);
  return shown.join('; ');
}
