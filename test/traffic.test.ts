/**
 * Per-frame-type traffic counters (SPEC §10.4), as a unit. Goal: each sent or received frame
 * adds one frame and its bytes under its tag; the per-node-second table averages over nodes and
 * virtual seconds, rounds to two decimals, lists only tags seen, in tag order, under the
 * protocol's names (unknown tags as hex). Method: counters fed by hand, figures computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { MESSAGE_TAG } from '../src/protocol/messages.js';
import { isKnownTag, TAG_ECHO, TAG_TRACED } from '../src/protocol/framer.js';
import { TRAFFIC_TAGS, TrafficCounter, frameTypeName, trafficPerNodeSecond } from '../src/mesh/traffic.js';

const frame = (tag: number, length: number): Uint8Array => {
  const f = new Uint8Array(length);
  f[0] = tag;
  return f;
};

describe('traffic counters', () => {
  it('count frames and bytes by tag, sent and received apart', () => {
    const c = new TrafficCounter();
    c.sent(frame(MESSAGE_TAG.Gossip, 100));
    c.sent(frame(MESSAGE_TAG.Gossip, 50));
    c.received(MESSAGE_TAG.IHave, 40);
    expect([c.framesSent[MESSAGE_TAG.Gossip], c.bytesSent[MESSAGE_TAG.Gossip]]).toEqual([2, 150]);
    expect([c.framesReceived[MESSAGE_TAG.IHave], c.bytesReceived[MESSAGE_TAG.IHave]]).toEqual([1, 40]);
    expect(c.framesReceived[MESSAGE_TAG.Gossip]).toBe(0);
    expect(c.framesSent[MESSAGE_TAG.IHave]).toBe(0);
  });

  it('cover every tag the framer accepts, and keep the four counts apart at the highest tag', () => {
    for (let tag = 0; tag < 256; tag++) if (isKnownTag(tag)) expect(tag, `tag 0x${tag.toString(16)}`).toBeLessThan(TRAFFIC_TAGS);
    const c = new TrafficCounter();
    c.sent(frame(TAG_ECHO, 9));
    c.received(TAG_ECHO, 5);
    c.received(MESSAGE_TAG.Join, 3);
    expect([c.framesSent[TAG_ECHO], c.bytesSent[TAG_ECHO], c.framesReceived[TAG_ECHO], c.bytesReceived[TAG_ECHO]]).toEqual([1, 9, 1, 5]);
    expect([c.framesSent[MESSAGE_TAG.Join], c.bytesSent[MESSAGE_TAG.Join], c.bytesReceived[MESSAGE_TAG.Join]]).toEqual([0, 0, 3]);
  });

  it('a tag past the table is not counted, and no other counter moves', () => {
    const c = new TrafficCounter();
    c.sent(frame(TRAFFIC_TAGS, 7));
    c.sent(frame(0xff, 7));
    c.received(TRAFFIC_TAGS, 7);
    c.received(-1, 7);
    for (const counts of [c.framesSent, c.bytesSent, c.framesReceived, c.bytesReceived]) expect(Array.from(counts).every((x) => x === 0)).toBe(true);
  });

  it('names: the protocol messages, Traced, Echo, and hex for the rest', () => {
    expect(frameTypeName(MESSAGE_TAG.Join)).toBe('Join');
    expect(frameTypeName(MESSAGE_TAG.Prune)).toBe('Prune');
    expect(frameTypeName(TAG_TRACED)).toBe('Traced');
    expect(frameTypeName(TAG_ECHO)).toBe('Echo');
    expect(frameTypeName(0x7)).toBe('ShuffleReply');
    expect(frameTypeName(0x0c)).toBe('tag-0x0c');
    expect(frameTypeName(0xff)).toBe('tag-0xff');
  });

  it('per node and second: averaged, rounded to 1/100, only tags seen, in tag order', () => {
    const a = new TrafficCounter();
    const b = new TrafficCounter();
    a.sent(frame(TAG_TRACED, 10));
    b.received(TAG_TRACED, 10);
    a.sent(frame(MESSAGE_TAG.Join, 7));
    b.received(MESSAGE_TAG.Join, 7);
    b.received(MESSAGE_TAG.Join, 7);
    b.received(MESSAGE_TAG.Neighbor, 1); // received only: still listed
    expect(trafficPerNodeSecond([a, b], 3)).toEqual([
      { frameType: 'Join', framesSentPerSecond: 0.17, bytesSentPerSecond: 1.17, framesReceivedPerSecond: 0.33, bytesReceivedPerSecond: 2.33 },
      { frameType: 'Neighbor', framesSentPerSecond: 0, bytesSentPerSecond: 0, framesReceivedPerSecond: 0.17, bytesReceivedPerSecond: 0.17 },
      { frameType: 'Traced', framesSentPerSecond: 0.17, bytesSentPerSecond: 1.67, framesReceivedPerSecond: 0.17, bytesReceivedPerSecond: 1.67 },
    ]);
  });

  it('no counters or no time divide by one, not by zero; sent-only tags are listed', () => {
    expect(trafficPerNodeSecond([], 10)).toEqual([]);
    const c = new TrafficCounter();
    c.sent(frame(MESSAGE_TAG.Graft, 4));
    expect(trafficPerNodeSecond([c], 0.5)[0]).toEqual({ frameType: 'Graft', framesSentPerSecond: 2, bytesSentPerSecond: 8, framesReceivedPerSecond: 0, bytesReceivedPerSecond: 0 });
    expect(trafficPerNodeSecond([c], 0)[0].framesSentPerSecond).toBe(1e9);
  });
});
