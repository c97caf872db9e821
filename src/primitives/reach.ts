/**
 * Who could reach whom, and when, read from spans only: the chaos spans of a run
 * (`chaos.primitive.applied{name,targets}` and its child `chaos.primitive.reverted`) say which
 * pairs another fault cut, and the nodes' own `mesh.gossip.neighbor_up|down` spans say which
 * overlay links they held (and their `mesh.gossip.join` and `mesh.peer.dial_failed` spans whether
 * they could join a topic at all). Detectors use it to tell a
 * failure of the mesh from a failure another, concurrent fault explains: a detector judges a
 * claim such as "traffic found another path" only when another path existed, and blames its
 * own fault only when a concurrent fault did not take that path away. It must not look at the
 * network or the nodes.
 */
import type { SpanQuery } from '../sim/telemetry/query.js';
import { crossedAt, inboundAt, incarnationStartSeq, type ProbeCutOff, type ProbeRoundOptions } from './evidence.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { plumtreePassOnMs, probeRoundMs, revertedAfterDetectionByMs, stalenessWindowMs, T, type Timers } from './timing.js';
import type { ChaosWorld, Fault, PrimitiveName } from './types.js';
import { formulaOf, msOf, timer, type DeadlineWait } from './schema.js';

/**
 * What a primitive cuts, as far as reaching a peer goes: `node` — every pair with a target;
 * `link` — the pair of its two targets; `subset` — every pair across the targets' boundary;
 * `none` — nothing (the node stays reachable). Conservative: slow and lossy links count as cut.
 */
export const REACH_CUT: Readonly<Record<PrimitiveName, 'node' | 'link' | 'subset' | 'none'>> = {
  kill_node: 'node',
  restart_node: 'node',
  burst_kill: 'node',
  wedge_node: 'node',
  nat_shift: 'node',
  firewall_inbound: 'node',
  partition_pair: 'link',
  flap_link: 'link',
  slow_link: 'link',
  lossy_link: 'link',
  partition_subset: 'subset',
  disk_full: 'none',
  clock_skew: 'none',
};

/** After a revert, a node needs this long to rejoin and gossip again, ms (guess: dial + Join + one 2 s digest tick + slack). */
export const REJOIN_ALLOWANCE_MS = 5_000;

export interface CutWindow {
  /** The primitive whose event this is. */
  readonly name: string;
  readonly cut: 'node' | 'link' | 'subset';
  /** Node names. */
  readonly targets: ReadonlySet<string>;
  readonly fromMs: number;
  /** Revert time, ms; Infinity if never reverted. */
  readonly revertedAtMs: number;
  /** Revert time plus the rejoin allowance; Infinity if never reverted. */
  readonly untilMs: number;
  /**
   * When a fault of fixed length not reverted yet is due to be (apply + its `durationMs` or
   * `downtimeMs`); absent once reverted, or for a fault reverted after its detection.
   */
  readonly dueMs?: number;
}

/**
 * Every chaos event of the run that cuts reachability, with its window, and every failure of
 * the run's workload (`workload.failure`, named `workload_failure`): a node cut from the failure
 * on, for good (a workload never revives its victims). A detector sees a failure as another
 * event: a path through a node it killed is no path, though the node's peers hold the link until
 * they idle it out (the observer killed by a failure at 150 s was still a bridge's neighbour
 * and a restarted broker's for 30 s, and a restart_node's round, sent 13 s after the failure,
 * was owed to nodes only that link reached: a layout with `rejoinFromPeerCache`, `--chaos 20`,
 * seed 290).
 */
export function cutWindows(query: SpanQuery): CutWindow[] {
  const reverted = new Map(query.find({ name: 'chaos.primitive.reverted' }).map((s) => [s.parentSpanId, s.endMs]));
  const out: CutWindow[] = [];
  for (const applied of query.find({ name: 'chaos.primitive.applied' })) {
    const cut = REACH_CUT[String(applied.attrs.name) as PrimitiveName] ?? 'node'; // unknown name: assume the worst
    if (cut === 'none') continue;
    const revertedAtMs = reverted.get(applied.spanId);
    const lengthMs = revertedAtMs === undefined ? fixedLengthMs(String(applied.attrs.params)) : undefined;
    out.push({
      name: String(applied.attrs.name),
      cut,
      targets: new Set(String(applied.attrs.targets).split(',').filter((t) => t !== '')),
      fromMs: applied.endMs,
      revertedAtMs: revertedAtMs ?? Infinity,
      untilMs: revertedAtMs === undefined ? Infinity : revertedAtMs + REJOIN_ALLOWANCE_MS,
      ...(lengthMs === undefined ? {} : { dueMs: applied.endMs + lengthMs }),
    });
  }
  for (const failure of query.find({ name: 'workload.failure' })) {
    const targets = new Set(String(failure.attrs.targets).split(',').filter((t) => t !== ''));
    if (targets.size > 0) out.push({ name: WORKLOAD_FAILURE, cut: 'node', targets, fromMs: failure.endMs, revertedAtMs: Infinity, untilMs: Infinity });
  }
  return out;
}

/** A fault's fixed length from its applied span's parameters (`durationMs`, or a restart's `downtimeMs`); undefined when it has none. */
function fixedLengthMs(params: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(params);
  } catch {
    return undefined;
  }
  const p = parsed as { durationMs?: unknown; downtimeMs?: unknown } | null;
  const ms = p?.durationMs ?? p?.downtimeMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

/** The name of a workload failure's cut window (`cutWindows`). */
export const WORKLOAD_FAILURE = 'workload_failure';

/** Whether a chaos window separates nodes `a` and `b` (names) at some time in [fromMs, toMs]. */
export function isCutDuring(windows: readonly CutWindow[], a: string, b: string, fromMs: number, toMs: number): boolean {
  for (const w of windows) {
    if (w.fromMs > toMs || w.untilMs <= fromMs) continue;
    if (isCut([w], a, b, Math.max(fromMs, w.fromMs))) return true;
  }
  return false;
}

/** Whether one of `windows` cut off node `name` whole at `atMs` (killed or restarted and still rejoining, wedged, firewalled, moved). */
export function inNodeCut(windows: readonly CutWindow[], name: string, atMs: number): boolean {
  return windows.some((w) => w.cut === 'node' && w.targets.has(name) && atMs >= w.fromMs && atMs < w.untilMs);
}

