/**
 * Churn without cause: outside fault periods, a neighbour link between two running nodes goes
 * down only for a recorded cause. Eventual checks cannot see this (membership refills and
 * Plumtree repairs within a second), so it is read afterwards from the spans the nodes emit.
 *
 * A `mesh.gossip.neighbor_down{cause}` is caused when its cause is a HyParView decision
 * (`evicted`, `disconnect` — the peer's decision —, `quit`), or `peer-down` with the connection
 * reason `closed-by-peer` and the peer's own `mesh.peer.disconnected` for this node recording
 * why it closed (`unused`). The same recorded close also explains the reason `reset`: a packet
 * that reached the peer after its close draws a reset from it (docs/failure-model.md, "Who
 * answers"; under every `deadPeer`, as the peer's process is running), and the wire may deliver
 * that reset before the close (within 10 s of it). On a network that loses packets (the
 * scenario's default link, `network.lossPct` > 0) the close may be lost, and the reset then
 * answers this end's next packet, up to a keep-alive period later; there the same recorded
 * close explains an idle timeout too: a connection close is one packet, never retransmitted,
 * and when it and every reset are lost the other end hears nothing more and idles out (1,000
 * nodes at 5 % loss: a node evicted its peer, took it up again from a reply that crossed the
 * eviction, and the peer, which had dropped it, closed the connection as unused; its close was
 * lost, and the one-sided link lasted until the idle timeout 30 s later). On such a network the
 * close behind a reset or an idle timeout may lie up to the idle timeout before the down (plus
 * the 10 s). A failed dial (`dial-timeout`) is caused there too: every attempt of its handshake
 * can be lost (two meshes of 100 gateways at 30 % loss showed it in 18 of seeds 1–20, in 14 of
 * them as the only violation; at 20 % in 2 of 20). A neighbour lost to an idle timeout no such
 * close explains, a failed dial on a lossless network, a reset no close explains, or a close of
 * its own making is a fault, or a substrate bug when no fault was in force. Every
 * `mesh.peer.disconnected` must carry a cause as well.
 *
 * Fault periods come from the chaos spans, and from `sim.node.killed` (the host records every
 * kill, whatever caused it — chaos, a workload failure, a test: from the kill until the node is
 * ready again, plus the aftermath): from `chaos.primitive.applied` until its
 * `chaos.primitive.reverted` plus an aftermath (idle timeout + dial timeout + slack: a fault's
 * losses surface that late), and excuse only downs that involve one of the event's targets: a
 * link between two untouched nodes must stay up through chaos elsewhere. A node runs from its
 * `mesh.node.ready` until its `mesh.node.stopping` (kills are chaos, and target the killed
 * node). Reads spans only.
 */
import type { SpanRecord } from '../../sim/telemetry/index.js';
import type { Violation } from '../checker.js';
import type { Cluster } from '../cluster.js';

/** Causes that are HyParView decisions (this node's or, for `disconnect`, the peer's). */
export const DECISION_CAUSES: ReadonlySet<string> = new Set(['evicted', 'disconnect', 'quit']);
/** Causes a node may give for closing a peer's connections in a fault-free period. */
export const CLOSE_CAUSES: ReadonlySet<string> = new Set(['unused']);
/**
 * Connection reasons a peer's recorded close can explain: its close itself, or the reset its
 * host sent to a packet that crossed that close (under `deadPeer` `reset` or `close`).
 */
const CLOSE_REASONS: ReadonlySet<string> = new Set(['closed-by-peer', 'reset']);
/** How far back the closer's own span may lie before the close reaches this node, ms (guess: retransmissions). */
const CLOSE_LOOKBACK_MS = 10_000;
/**
 * How far back a reset, or an idle timeout, may look for the peer's recorded close, ms:
 * CLOSE_LOOKBACK_MS, and on a network that loses packets the idle timeout plus that. There a
 * lost close surfaces only at this end's next packet (a keep-alive, up to 15 s on, draws the
 * peer's reset) or, with every reset lost too, at the idle timeout. On a lossless network a
 * close outside faults always arrives, and a reset answers only a packet that crossed it.
 */
function closeLookbackMs(cluster: Cluster): number {
  const { link, idleTimeoutMs } = cluster.network.config;
  return link.lossNum > 0 ? idleTimeoutMs + CLOSE_LOOKBACK_MS : CLOSE_LOOKBACK_MS;
}
/** Margin on top of idle + dial timeout for a fault's losses to surface, ms (guess). */
const AFTERMATH_SLACK_MS = 5_000;

export interface Period {
  readonly fromMs: number;
  readonly untilMs: number;
}

/** A chaos event's period and the nodes (names) it targeted. */
export interface FaultPeriod extends Period {
  readonly targets: ReadonlySet<string>;
}

