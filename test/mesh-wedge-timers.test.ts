/**
 * A wedged node whose backlog of inbound work overflows keeps its own timers. Goal: after it
 * resumes, the node goes on with its periodic protocol work: HyParView re-arms its Shuffle timer
 * only when it fires, so a Shuffle timer lost while wedged silenced that node's shuffles for good
 * (the host dropped timers with the inbound overflow until round 25). Method: three nodes; one
 * is wedged with a backlog bound of 5 across two Shuffle periods (60 s) while its neighbours'
 * requests overflow the backlog; after it resumes, the Shuffle timers the node is handed are
 * counted at its dispatch (what the host delivers, not the protocol's flag).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MeshNode } from '../src/mesh/node.js';
import type { TopicEvent } from '../src/protocol/topic.js';
import { meshWorld } from './support/mesh-world.js';

type Dispatch = (this: MeshNode, topic: string, event: TopicEvent) => void;
const proto = MeshNode.prototype as unknown as { dispatch: Dispatch };
const { dispatch } = proto;
afterEach(() => {
  proto.dispatch = dispatch;
});

describe('a wedged node with a full backlog', () => {
  it('keeps its timers: its Shuffle timer goes on firing after it resumes', () => {
    const shuffleTimers: number[] = [];
    let watched: MeshNode | null = null;
    const w = meshWorld();
    proto.dispatch = function (topic, event) {
      if (this === watched && event.kind === 'timer' && event.timer.machine === 'hyparview' && event.timer.timer.type === 'Shuffle') {
        shuffleTimers.push(w.scheduler.nowMs);
      }
      dispatch.call(this, topic, event);
    };
    const a = w.node('a');
    const b = w.node('b', { seeds: ['a'], wedgeBacklogMax: 5 });
    const c = w.node('c', { seeds: ['a'] });
    watched = b.app;
    w.runTo(5_000);
    b.host.wedge();
    // Inbound work for b past its bound: a and c ask it for a neighbour every second.
    for (let i = 0; i < 40; i++) {
      w.scheduler.after(1_000 * i, () => {
        w.sendRaw(a, b, { type: 'Neighbor', priority: 'low' });
        w.sendRaw(c, b, { type: 'Neighbor', priority: 'low' });
      });
    }
    w.runTo(130_000);
    expect(b.host.droppedWhileWedged).toBeGreaterThan(0);
    expect(shuffleTimers).toEqual([]); // due at 60 s, held while wedged
    b.host.unwedge();
    w.runTo(400_000);
    // The one held runs at the resume, then one a period.
    expect(shuffleTimers.length).toBeGreaterThanOrEqual(5);
    expect(shuffleTimers[0]).toBe(130_000);
  });
});