/** Whether a chaos window separates nodes `a` and `b` (names) at `atMs`. */
export function isCut(windows: readonly CutWindow[], a: string, b: string, atMs: number): boolean {
  for (const w of windows) {
    if (atMs < w.fromMs || atMs >= w.untilMs) continue;
    const inA = w.targets.has(a);
    const inB = w.targets.has(b);
    if (w.cut === 'node' && (inA || inB)) return true;
    if (w.cut === 'link' && inA && inB) return true;
    if (w.cut === 'subset' && inA !== inB) return true;
  }
  return false;
}

/** The cut windows of every chaos event but `fault` itself (applied at `appliedAtMs`). */
export function otherCutWindows(world: ChaosWorld, fault: Fault, appliedAtMs: number): CutWindow[] {
  const own = fault.targets.map((t) => world.nameOf(t));
  const isOwn = (w: CutWindow) => w.fromMs === appliedAtMs && w.targets.size === own.length && own.every((t) => w.targets.has(t));
  return cutWindows(world.spans).filter((w) => !isOwn(w));
}

/**
 * Nodes (ids) another chaos event than `fault` (applied at `fromMs`) cut off (a node or subset
 * cut: killed, restarted, wedged, firewalled, moved, partitioned; with `links`, a link cut's two
 * ends too) at some time in [fromMs, toMs], from the chaos spans. What a detector may excuse of
 * its own targets: another event's damage, never its own.
 */
export function othersTouched(world: ChaosWorld, fault: Fault, fromMs: number, toMs: number, links = false): Set<string> {
  const out = new Set<string>();
  for (const w of otherCutWindows(world, fault, fromMs)) {
    if ((w.cut === 'link' && !links) || w.fromMs > toMs || w.untilMs < fromMs) continue;
    for (const p of world.nodes) if (w.targets.has(p.name)) out.add(p.nodeId);
  }
  return out;
}

/**
 * The overlay on `topic` at `atMs` as the nodes' own spans show it: for each node (id), the
 * peers (ids) in its active view — the latest neighbor_up about a peer, in the node's current
 * incarnation, is newer than the latest neighbor_down. Directed: Plumtree pushes a broadcast
 * from a node to the peers in its own view.
 */
export function overlayAt(world: ChaosWorld, topic: string, atMs: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of world.nodes) {
    if (!p.meshIds.includes(topic)) continue;
    const latest = latestNeighbourChanges(world, p.name, topic, atMs);
    out.set(p.nodeId, [...latest].filter(([, s]) => s.name === 'mesh.gossip.neighbor_up').map(([peer]) => peer).sort());
  }
  return out;
}

/**
 * `name`'s latest neighbor_up or neighbor_down about each peer (id) on `topic` by `atMs`, in its
 * incarnation current then, in the order of those spans.
 */
function latestNeighbourChanges(world: ChaosWorld, name: string, topic: string, atMs: number): Map<string, SpanRecord> {
  const latest = new Map<string, SpanRecord>();
  for (const s of neighbourChanges(world, name, topic, atMs)) latest.set(String(s.attrs.peerId), s);
  return latest;
}

/** `name`'s neighbor_up and neighbor_down spans on `topic` by `atMs`, in its incarnation current then, in order. */
function neighbourChanges(world: ChaosWorld, name: string, topic: string, atMs: number): SpanRecord[] {
  const q = world.spans;
  const since = incarnationStartSeq(world, name, atMs);
  return [
    ...q.find({ name: 'mesh.gossip.neighbor_up', node: name, untilMs: atMs, attrs: { topic } }),
    ...q.find({ name: 'mesh.gossip.neighbor_down', node: name, untilMs: atMs, attrs: { topic } }),
  ].filter((s) => s.seq > since).sort((x, y) => x.seq - y.seq);
}

/** Whether `to` (another node than `from`) can be reached from `from` along the overlay's directed links that `blocked` leaves open. */
export function pathExists(overlay: ReadonlyMap<string, readonly string[]>, from: string, to: string, blocked: (x: string, y: string) => boolean): boolean {
  return to !== from && reachableFrom(overlay, from, blocked, to).has(to);
}

/**
 * Every node reachable from `from` along the overlay's directed links that `blocked` leaves open
 * (`from` included); with `until`, the search stops once it reaches that node.
 */
export function reachableFrom(overlay: ReadonlyMap<string, readonly string[]>, from: string, blocked: (x: string, y: string) => boolean, until?: string): Set<string> {
  const seen = new Set([from]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const x = queue[i];
    for (const y of overlay.get(x) ?? []) {
      if (seen.has(y) || blocked(x, y)) continue;
      seen.add(y);
      if (y === until) return seen;
      queue.push(y);
    }
  }
  return seen;
}

/**
 * A detector's own cut of overlay links (x → y blocked). `inboundOnlyOf` names the node whose
 * inbound connections alone it cuts (an inbound firewall): of two crossed connections between
 * that node and a peer it takes one, and the link lives on over the other (`judgeLinks`). `at`
 * gives the same cut at another instant, for a cut read from the connections of the moment: a
 * link dropped earlier is judged by the cut when it was dropped (`judgeLinks`).
 */
export type OwnBlock = ((x: string, y: string) => boolean) & { readonly inboundOnlyOf?: string; readonly at?: (atMs: number) => OwnBlock };

export const NO_BLOCK = (): boolean => false;

/**
 * Subscribers of `topic` (ids) that other chaos events (`others`, from otherCutWindows) had cut
 * off from `origin` at `atMs`: on the overlay the nodes' own neighbour spans show then, a
 * directed path from `origin` reached them with the detector's own cuts (`ownBlock`) alone, and
 * none did once the other events' cuts were added (their windows, and the links that ran on a
 * connection another event killed: `diedWithPeer`). A broadcast sent from `origin` then could not
 * reach them whatever the mesh did until those cuts healed, or until the nodes noticed them
 * (HyParView learns of a dead link from the transport: an idle timeout, 30 s); showing that
 * repair is the other events' evidence, not the caller's. A node the overlay left unreachable
 * even without the other cuts is not in the set, unless it was inside another event's node cut
 * at `atMs` (killed or restarted and still rejoining, wedged, firewalled, moved), or off the
 * topic (an empty active view there) because the other events held up its join (`joinHeldUp`),
 * or the other events had taken every link the own cuts left of it, or of the island of nodes it
 * still held links to (`strippedIsland`). When other events kept `origin`'s own part of the
 * overlay off the rest (`homeKeptApart`), every subscriber outside it is in the set. For a
 * kill's round (`killed`), an island is stripped too when the kill's victims took some of its
 * links and other events the rest, the last of them after the kill (`strippedAfterKill`).
 */