/** Fault periods of the run, from chaos spans, each extended by the aftermath. */
export function faultPeriods(cluster: Cluster): FaultPeriod[] {
  const q = cluster.telemetry.query;
  const aftermathMs = cluster.network.config.idleTimeoutMs + cluster.network.config.dialTimeoutMs + AFTERMATH_SLACK_MS;
  const reverted = new Map(q.find({ name: 'chaos.primitive.reverted' }).map((s) => [s.parentSpanId, s.endMs]));
  const targetsOf = (s: SpanRecord): Set<string> => new Set(String(s.attrs.targets).split(',').filter((t) => t !== ''));
  const chaos = q.find({ name: 'chaos.primitive.applied' }).map((a) => {
    const r = reverted.get(a.spanId);
    return { fromMs: a.endMs, untilMs: r === undefined ? Infinity : r + aftermathMs, targets: targetsOf(a) };
  });
  const kills = q.find({ name: 'sim.node.killed' }).map((k) => {
    const back = q.find({ name: 'mesh.node.ready', node: String(k.attrs.targets), sinceMs: k.endMs }).find((r) => r.seq > k.seq);
    return { fromMs: k.endMs, untilMs: back === undefined ? Infinity : back.endMs + aftermathMs, targets: targetsOf(k) };
  });
  return [...chaos, ...kills];
}

/**
 * Whether a fault excuses what happened to `nodes` (names) within [fromMs, untilMs]: a fault
 * period overlaps it and targeted one of them. A fault elsewhere excuses nothing here.
 */
export function excused(faults: readonly FaultPeriod[], fromMs: number, untilMs: number, nodes: readonly string[]): boolean {
  return faults.some((p) => p.fromMs <= untilMs && fromMs <= p.untilMs && nodes.some((n) => p.targets.has(n)));
}

/** A down or close that no HyParView decision or recorded close explains; faults may still excuse it. */
interface Suspect {
  readonly kind: 'close' | 'down';
  readonly node: string;
  readonly peer: string;
  readonly endMs: number;
  readonly message: string;
}

/** What the check needs of a close: when it was recorded and the cause it gave. */
interface Close {
  readonly endMs: number;
  readonly cause: unknown;
}

/** The cause the peer gave for its last close of its connections to a node (name, node id), if recorded. */
type LastClose = (closer: string, peerId: string, sinceMs: number, untilMs: number) => { readonly cause?: unknown } | undefined;

/**
 * Judges every close and down as it is recorded (telemetry listeners), keeping only the
 * suspects and each pair's recent closes: the check then works at any size, also when per-pair
 * spans are not kept in memory (above 1,000 nodes). Create it before the run starts.
 *
 * A down only asks for a close at most the lookback old (`closeLookbackMs`), so closes are kept
 * in two generations, each at least that long: when the current one is that old, it becomes the
 * previous one and the older is dropped. Memory then follows the closes of the last two
 * lookbacks, not every pair that ever closed (at 2,000 nodes that was ~120,000 spans after
 * 100 s, a fifth of the live heap).
 */
export class ChurnWatcher {
  readonly suspects: Suspect[] = [];
  private recent = new Map<string, Close>();
  private older = new Map<string, Close>();
  private recentSinceMs = 0;
  private readonly lookbackMs: number;

  constructor(cluster: Cluster) {
    const tel = cluster.telemetry;
    this.lookbackMs = closeLookbackMs(cluster);
    tel.listen('mesh.peer.disconnected', (s) => {
      if (s.attrs.reason === 'closed-locally') this.remember(`${s.node}|${String(s.attrs.peerId)}`, { endMs: s.endMs, cause: s.attrs.cause });
      const suspect = judgeClose(s, cluster);
      if (suspect !== null) this.suspects.push(suspect);
    });
    tel.listen('mesh.gossip.neighbor_down', (s) => {
      const suspect = judgeDown(s, cluster, (closer, peerId, sinceMs) => {
        const key = `${closer}|${peerId}`;
        const last = this.recent.get(key) ?? this.older.get(key);
        return last !== undefined && last.endMs >= sinceMs ? last : undefined;
      });
      if (suspect !== null) this.suspects.push(suspect);
    });
  }

  /** Closes held in memory (the last one per pair, over the last one or two lookbacks). */
  get closesKept(): number {
    return this.recent.size + this.older.size;
  }

  private remember(key: string, close: Close): void {
    if (close.endMs - this.recentSinceMs >= this.lookbackMs) {
      this.older = this.recent;
      this.recent = new Map();
      this.recentSinceMs = close.endMs;
    }
    this.recent.set(key, close);
  }
}

/**
 * Churn without cause over the run: the watcher's suspects (or, without one, the spans kept in
 * memory, judged now), less those a fault excuses or that involve a node not running.
 */
export function checkChurn(cluster: Cluster, watcher?: ChurnWatcher): Violation[] {
  const faults = faultPeriods(cluster);
  const lives = lifetimes(cluster);
  const running = (name: string, ms: number): boolean => (lives.get(name) ?? []).some((p) => ms >= p.fromMs && ms < p.untilMs);
  const suspects = watcher?.suspects ?? suspectsInRecords(cluster);
  return suspects
    .filter((x) => !excused(faults, x.endMs, x.endMs, [x.node, x.peer]) && (x.kind === 'close' || (running(x.node, x.endMs) && running(x.peer, x.endMs))))
    .map((x) => v(x.message));
}

