// Types of flood-node.mjs, for TypeScript users of the example (meshsim's own suite runs the
// same node through all thirteen primitives in test/byo-node.test.ts).
import type { AppNodeInfo, Connection, NodeApp, NodeContext } from 'meshsim';

export declare class FloodNode implements NodeApp {
  constructor(ctx: NodeContext, node: AppNodeInfo);
  /** How many times this node has booted, counted in its data dir. */
  readonly boots: number;
  /** Flood a message with this id from this node (at most once per id). */
  broadcast(id: string): void;
  onIncoming(conn: Connection): void;
  stop(): void;
}