export function cutOffFrom(world: ChaosWorld, others: readonly CutWindow[], topic: string, origin: string, atMs: number, ownBlock: OwnBlock = NO_BLOCK, killed?: Killed): Set<string> {
  if (others.length === 0) return new Set();
  const overlay = overlayAt(world, topic, atMs);
  const withOwn = reachableFrom(overlay, origin, ownBlock);
  // The origin itself on a part other events kept off the rest (joins held up, or made only
  // through such members): nothing outside that part can hear it, whatever the mesh does, until they
  // let go (fast-check seed 6474: a gateway a burst revived dialled its two seeds, both killed
  // by a second burst, for 40 s, and was the next kill's closing round's first sender).
  let home: Set<string> | undefined;
  const homePart = (): Set<string> => (home ??= partOfOrigin(overlay, origin));
  if (homeKeptApart(world, others, topic, origin, homePart, atMs)) {
    return new Set(world.subscribers(topic).map((p) => p.nodeId).filter((id) => !homePart().has(id)));
  }
  const withAll = reachableFrom(overlay, origin, everyCut(world, others, topic, atMs, ownBlock));
  const out = new Set([...withOwn].filter((id) => !withAll.has(id)));
  const judge = linkJudge(world, others, topic, atMs, ownBlock);
  let afterKill: ((id: string) => LinksJudged | null) | undefined;
  const islandOf = (id: string): ReadonlySet<string> | null => {
    const island = strippedIsland(judge, id);
    if (island !== null || killed === undefined) return island;
    afterKill ??= linkJudge(world, others, topic, atMs, victimsBlock(ownBlock, killed), killed.atMs);
    return strippedAfterKill(afterKill, id);
  };
  let partOf: Map<string, Set<string>> | null = null;
  const judgedParts = new Map<Set<string>, boolean>();
  for (const p of world.nodes) {
    if (withOwn.has(p.nodeId) || !p.meshIds.includes(topic)) continue;
    // Out of reach even without the other events' cuts, but inside one's node cut at that
    // moment (killed or restarted and still rejoining, wedged, firewalled, moved): its thin or
    // empty views are that event's doing.
    if (inNodeCut(others, p.name, atMs)) out.add(p.nodeId);
    else if ((overlay.get(p.nodeId) ?? []).length === 0 && joinHeldUp(world, others, topic, p.nodeId, atMs)) out.add(p.nodeId);
    else {
      // An island `origin` reaches a node of (along a link only one way) is not cut off whole.
      const island = islandOf(p.nodeId);
      if (island !== null && ![...island].some((id) => withOwn.has(id))) out.add(p.nodeId);
      else {
        partOf ??= unreachedParts(overlay, withOwn);
        const part = partOf.get(p.nodeId);
        if (part !== undefined) {
          let heldUp = judgedParts.get(part);
          if (heldUp === undefined) judgedParts.set(part, (heldUp = joinHeldUpPart(world, others, topic, part, atMs) || rejoinBlocked(world, others, topic, part, atMs)));
          if (heldUp) out.add(p.nodeId);
        }
      }
    }
  }
  return out;
}

/**
 * Whether the nodes of `part` (a part of the overlay on `topic`, its links either way by the
 * nodes' spans, that `origin` did not reach) are nodes whose joins other events held up
 * (`joinHeldUp`, at least one) and nodes that joined only through the part's own members: two
 * nodes a burst revived at once, one of which joined through the other while the other's seeds
 * were all inside a `partition_subset`, are an island of two until the repair (fast-check seed
 * 6454: registries revived at 54.8 s, their seeds held till 83.7 s).
 */
function joinHeldUpPart(world: ChaosWorld, others: readonly CutWindow[], topic: string, part: ReadonlySet<string>, atMs: number): boolean {
  let heldUp = false;
  for (const id of part) {
    const name = world.nameOf(id);
    const since = incarnationStartSeq(world, name, atMs);
    if (since < 0) return false;
    const joins = world.spans.find({ name: 'mesh.gossip.join', node: name, untilMs: atMs, attrs: { topic } }).filter((j) => j.seq >= since);
    if (joins.length > 0) {
      if (!joins.every((j) => part.has(String(j.attrs.peerId)))) return false;
    } else if (joinHeldUp(world, others, topic, id, atMs)) heldUp = true;
    else return false;
  }
  return heldUp;
}

/**
 * Whether the last Join the nodes of `part` (a part of the overlay on `topic` that `origin` did
 * not reach) sent to a node outside it went to a contact other events had cut off from its
 * sender when it was sent, and that cut still holds at `atMs` or lifted less than a seed check
 * and a dial before: the part tried to rejoin the rest, another event stopped it, and its next
 * try comes at a seed check. Random layouts with drawn settings (fast-check seed 20504): a
 * `partition_subset` took the mesh-a gateways two bridges had joined through; the one try
 * they made, at their fallback seed 80 s later, went over a connection into a bridge another
 * event had firewalled, and was lost; the next, after the firewall's dead path was replaced,
 * came a seed check later and took them back. A part whose last try outside was answered, or
 * went to a peer nothing else cut, is not excused, nor is one that never tried.
 */
function rejoinBlocked(world: ChaosWorld, others: readonly CutWindow[], topic: string, part: ReadonlySet<string>, atMs: number): boolean {
  let last: SpanRecord | undefined;
  for (const id of part) {
    const name = world.nameOf(id);
    const since = incarnationStartSeq(world, name, atMs);
    if (since < 0) return false;
    for (const j of world.spans.find({ name: 'mesh.gossip.join', node: name, untilMs: atMs, attrs: { topic } })) {
      if (j.seq >= since && !part.has(String(j.attrs.peerId)) && (last === undefined || j.seq > last.seq)) last = j;
    }
  }
  if (last === undefined) return false;
  const sentAtMs = last.endMs;
  const [joiner, contact] = [last.node, world.nameOf(String(last.attrs.peerId))];
  const retryMs = world.timers.seedCheckIntervalMs + world.timers.dialTimeoutMs;
  return others.some((w) => isCut([w], joiner, contact, sentAtMs) && atMs < w.untilMs + retryMs);
}

/**
 * Whether other chaos events (`others`) kept `origin`'s own part of the overlay on `topic` off
 * the rest at `atMs`, by the nodes' spans (`homeKeptApart`): a probe from it reaches nobody
 * outside, so a round sends from another node when it has one (`ProbeCutOff.keptApart`).
 */
export function originKeptApart(world: ChaosWorld, others: readonly CutWindow[], topic: string, origin: string, atMs: number): boolean {
  if (others.length === 0) return false;
  return homeKeptApart(world, others, topic, origin, () => partOfOrigin(overlayAt(world, topic, atMs), origin), atMs);
}

