/**
 * A node never asks for a message it already delivered (paper p8: the Gossip came, so the graft
 * is moot). Goal: no Graft naming a message leaves a node that had delivered that message, while
 * Grafts for late Gossip are still sent; the node's one graft timer is cancelled when the
 * request it was armed for became moot (so no timer fires for nothing), and the scheduler holds
 * no more cancels than its purge bound: every graft timer that fires finds a request due.
 * HyParView's one NeighborTimeout per node likewise: cancelled once the Neighbor requests it was
 * armed for are answered, so none fires for nothing (each that fires expires a request).
 * Method: a 200-gateway protocol run with a broadcast every 500 ms, read at the node's effects
 * (the Grafts it sends) against the deliveries it made before (its own delivery record, not
 * Plumtree's pending table).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MeshNode } from '../src/mesh/node.js';
import { runScenario } from '../src/scenario/runner.js';
import { gatewayMeshScenario } from './support/gateway-mesh.js';
import type { TopicEffect, TopicEvent } from '../src/protocol/topic.js';

const N = 200;
const scenario = gatewayMeshScenario(`graft-moot-${N}`, N, {
  durationMs: N * 5 + 15_000,
  workload: [{ kind: 'broadcast', sender: 'random', fromMs: N * 5 + 2_000, everyMs: 500, count: 20 }],
});

type Apply = (this: MeshNode, topic: string, rt: unknown, effect: TopicEffect, event: TopicEvent) => void;
type Dispatch = (this: MeshNode, topic: string, event: TopicEvent) => void;
const proto = MeshNode.prototype as unknown as { apply: Apply; dispatch: Dispatch };
const { apply, dispatch } = proto;
afterEach(() => {
  proto.apply = apply;
  proto.dispatch = dispatch;
});

describe('moot grafts', () => {
  it('never leave a node: a request whose Gossip came in time is skipped, and its timer cancelled', () => {
    let grafts = 0;
    let cancels = 0;
    const moot: string[] = [];
    // A graft timer that fires must find a request due: a Graft or a give-up comes of it.
    let acted = 0;
    let graftFires = 0;
    let firesForNothing = 0;
    // A NeighborTimeout that fires must expire a request: a disconnect comes of it.
    let expiries = 0;
    let neighborCancels = 0;
    let neighborFiresForNothing = 0;
    proto.dispatch = function (topic, event) {
      const graftTimer = event.kind === 'timer' && event.timer.machine === 'plumtree' && event.timer.timer.type === 'SendGraft';
      const neighborTimer = event.kind === 'timer' && event.timer.machine === 'hyparview' && event.timer.timer.type === 'NeighborTimeout';
      const before = acted;
      const expiriesBefore = expiries;
      dispatch.call(this, topic, event);
      if (neighborTimer) {
        if (expiries === expiriesBefore) neighborFiresForNothing++;
      }
      if (!graftTimer) return;
      graftFires++;
      if (acted === before) firesForNothing++;
    };
    proto.apply = function (topic, rt, effect, event) {
      if (effect.kind === 'cancelTimer' && effect.timer.machine === 'plumtree') cancels++;
      if (effect.kind === 'cancelTimer' && effect.timer.machine === 'hyparview') neighborCancels++;
      if (effect.kind === 'disconnect') expiries++;
      if ((effect.kind === 'send' && effect.message.type === 'Graft') || effect.kind === 'gaveUp') acted++;
      if (effect.kind === 'send' && effect.message.type === 'Graft' && effect.message.id !== null) {
        grafts++;
        const id = effect.message.id;
        for (const r of this.topics.values()) if (this.deliveries.delivered(r.reader, id)) moot.push(id.slice(0, 8));
      }
      apply.call(this, topic, rt, effect, event);
    };
    const { report, cluster } = runScenario(scenario, '1');
    expect(report.verdict).toBe('pass');
    expect(grafts).toBeGreaterThan(0); // grafts still leave where the Gossip is late
    expect(moot).toEqual([]);
    expect(cancels).toBeGreaterThan(0); // requests did become moot, and their timer was cancelled
    expect(graftFires).toBeGreaterThan(0);
    expect(firesForNothing).toBe(0);
    expect(neighborCancels).toBeGreaterThan(0); // Neighbor requests were answered, and their timer cancelled
    expect(neighborFiresForNothing).toBe(0);
    expect(cluster.scheduler.cancelledHeld).toBeLessThan(1_025);
  });
});
