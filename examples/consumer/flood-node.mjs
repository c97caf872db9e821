// A node application of our own, hosted by meshsim on its simulated network, clocks and disk
// (docs/byo-node.md): a flooding broadcast. Each node keeps connections to FANOUT random
// peers (redialling when one closes or a dial fails), sends each message it has not seen to
// every connected peer but the one it came from, and counts its boots in its data dir, which
// survives restarts. Everything it needs comes from the node context meshsim hands it.

const FANOUT = 3;
const REDIAL_MS = 1000;

export class FloodNode {
  /** @param {import('meshsim').NodeContext} ctx @param {import('meshsim').AppNodeInfo} node */
  constructor(ctx, node) {
    this.ctx = ctx;
    this.node = node;
    this.conns = new Map();
    this.seen = new Set();
    this.dialing = 0;
    this.stopped = false;
    const previous = ctx.dataDir.read('boots');
    this.boots = (previous === undefined ? 0 : Number(new TextDecoder().decode(previous))) + 1;
    const written = ctx.dataDir.writeAtomic('boots', new TextEncoder().encode(String(this.boots)));
    ctx.telemetry.emit(ctx.identity.name, 'app.flood.up', { boots: this.boots, diskOk: written.ok });
    this.fillUp();
  }

  onIncoming(conn) {
    this.adopt(conn);
  }

  stop() {
    this.stopped = true;
    for (const conn of this.conns.values()) conn.close();
  }

  broadcast(id) {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.ctx.telemetry.emit(this.ctx.identity.name, 'app.flood.sent', { messageId: id });
    this.forward({ id, hop: 0 }, null);
  }

  forward(message, from) {
    const bytes = new TextEncoder().encode(JSON.stringify(message));
    for (const [peer, conn] of this.conns) {
      if (peer === from || !conn.isOpen) continue;
      const stream = conn.openUni();
      stream.write(bytes);
      stream.finish();
    }
  }

  receive(from, message) {
    if (this.seen.has(message.id)) return;
    this.seen.add(message.id);
    const hop = message.hop + 1;
    this.ctx.telemetry.emit(this.ctx.identity.name, 'app.flood.delivered', { messageId: message.id, from, hop });
    this.forward({ id: message.id, hop }, from);
  }

  adopt(conn) {
    const peer = conn.remote;
    this.conns.set(peer, conn);
    conn.onStream = (stream) => {
      const chunks = [];
      stream.onData = (bytes) => chunks.push(bytes);
      stream.onFinish = () => this.receive(peer, JSON.parse(new TextDecoder().decode(Buffer.concat(chunks))));
    };
    conn.onClose = () => {
      if (this.conns.get(peer) === conn) this.conns.delete(peer);
      this.ctx.setTimer(REDIAL_MS, () => this.fillUp());
    };
  }

  fillUp() {
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