/**
 * Whether `origin`'s own part of the overlay on `topic` (`part`, built only when needed) is one
 * other events kept off the rest, by the nodes' spans in their lives current at `atMs`: each
 * member never joined, its join held up by the other events (`joinHeldUp`), or joined only
 * through such members of the part. Stricter than `joinHeldUpPart`, which a part the origin did
 * not reach may satisfy by joins among its own members: the origin's part is most often the
 * whole overlay, whose joins all lie within it. The origin is asked first: on the whole overlay
 * it joined through a node that joined too, or never joined and nothing held it up, which a few
 * span queries show without building the part (a round asks this of its sender at every send).
 */
function homeKeptApart(world: ChaosWorld, others: readonly CutWindow[], topic: string, origin: string, part: () => ReadonlySet<string>, atMs: number): boolean {
  const lives = new Map<string, readonly SpanRecord[] | null>();
  const joinsOf = (id: string): readonly SpanRecord[] | null => {
    let out = lives.get(id);
    if (out === undefined) {
      const name = world.nameOf(id);
      const since = incarnationStartSeq(world, name, atMs);
      out = since < 0 ? null : world.spans.find({ name: 'mesh.gossip.join', node: name, untilMs: atMs, attrs: { topic } }).filter((j) => j.seq >= since);
      lives.set(id, out);
    }
    return out;
  };
  const heldOff = (id: string): boolean => joinsOf(id)?.length === 0 && joinHeldUp(world, others, topic, id, atMs);
  const fits = (id: string, members?: ReadonlySet<string>): boolean => {
    const joins = joinsOf(id);
    if (joins === null) return false;
    if (joins.length === 0) return heldOff(id);
    return joins.every((j) => {
      const peer = String(j.attrs.peerId);
      return (members === undefined || members.has(peer)) && heldOff(peer);
    });
  };
  if (!fits(origin)) return false;
  const members = part();
  for (const id of members) if (!fits(id, members)) return false;
  return true;
}

/** The part of `overlay` (links either way) that holds `origin`. */
function partOfOrigin(overlay: ReadonlyMap<string, readonly string[]>, origin: string): Set<string> {
  return reachableFrom(undirectedLinks(overlay), origin, NO_BLOCK);
}

/** `overlay`'s links either way (a node's view, and the nodes whose views hold it), `without` one node and its links. */
export function undirectedLinks(overlay: ReadonlyMap<string, readonly string[]>, without?: string): Map<string, string[]> {
  const links = new Map<string, string[]>();
  const link = (x: string, y: string): void => {
    const list = links.get(x);
    if (list === undefined) links.set(x, [y]);
    else list.push(y);
  };
  for (const [x, view] of overlay) {
    if (x === without) continue;
    for (const y of view) {
      if (y === without) continue;
      link(x, y);
      link(y, x);
    }
  }
  return links;
}

/**
 * The parts of `overlay` (links either way) among the nodes `reached` leaves out, each node
 * mapped to its part, parts linked to a reached node left out; built once per call of
 * `cutOffFrom`, on the first node that needs it.
 */
function unreachedParts(overlay: ReadonlyMap<string, readonly string[]>, reached: ReadonlySet<string>): Map<string, Set<string>> {
  const links = undirectedLinks(overlay);
  const partOf = new Map<string, Set<string>>();
  // A part with a link, either way, to a node `origin` reached is not apart from it: left out.
  const touching = new Set<Set<string>>();
  for (const start of overlay.keys()) {
    if (reached.has(start) || partOf.has(start)) continue;
    const part = new Set([start]);
    partOf.set(start, part);
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      for (const y of links.get(queue[i]) ?? []) {
        if (reached.has(y)) touching.add(part);
        if (reached.has(y) || part.has(y)) continue;
        part.add(y);
        partOf.set(y, part);
        queue.push(y);
      }
    }
  }
  for (const [id, part] of partOf) if (touching.has(part)) partOf.delete(id);
  return partOf;
}

/** A node's overlay links as `judgeLinks` reads them: those nothing cuts, and the peers other events took. */
interface LinksJudged {
  readonly open: readonly string[];
  readonly taken: readonly string[];
  /** Of `taken`, the peers an event begun after `judgeLinks`'s `lateSinceMs` took (all of `taken` when not asked). */
  readonly takenLate: readonly string[];
}

/**
 * The links of `nodeId` on `topic` by its own spans in its incarnation current at `atMs`, judged
 * for `strippedIsland`: the links still in its view that nothing cuts (`open`) and the peers
 * other events took it from (`taken`); null when it dropped a link the mesh let go or could
 * have kept, and took up no other peer since (a drop for another cause than the transport
 * losing the peer, or a loss over a link nothing cut then). A drop a later neighbour made up
 * for says nothing about its view now: the default layout's churn at boot evicts and refills
 * within the same millisecond (clock-skew-60s under --chaos 20, seed 270: a broker evicted one
 * peer at 1.7 s, taking another up at once, was stripped by other events at 51–75 s). Nor does
 * a Disconnect, the peer evicting this node to take a newcomer up: the node then asks passive
 * candidates with low priority (and again every Shuffle period), which a peer accepts only with
 * a free slot (HyParView §4.3), so in an overlay whose views are full a view one short after one
 * is the protocol's steady state, not a link the mesh let go (firewall-inbound under --chaos
 * 20, seed 2027: a gateway the observer evicted at 2.7 s held four neighbours for 42 s, until
 * other events took all four). A link is cut by another event's window on the peer (isCut; a
 * window on the node itself, still rejoining after its revive, says nothing about one link),
 * when it ran on a connection another event ended (diedWithPeer), or when another event's
 * inbound firewall on the node itself was up and the link ran on a connection the peer dialled
 * (chaos-soak-9prim-1min under --chaos 20, seed 2270: a registry firewalled from 13.2 to 59.1 s
 * lost its inbound links to idle timeouts at 41–43 s and kept two it could not use, a restarted
 * compute and a broker firewalled itself, until 82 s); the own cut (`ownBlock`) counts too, but
 * not as taken by others, unless it took one of two crossed connections (an inbound firewall
 * on the node, `OwnBlock.inboundOnlyOf`) and another event cut the link too: the own cut left
 * the link the connection the node dialled, and the other event took that (a layout of a
 * gateway, a compute and a bridge without the observer, layout property seed 808: the compute
 * and the gateway had dialled each other; a firewall on the compute cut the gateway's
 * connection, one on the gateway 1.9 s later the compute's, and the compute's only other link
 * ran on a connection the bridge had dialled). A link still in the view is judged at `atMs`, a
 * dropped one when it was dropped.
 */
