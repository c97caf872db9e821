/**
 * Compile-time test of the span vocabulary (src/sim/telemetry/span-vocabulary.ts). Goal: a
 * misspelt span name or attribute, a wrong attribute type or a missing attribute fails to
 * compile — in emit, start, listen, tally, the query and on a typed record.
 * Method: each wrong line carries `@ts-expect-error`, so `tsc -p tsconfig.json` (the first step
 * of `npm test`) fails if any of them compiles; test/types/span-vocabulary.test.ts also
 * compiles this file on its own and checks every directive meets an error. Never run.
 */
import type { SpanQuery, Telemetry } from '../../src/sim/telemetry/index.js';

export function vocabularyIsEnforced(tel: Telemetry, q: SpanQuery): void {
  // Right: names and attributes from the vocabulary; an application's own `app.` span.
  tel.emit('n1', 'mesh.peer.connected', { peerId: 'p', direction: 'outbound' });
  tel.emit('n1', 'mesh.gossip.neighbor_down', { topic: 't', peerId: 'p', cause: 'evicted' });
  tel.emit('n1', 'app.flood.delivered', { messageId: 'm', hop: 2 });
  const hop: number | undefined = q.first({ name: 'mesh.probe.delivered', attrs: { probeId: 'x' } })?.attrs.hop;
  tel.listen('mesh.heartbeat', (r) => r.attrs.clockSkewMs + r.attrs.peerCount);
  tel.tally('mesh.gossip.payload_received', 'id');
  void hop;

  // @ts-expect-error misspelt span name
  tel.emit('n1', 'mesh.peer.conected', { peerId: 'p', direction: 'outbound' });
  // @ts-expect-error misspelt attribute
  tel.emit('n1', 'mesh.peer.connected', { peerID: 'p', direction: 'outbound' });
  // @ts-expect-error attribute of the wrong type
  tel.emit('n1', 'mesh.heartbeat', { peerCount: '3', wallTimeMs: 0, clockSkewMs: 0 });
  // @ts-expect-error a required attribute missing
  tel.emit('n1', 'mesh.seed.retry', { attempt: 1 });
  // @ts-expect-error a name outside the vocabulary and outside `app.`
  tel.start('n1', 'custom.thing', {});
  // @ts-expect-error misspelt name in a query
  q.find({ name: 'mesh.node.redy' });
  // @ts-expect-error misspelt attribute in a query filter
  q.last({ name: 'mesh.peer.disconnected', attrs: { peer: 'p' } });
  // @ts-expect-error misspelt name to listen for
  tel.listen('mesh.probe.deliverd', () => {});
  // @ts-expect-error reading an attribute the span does not have
  tel.listen('mesh.heartbeat', (r) => r.attrs.skewMs);
  // @ts-expect-error misspelt tally name
  tel.tally('mesh.gossip.payload_recieved', 'id');
}