function suspectsInRecords(cluster: Cluster): Suspect[] {
  const q = cluster.telemetry.query;
  const lastClose: LastClose = (closer, peerId, sinceMs, untilMs) =>
    q.find({ name: 'mesh.peer.disconnected', node: closer, sinceMs, untilMs, attrs: { peerId, reason: 'closed-locally' } }).at(-1)?.attrs;
  const closes = q.find({ name: 'mesh.peer.disconnected' }).map((s) => judgeClose(s, cluster));
  const downs = q.find({ name: 'mesh.gossip.neighbor_down' }).map((s) => judgeDown(s, cluster, lastClose));
  return [...closes, ...downs].filter((x): x is Suspect => x !== null);
}

/** Every close must carry a cause. */
function judgeClose(s: SpanRecord, cluster: Cluster): Suspect | null {
  if (s.attrs.cause !== undefined) return null;
  const peer = nameOf(cluster, String(s.attrs.peerId));
  return { kind: 'close', node: s.node, peer, endMs: s.endMs, message: `${s.node} closed its connection to ${peer} (${s.attrs.reason}) without a cause at ${s.endMs} ms` };
}

function judgeDown(s: SpanRecord, cluster: Cluster, lastClose: LastClose): Suspect | null {
  const peerId = String(s.attrs.peerId);
  if (!cluster.isNode(peerId)) return null;
  const peer = cluster.nameOf(peerId);
  const lossy = cluster.network.config.link.lossNum > 0;
  const why = unexplained(s, peer, cluster.idOfName(s.node), lastClose, closeLookbackMs(cluster), lossy);
  return why === null ? null : { kind: 'down', node: s.node, peer, endMs: s.endMs, message: `${s.node} ${s.attrs.topic}: neighbour ${peer} went down at ${s.endMs} ms ${why}` };
}

/**
 * Null if the down is caused; otherwise what is wrong with it. `lookbackMs`: how far back a
 * recorded close of the peer explains a reset, and on a network that loses packets (`lossy`)
 * an idle timeout (`closeLookbackMs`).
 */
function unexplained(down: SpanRecord, peer: string, selfId: string, lastClose: LastClose, lookbackMs: number, lossy: boolean): string | null {
  const cause = down.attrs.cause;
  if (cause === undefined) return 'without a cause';
  if (DECISION_CAUSES.has(String(cause))) return null;
  if (cause !== 'peer-down') return `for an unknown cause ${String(cause)}`;
  const reason = String(down.attrs.reason ?? 'unknown');
  // On a network that loses packets a dial fails when every handshake attempt is lost: five
  // within the 5 s dial timeout (RTO 200 ms, doubling), so at 30 % loss about one dial in 400,
  // which two meshes of 100 gateways make several of in a minute. The loss is its cause.
  if (reason === 'dial-timeout' && lossy) return null;
  if (reason === 'idle-timeout' && lossy) {
    const last = lastClose(peer, selfId, down.endMs - lookbackMs, down.endMs);
    if (last !== undefined && CLOSE_CAUSES.has(String(last.cause))) return null; // its close was lost
  }
  if (!CLOSE_REASONS.has(reason)) return `with no fault in force (connection ${reason})`;
  const last = lastClose(peer, selfId, down.endMs - (reason === 'reset' ? lookbackMs : CLOSE_LOOKBACK_MS), down.endMs);
  if (last === undefined) return reason === 'reset' ? 'with no fault in force (connection reset)' : 'closed by the peer, which recorded no close';
  return CLOSE_CAUSES.has(String(last.cause)) ? null : `closed by the peer for ${String(last.cause ?? 'no recorded cause')}`;
}

function nameOf(cluster: Cluster, nodeId: string): string {
  return cluster.isNode(nodeId) ? cluster.nameOf(nodeId) : nodeId;
}

/** Per node name, the periods it ran: each mesh.node.ready until the next mesh.node.stopping (or the end). */
function lifetimes(cluster: Cluster): Map<string, Period[]> {
  const q = cluster.telemetry.query;
  const out = new Map<string, Period[]>();
  const events = [...q.find({ name: 'mesh.node.ready' }), ...q.find({ name: 'mesh.node.stopping' })].sort((a, b) => a.seq - b.seq);
  for (const s of events) {
    const list = out.get(s.node) ?? [];
    out.set(s.node, list);
    const open = list.length > 0 && list[list.length - 1].untilMs === Infinity;
    if (s.name === 'mesh.node.ready') {
      if (open) list[list.length - 1] = { fromMs: list[list.length - 1].fromMs, untilMs: s.endMs };
      list.push({ fromMs: s.endMs, untilMs: Infinity });
    } else if (open) {
      list[list.length - 1] = { fromMs: list[list.length - 1].fromMs, untilMs: s.endMs };
    }
  }
  return out;
}

function v(message: string): Violation {
  return { check: 'churn-without-cause', message };
}