function judgeLinks(world: ChaosWorld, others: readonly CutWindow[], topic: string, nodeId: string, atMs: number, ownBlock: OwnBlock, lateSinceMs = -Infinity): LinksJudged | null {
  const name = world.nameOf(nodeId);
  if (incarnationStartSeq(world, name, atMs) < 0) return null;
  const own = (peer: string, at: number) => {
    const block = at === atMs ? ownBlock : (ownBlock.at?.(at) ?? ownBlock);
    return block(nodeId, peer) || block(peer, nodeId);
  };
  // Whether one of `windows` cut the link to `peer` at `at`.
  const cutterOf = (windows: readonly CutWindow[]) => {
    const onPeers = windows.filter((w) => !(w.cut === 'node' && w.targets.has(name)));
    const ownFirewalls = windows.filter((w) => w.name === 'firewall_inbound' && w.targets.has(name));
    const firewalled = (peer: string, at: number) => ownFirewalls.some((w) => at >= w.fromMs && at <= w.revertedAtMs) && inboundAt(world, nodeId, peer, at);
    return (peer: string, at: number) => isCut(onPeers, name, world.nameOf(peer), at) || diedWithPeer(world, windows, topic, nodeId, peer, at) || firewalled(peer, at);
  };
  const byOthers = cutterOf(others);
  const byLater = lateSinceMs === -Infinity ? byOthers : cutterOf(others.filter((w) => w.fromMs > lateSinceMs));
  const latest = new Map<string, SpanRecord>();
  let unmadeUp = 0; // drops the mesh chose, or losses over uncut links, that no later neighbour made up for
  for (const s of neighbourChanges(world, name, topic, atMs)) {
    const peer = String(s.attrs.peerId);
    latest.set(peer, s);
    if (s.name === 'mesh.gossip.neighbor_up') unmadeUp = Math.max(0, unmadeUp - 1);
    else if (s.attrs.cause === 'disconnect') continue; // the peer's eviction: see above
    else if (s.attrs.cause !== 'peer-down' || !(own(peer, s.endMs) || byOthers(peer, s.endMs))) unmadeUp++;
  }
  if (unmadeUp > 0) return null;
  const open: string[] = [];
  const taken: string[] = [];
  const takenLate: string[] = [];
  // The own cut took only one of two crossed connections to the peer; the other lived on.
  const ownTookOne = (peer: string, at: number) => ownBlock.inboundOnlyOf === nodeId && crossedAt(world, nodeId, peer, at);
  for (const [peer, s] of latest) {
    const inView = s.name === 'mesh.gossip.neighbor_up';
    const at = inView ? atMs : s.endMs;
    const cutByOthers = byOthers(peer, at);
    if (own(peer, at) && !(cutByOthers && ownTookOne(peer, at))) continue;
    if (cutByOthers && (inView || s.attrs.cause === 'peer-down')) {
      taken.push(peer);
      if (byLater(peer, at)) takenLate.push(peer);
    } else if (inView) open.push(peer);
  }
  return { open, taken, takenLate };
}

/**
 * The island of `nodeId` on `topic` at `atMs` if other chaos events stripped it (`judge`: its
 * nodes' links, `judgeLinks`): the nodes its open links lead to, theirs in turn, and so on
 * (`nodeId` alone when it has none), each of which lost every other link to a cut, and at least
 * one of them to another event's cut of a link leaving the island. Null otherwise. Such an
 * island holds no link the mesh could reach it over; its nodes have no passive view worth the
 * name (a small mesh before its first Shuffle, 60 s, or one the same events emptied) and a peer
 * left in the active view, so they do not dial their seeds at once (src/mesh/node.ts): they
 * stay off the overlay until a cut link idles out (30 s) or a seed check lets them back in (the
 * full profile's finds a node stranded with one neighbour, not its seed, within 10 s). Showing
 * that repair is the other events' evidence. The default layout's `--chaos 20`
 * seed 44: a firewalled registry's one outbound neighbour is firewalled itself and drops it;
 * firewall-inbound's seed 1025: a broker whose four other neighbours a subset cut, a NAT shift
 * and a kill took keeps only a firewalled broker; nat-shift's seed 438: a mesh-b registry and
 * bridge the other events left holding only each other (an island of two). A node that lost a link to its own eviction, a
 * quit or an uncut connection and took up no peer since, or that reaches one, is not excused (a
 * peer's Disconnect does not count: `judgeLinks`).
 */
function strippedIsland(judge: (id: string) => LinksJudged | null, nodeId: string, lateOnly = false): ReadonlySet<string> | null {
  const island = new Set([nodeId]);
  const queue = [nodeId];
  const takenTo = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const links = judge(queue[i]);
    if (links === null) return null;
    for (const peer of lateOnly ? links.takenLate : links.taken) takenTo.add(peer);
    for (const peer of links.open) {
      if (island.has(peer)) continue;
      island.add(peer);
      queue.push(peer);
    }
  }
  for (const peer of takenTo) if (!island.has(peer)) return island;
  return null;
}

/**
 * Whether other events (`others`) had stripped `nodeId` on `topic` at `atMs` of every overlay
 * link but those the detector's own cut (`ownBlock`) took, it or the island it held links to
 * (`strippedIsland`), and that island holds no node of `apart` either: nothing `apart` sends
 * could reach it by a detour, nor it anything to `apart`, until the other events' damage is
 * repaired.
 */
export function strippedByOthers(world: ChaosWorld, others: readonly CutWindow[], topic: string, nodeId: string, atMs: number, ownBlock: OwnBlock, apart: string): boolean {
  const island = strippedIsland(linkJudge(world, others, topic, atMs, ownBlock), nodeId);
  return island !== null && !island.has(apart);
}

/** `judgeLinks` for one (topic, instant, own cut), each node's links judged once. */
function linkJudge(world: ChaosWorld, others: readonly CutWindow[], topic: string, atMs: number, ownBlock: OwnBlock, lateSinceMs?: number): (id: string) => LinksJudged | null {
  const judged = new Map<string, LinksJudged | null>();
  return (id) => {
    let out = judged.get(id);
    if (out === undefined) judged.set(id, (out = judgeLinks(world, others, topic, id, atMs, ownBlock, lateSinceMs)));
    return out;
  };
}

