/**
 * The node drops the SendGraft timers Plumtree cancels (paper p8: the Gossip came, so the graft
 * is moot). Goal: no SendGraft timer reaches a node for a message that node already delivered,
 * while grafts for late Gossip still fire, and the scheduler holds no cancels past their events.
 * Method: a 200-gateway protocol run with a broadcast every 500 ms, read at the node's dispatch
 * (the timer events it is handed) against the deliveries it made before (its own delivery
 * record, not Plumtree's pending table).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MeshNode } from '../src/mesh/node.js';
import { runScenario } from '../src/scenario/runner.js';
import { gatewayMeshScenario } from './support/gateway-mesh.js';
import type { TopicEvent } from '../src/protocol/topic.js';

const N = 200;
const scenario = gatewayMeshScenario(`graft-cancel-${N}`, N, {
  durationMs: N * 5 + 15_000,
  workload: [{ kind: 'broadcast', sender: 'random', fromMs: N * 5 + 2_000, everyMs: 500, count: 20 }],
});

type Dispatch = (this: MeshNode, topic: string, event: TopicEvent) => void;
const proto = MeshNode.prototype as unknown as { dispatch: Dispatch };
const dispatch = proto.dispatch;
afterEach(() => {
  proto.dispatch = dispatch;
});

describe('moot graft timers', () => {
  it('never reach the node: a Gossip that came in time cancels them in the scheduler', () => {
    let graftTimers = 0;
    const moot: string[] = [];
    proto.dispatch = function (topic, event) {
      if (event.kind === 'timer' && event.timer.machine === 'plumtree' && event.timer.timer.type === 'SendGraft') {
        graftTimers++;
        const id = event.timer.timer.id;
        for (const rt of this.topics.values()) if (this.deliveries.delivered(rt.reader, id)) moot.push(id.slice(0, 8));
      }
      dispatch.call(this, topic, event);
    };
    const { report, cluster } = runScenario(scenario, '1');
    expect(report.verdict).toBe('pass');
    expect(graftTimers).toBeGreaterThan(0); // grafts still fire where the Gossip is late
    expect(moot).toEqual([]);
    expect(cluster.scheduler.cancelledHeld).toBeLessThan(1_025);
  });
});
