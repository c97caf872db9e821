/**
 * A small flooding-broadcast node, brought by a user (docs/byo-node.md shows the same code):
 * it keeps connections to FANOUT random peers (redialling when one closes or a dial fails),
 * sends each message it has not seen to every connected peer but the one it came from, and
 * counts its boots in its data dir, which survives restarts. It uses only what `meshsim`
 * exports: the node context (endpoint, timers, rng, data dir, telemetry) and the network's
 * connections and streams. Its spans are `app.flood.*`.
 */
import type { AppNodeInfo, Connection, NodeApp, NodeContext, Stream } from '../../src/api/index.js';

/** Peers each node dials (guess: enough for a connected overlay of a few dozen nodes). */
const FANOUT = 3;
/** Wait before dialling again after a close or a failed dial, ms (guess). */
const REDIAL_MS = 1_000;
const BOOTS_FILE = 'boots';

interface FloodMessage {
  readonly id: string;
  readonly hop: number;
}

export class FloodNode implements NodeApp {
  private readonly conns = new Map<string, Connection>();
  private readonly seen = new Set<string>();
  private dialing = 0;
  private stopped = false;
  readonly boots: number;

  constructor(
    private readonly ctx: NodeContext,
    private readonly node: AppNodeInfo,
  ) {
    const previous = ctx.dataDir.read(BOOTS_FILE);
    this.boots = (previous === undefined ? 0 : Number(new TextDecoder().decode(previous))) + 1;
    const written = ctx.dataDir.writeAtomic(BOOTS_FILE, new TextEncoder().encode(String(this.boots)));
    ctx.telemetry.emit(ctx.identity.name, 'app.flood.up', { boots: this.boots, diskOk: written.ok });
    this.fillUp();
  }

  /** Messages this node has delivered or sent. */
  get delivered(): ReadonlySet<string> {
    return this.seen;
  }

  onIncoming(conn: Connection): void {
    this.adopt(conn);
  }

  stop(): void {
    this.stopped = true;
    for (const conn of this.conns.values()) conn.close();
  }

  broadcast(id: string): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.ctx.telemetry.emit(this.ctx.identity.name, 'app.flood.sent', { messageId: id });
    this.forward({ id, hop: 0 }, null);
  }

  private forward(message: FloodMessage, from: string | null): void {
    const bytes = new TextEncoder().encode(JSON.stringify(message));
    for (const [peer, conn] of this.conns) {
      if (peer === from || !conn.isOpen) continue;
      const stream = conn.openUni();
      stream.write(bytes);
      stream.finish();
    }
  }

  private receive(from: string, message: FloodMessage): void {
    if (this.seen.has(message.id)) return;
    this.seen.add(message.id);
    const hop = message.hop + 1;
    this.ctx.telemetry.emit(this.ctx.identity.name, 'app.flood.delivered', { messageId: message.id, from, hop });
    this.forward({ id: message.id, hop }, from);
  }

  private adopt(conn: Connection): void {
    const peer = conn.remote;
    this.conns.set(peer, conn);
    conn.onStream = (stream) => this.read(peer, stream);
    conn.onClose = () => {
      if (this.conns.get(peer) === conn) this.conns.delete(peer);
      this.ctx.setTimer(REDIAL_MS, () => this.fillUp());
    };
  }

  private read(peer: string, stream: Stream): void {
    const chunks: Uint8Array[] = [];
    stream.onData = (bytes) => chunks.push(bytes);
    stream.onFinish = () => this.receive(peer, JSON.parse(new TextDecoder().decode(Buffer.concat(chunks))) as FloodMessage);
  }

  /** Dial random unconnected peers until FANOUT connections are open or being made. */
  private fillUp(): void {
    if (this.stopped) return;
    const others = this.node.nodes.filter((id) => id !== this.node.nodeId && !this.conns.has(id));
    for (const peer of this.ctx.rng.shuffle(others).slice(0, Math.max(0, FANOUT - this.conns.size - this.dialing))) {
      this.dialing++;
      this.ctx.endpoint.dial(peer, (result) => {
        this.dialing--;
        if (result.ok) this.adopt(result.conn);
        else this.ctx.setTimer(REDIAL_MS, () => this.fillUp());
      });
    }
  }
}