/**
 * The island of `nodeId` (`strippedIsland`) when a kill's victims took some of its links and
 * other events every other (`judge`: `judgeLinks` with the victims' links as the own cut, and
 * `lateSinceMs` the kill), at least one of them by an event begun after the kill: the kill left
 * the island on the overlay and the other events took it off later, so repairing that is their
 * evidence, as for an island they stripped alone. Its nodes hold the links those events cut
 * until they idle out, 30 s after the cut, and until then have no reason to look for others. A
 * random layout, fast-check seed 6480 (full profile, seed 99990, --chaos 12): a burst at 79.3 s
 * took one of a mesh-a broker's four links; a second burst at 96.0 s took its bridge (the link
 * of its other neighbour, a bridge, too), and a restart at 106.3 s its last broker, whose new
 * life joined through the gateway; the round's probes from 110.3 s on missed the broker and the
 * bridge, which held the dead links until 126.0 s. When the kill came last, after other events
 * had cut every other link, the island is the kill's to repair: two parts that each keep a
 * neighbour and know each other stay apart until a Shuffle (test/overlay-parts.test.ts, seed
 * 5: a firewall at 138.1 s had cut a compute's links into the registry's island before a kill at
 * 146.1 s took its last one).
 */
function strippedAfterKill(judge: (id: string) => LinksJudged | null, nodeId: string): ReadonlySet<string> | null {
  return strippedIsland(judge, nodeId, true);
}

/** A kill's own cut, for `cutOffFrom`: the nodes (ids) it took, and when. */
export interface Killed {
  readonly victims: ReadonlySet<string>;
  readonly atMs: number;
}

/**
 * `ownBlock` with every link touching one of `killed`'s victims added: the kill's own cut of the
 * overlay, as `judgeLinks` reads an own cut (`strippedAfterKill`).
 */
function victimsBlock(ownBlock: OwnBlock, killed: Killed): OwnBlock {
  return (x, y) => killed.victims.has(x) || killed.victims.has(y) || ownBlock(x, y);
}

/**
 * Whether other chaos events (`others`) held up the join of `nodeId`, off `topic` at `atMs`, by
 * its own spans in its incarnation current then: it had not joined the topic (no
 * `mesh.gossip.join`: no contact for it had answered), and a dial of it to a subscriber of the
 * topic had failed while another event cut that peer off (`mesh.peer.dial_failed` inside the
 * peer's window: a firewalled, killed or wedged seed). A node joins a topic only through its
 * contacts for it (without an observer, two a topic: scenario/topology.ts, `fallbackSeeds`)
 * and re-dials a failed seed after a growing backoff (SPEC §2.3, seed dialing); with no passive
 * view there either, it stays off the topic until a contact answers or a member takes it up
 * from its own passive view.
 * A node that joined, or whose failed dials no other event explains, is not excused.
 */
function joinHeldUp(world: ChaosWorld, others: readonly CutWindow[], topic: string, nodeId: string, atMs: number): boolean {
  const q = world.spans;
  const name = world.nameOf(nodeId);
  const since = incarnationStartSeq(world, name, atMs);
  if (since < 0) return false;
  const current = (s: { readonly seq: number }) => s.seq >= since;
  if (q.find({ name: 'mesh.gossip.join', node: name, untilMs: atMs, attrs: { topic } }).some(current)) return false;
  return q.find({ name: 'mesh.peer.dial_failed', node: name, untilMs: atMs }).some((f) => {
    if (!current(f)) return false;
    const peer = String(f.attrs.peerId);
    return world.nodes.some((p) => p.nodeId === peer && p.meshIds.includes(topic)) && isCut(others, name, world.nameOf(peer), f.endMs);
  });
}

/** Primitives whose apply ends a target's process, and every connection end it held with it (no span says so). */
export const PROCESS_DIES: ReadonlySet<string> = new Set(['kill_node', 'restart_node', 'burst_kill', WORKLOAD_FAILURE]);

/** Primitives after whose apply a target's old connections are dead for good: its process lost all state, or its address changed. */
export const LINKS_DIE: ReadonlySet<string> = new Set([...PROCESS_DIES, 'nat_shift']);

/**
 * Whether the overlay link `x`→`y` on `topic` (x's latest neighbor_up about y by `atMs`) ran on
 * a connection one of `others` ended: after x took y up, another event killed, restarted or
 * NAT-shifted y, or NAT-shifted x. x's view keeps y until that connection idles out, but nothing
 * x pushes over it arrives (a respawned y holds none of its old connections; a shift breaks the
 * old mapping's paths both ways, src/sim/network/network.ts). A kill or restart of x itself is
 * not read here: x's links then are those of its next incarnation, or its node cut's.
 */
function diedWithPeer(world: ChaosWorld, others: readonly CutWindow[], topic: string, x: string, y: string, atMs: number): boolean {
  const xName = world.nameOf(x);
  const yName = world.nameOf(y);
  const hits = others.filter((w) => LINKS_DIE.has(w.name) && (w.targets.has(yName) || (w.name === 'nat_shift' && w.targets.has(xName))) && w.fromMs <= atMs);
  if (hits.length === 0) return false;
  const up = world.spans.last({ name: 'mesh.gossip.neighbor_up', node: world.nameOf(x), untilMs: atMs, attrs: { peerId: y, topic } });
  return up !== undefined && hits.some((w) => w.fromMs > up.endMs);
}

/**
 * The origins (a test on ids) from which other chaos events had cut `target` off at `atMs`:
 * `cutOffTowards(…)(x)` is `cutOffFrom(world, others, topic, x, atMs).has(target)`, answered for
 * every x by two searches from `target` over the overlay's links reversed (x reaches `target`
 * without the other events' cuts, and not with them), instead of two searches from each x.
 */
export function cutOffTowards(world: ChaosWorld, others: readonly CutWindow[], topic: string, target: string, atMs: number): (origin: string) => boolean {
  if (others.length === 0) return () => false;
  const overlay = overlayAt(world, topic, atMs);
  const reversed = new Map<string, string[]>();
  for (const [x, ys] of overlay) for (const y of ys) (reversed.get(y) ?? reversed.set(y, []).get(y)!).push(x);
  const othersBlock = everyCut(world, others, topic, atMs, NO_BLOCK);
  // Searching the reversed links from y, the link met is x → y: blocked as cutOffFrom blocks it.
  const withOwn = reachableFrom(reversed, target, NO_BLOCK);
  const withAll = reachableFrom(reversed, target, (y, x) => othersBlock(x, y));
  // Out of reach even without the other events' cuts: excused for the same reasons as in
  // cutOffFrom's last loop, asked once (and only if some origin needs it).
  // For a stripped island, the origins that reach one of its nodes (cutOffFrom's `withOwn`)
  // are not excused.
  let excused: ((origin: string) => boolean) | undefined;
  const outOfReachExcused = (origin: string): boolean => {
    if (excused === undefined) {
      const plan = world.nodes.find((p) => p.nodeId === target);
      if (plan === undefined || !plan.meshIds.includes(topic)) excused = () => false;
      else if (inNodeCut(others, plan.name, atMs) || ((overlay.get(target) ?? []).length === 0 && joinHeldUp(world, others, topic, target, atMs))) excused = () => true;
      else {
        const island = strippedIsland(linkJudge(world, others, topic, atMs, NO_BLOCK), target);
        if (island === null) excused = () => false;
        else if (island.size === 1) excused = () => true;
        else {
          const reachIsland = new Set<string>();
          for (const id of island) if (!reachIsland.has(id)) for (const x of reachableFrom(reversed, id, NO_BLOCK)) reachIsland.add(x);
          excused = (o) => !reachIsland.has(o);
        }
      }
    }
    return excused(origin);
  };
  return (origin) => (withOwn.has(origin) ? !withAll.has(origin) : outOfReachExcused(origin));
}

/**
 * The own cut at an instant of a fault after whose apply `victim`'s old connections are dead for
 * good (LINKS_DIE: its process lost all state, or its address changed), as `othersCutOff`'s
 * `ownBlockAt`: a link between the victim and a peer where the latest connection between the two
 * that the link's holder registered by then was opened by the fault, on the old process or the
 * old mapping. A link taken up over a connection opened since is the victim's new one. The cut
 * at an instant reads it at another (`OwnBlock.at`), so a link dropped before a new connection
 * between the two was opened is judged by the connection it ran on (`judgeLinks`).
 */
export function oldConnectionsCutAt(world: ChaosWorld, victim: string, appliedAtMs: number): (atMs: number) => OwnBlock {
  const cutAt = (atMs: number): OwnBlock => {
    const block = (x: string, y: string) => {
      if (x !== victim && y !== victim) return false;
      const opened = world.spans.last({ name: 'mesh.peer.connected', node: world.nameOf(x), untilMs: atMs, attrs: { peerId: y } });
      return opened !== undefined && opened.endMs <= appliedAtMs;
    };
    return Object.assign(block, { at: cutAt });
  };
  return cutAt;
}

/**
 * How long after its send a probe is still in flight for `othersCutOff(…).from`: Plumtree's worst
 * pass-on over one hop with the run's timers (timing.ts, `plumtreePassOnMs`). A receiver another event cut off from the origin
 * within it may not have had the probe yet (mesh-five-types-present-chaos under --chaos 20, seed
 * 2983: the observer's probe to a full-disk registry was sent 14 ms before a burst kill took the
 * relays it needed; the registry, all of whose neighbours were gone half a second later, never
 * got one).
 */
export function probeFlightMs(t: Timers): number {
  return plumtreePassOnMs(t);
}

/** `probeFlightMs` of the default timers. */
export const PROBE_FLIGHT_MS = probeFlightMs(T);

/**
 * The receivers other events (`others`) had cut off from a probe's origin, for a probe sent at
 * `sentAtMs`: those cut off then, and those cut off when another event's cut began while the
 * probe was still in flight (`flightMs`, `probeFlightMs`), each instant read with `at` (cutOffFrom at that
 * instant, for the probe's topic and origin). A call within the flight reads the cuts begun so far.
 */
export function cutOffOverFlight(others: readonly CutWindow[], sentAtMs: number, flightMs: number, at: (atMs: number) => ReadonlySet<string>): ReadonlySet<string> {
  const began = [...new Set(others.map((w) => w.fromMs).filter((t) => t > sentAtMs && t <= sentAtMs + flightMs))].sort((a, b) => a - b);
  if (began.length === 0) return at(sentAtMs);
  const out = new Set(at(sentAtMs));
  for (const t of began) for (const id of at(t)) out.add(id);
  return out;
}

/**
 * `cutOffFrom` and `cutOffTowards` for the probes a detector of `fault` (applied at `appliedAtMs`)
 * sends once its own damage is reverted (no own cut left): the other events' windows are read at
 * each call, the answer kept per (topic, node, time) — a past instant's cuts and overlay do not
 * change. A fault whose damage is never reverted (a NAT shift) gives its own cut at an instant
 * as `ownBlockAt`, for `from`; a kill gives its victims as `killed` (`cutOffFrom`). `from`
 * answers for a probe sent at `atMs`, over its flight (`cutOffOverFlight`).
 */
export function othersCutOff(world: ChaosWorld, fault: Fault, appliedAtMs: number, own: { readonly ownBlockAt?: (atMs: number) => OwnBlock; readonly killed?: Killed } = {}): ProbeCutOff {
  const { ownBlockAt, killed } = own;
  const known = new Map<string, ReadonlySet<string> | ((origin: string) => boolean)>();
  const memo = <T extends ReadonlySet<string> | ((origin: string) => boolean)>(key: string, compute: () => T): T => {
    let out = known.get(key) as T | undefined;
    if (out === undefined) known.set(key, (out = compute()));
    return out;
  };
  const others = () => otherCutWindows(world, fault, appliedAtMs);
  const ownTargets = new Set(fault.targets.map((t) => world.nameOf(t)));
  const pairCuts = new Map<string, boolean>();
  return {
    from: (topic, origin, sentAtMs) => cutOffOverFlight(others(), sentAtMs, probeFlightMs(world.timers), (atMs) => memo(`from ${topic} ${origin} ${atMs}`, () => cutOffFrom(world, others(), topic, origin, atMs, ownBlockAt?.(atMs), killed))),
    towards: (topic, target, atMs) => memo(`towards ${topic} ${target} ${atMs}`, () => cutOffTowards(world, others(), topic, target, atMs)),
    keptApart: (topic, origin, atMs) => originKeptApart(world, others(), topic, origin, atMs),
    cutBetween: (node, peer, atMs) => {
      const key = `${node} ${peer} ${atMs}`;
      let out = pairCuts.get(key);
      if (out === undefined) pairCuts.set(key, (out = !ownTargets.has(world.nameOf(peer)) && isCut(others(), world.nameOf(node), world.nameOf(peer), atMs)));
      return out;
    },
  };
}

/**
 * The options of the probe round a detector of `fault` (applied at `appliedAtMs`) sends once its
 * own damage is reverted: its own targets, which count as faulted until its verdict, are owed the
 * probe, and only what other events did excuses a receiver (the nodes they touched, the receivers
 * they cut off from the probe's origin).
 */
export function afterOwnDamage(world: ChaosWorld, fault: Fault, appliedAtMs: number): ProbeRoundOptions {
  return {
    owed: fault.targets,
    excused: (atMs) => othersTouched(world, fault, appliedAtMs, atMs, true),
    cutOff: othersCutOff(world, fault, appliedAtMs),
  };
}

/**
 * Whether, at `atMs`, concurrent faults (`others`, from otherCutWindows) took away every path
 * from `from` to `to` on the `topics` that the detector's own fault (`ownBlock`) left: with only
 * the own fault's cuts a path exists on some topic, with the other faults' cuts added there is
 * none on any. Then a message sent at that moment could not arrive, and the detector's own fault
 * does not explain it. So too when another event had cut off an end whole at that moment (killed
 * or restarted and still rejoining, wedged, firewalled, moved: `inNodeCut`), or had the two on
 * different sides of a subset cut (partitioned, or healed less than the rejoin allowance ago),
 * whatever the overlay showed: such a node's thin or empty views, or an overlay still
 * re-merging across the cut, are that event's doing. kill-node under `--chaos 20`, seed 328: a
 * subset of five cut for 59 s (every link across it idled out) healed 4.2 s before a
 * partition_pair between one of its nodes and one outside; the one link across the old cut
 * was the pair's own, taken up at the first seed check after the heal.
 */
export function othersCutEveryPath(
  world: ChaosWorld,
  others: readonly CutWindow[],
  topics: readonly string[],
  from: string,
  to: string,
  atMs: number,
  ownBlock: (x: string, y: string) => boolean,
): boolean {
  if (inNodeCut(others, world.nameOf(from), atMs) || inNodeCut(others, world.nameOf(to), atMs)) return true;
  if (isCut(others.filter((w) => w.cut === 'subset'), world.nameOf(from), world.nameOf(to), atMs)) return true; // on two sides of a subset cut
  const overlays = topics.map((t) => overlayAt(world, t, atMs));
  if (!overlays.some((o) => pathExists(o, from, to, ownBlock))) return false;
  return !overlays.some((o, i) => pathExists(o, from, to, everyCut(world, others, topics[i], atMs, ownBlock)));
}

/**
 * Whether, at some digest tick of the staleness window before a prune at `atMs`, other events
 * (`others`) had cut every overlay path on `topics` from `from` (whose digest was pruned) to `to`
 * (the pruner), with the detector's own cut at that tick from `ownBlockAt`: `from`'s digests
 * could not reach `to` then, so the prune is not the detector's fault's doing.
 */
export function othersCutEveryPathBeforePrune(
  world: ChaosWorld,
  others: readonly CutWindow[],
  topics: readonly string[],
  from: string,
  to: string,
  atMs: number,
  ownBlockAt: (tickMs: number) => (x: string, y: string) => boolean = () => NO_BLOCK,
): boolean {
  if (others.length === 0) return false;
  for (let x = Math.max(0, atMs - stalenessWindowMs(world.timers)); x <= atMs; x += world.timers.digestIntervalMs) if (othersCutEveryPath(world, others, topics, from, to, x, ownBlockAt(x))) return true;
  return false;
}

/**
 * The links on `topic` at `atMs` that the own cut (`ownBlock`) or another event's took: the other
 * events' windows, and (as cutOffFrom has them) the links that ran on a connection another event
 * ended: a holder keeps a killed or restarted peer in its view until the connection idles out,
 * but nothing it pushes there arrives.
 */
export function everyCut(world: ChaosWorld, others: readonly CutWindow[], topic: string, atMs: number, ownBlock: (x: string, y: string) => boolean): (x: string, y: string) => boolean {
  const name = (id: string) => world.nameOf(id);
  return (x, y) => ownBlock(x, y) || isCut(others, name(x), name(y), atMs) || diedWithPeer(world, others, topic, x, y, atMs);
}

/**
 * When a detector may wait past its deadline for a node whose dials other events held: `node`
 * made at least one failed dial in [sinceMs, nowMs] to a peer that `others` had cut it off from
 * when the dial began (a timeout began a dial timeout before it ended), and every other failed
 * dial went to such a peer too, or to one of `ownVictims` (the detector's own dead, which the
 * node must route around but cannot reach either). Nobody it tried could answer until those cuts
 * were reverted (or, still in place, are due to be: a fault of fixed length); then its seed retry
 * comes within its longest backoff, and a dial, a probe round and slack follow. The end of that
 * wait, with its formula, or null when some failed dial was to a peer nothing held, none was to
 * a peer other events cut off, or a cut has no end to wait for (a kill reverted after its own
 * detection, a workload failure).
 */
export function cutDialsWait(world: ChaosWorld, others: readonly CutWindow[], node: string, sinceMs: number, nowMs: number, ownVictims: readonly string[] = []): DeadlineWait | null {
  const t = world.timers;
  const name = world.node(node).name;
  const failed = world.spans.find({ name: 'mesh.peer.dial_failed', node: name, sinceMs, untilMs: nowMs });
  if (failed.length === 0) return null;
  // A window on the node itself holds none of its dials: it dials only once revived (a kill's,
  // a restart's rejoin allowance) or unwedged, and an inbound firewall lets its dials out.
  const onPeers = others.filter((w) => !(w.cut === 'node' && w.targets.has(name)));
  let revertedAtMs = 0;
  const by = new Set<string>();
  for (const f of failed) {
    const peerId = String(f.attrs.peerId);
    const peer = world.node(peerId).name;
    const dialledAtMs = f.attrs.reason === 'timeout' ? f.endMs - t.dialTimeoutMs : f.endMs;
    const cuts = onPeers.filter((w) => isCut([w], name, peer, dialledAtMs));
    if (cuts.length === 0) {
      if (ownVictims.includes(peerId)) continue;
      return null;
    }
    for (const w of cuts) {
      // A cut still in place counts by when it is due to end: a fault of fixed length by its
      // length, a kill or a NAT shift (reverted when its own detection settles) by its deadline
      // (an extension of that deadline makes this wait too short, never too long). A workload
      // failure never ends: no time to wait for.
      const afterDetection = revertedAfterDetectionByMs(w.name, t);
      const endMs = Number.isFinite(w.revertedAtMs) ? w.revertedAtMs : (w.dueMs ?? (afterDetection === undefined ? Infinity : w.fromMs + afterDetection));
      if (!Number.isFinite(endMs)) return null;
      revertedAtMs = Math.max(revertedAtMs, endMs);
      by.add(Number.isFinite(w.revertedAtMs) ? `${w.name} reverted @ ${w.revertedAtMs} ms` : `${w.name} due to revert @ ${endMs} ms`);
    }
  }
  if (by.size === 0) return null;
  const terms = [timer('seed retry max', t.seedRetryMaxMs), timer('dial timeout', t.dialTimeoutMs), timer('probe resend', probeRoundMs(t)), timer('slack', t.slackMs)];
  const untilMs = revertedAtMs + msOf(terms);
  if (!Number.isFinite(untilMs)) return null;
  return { untilMs, formula: `then, for dials other events cut off (${[...by].join(', ')}): revert + ${formulaOf(terms)}` };
}
