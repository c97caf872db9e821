/**
 * `meshsim/protocol`: the sans-IO protocol machines on their own — HyParView, Plumtree, the
 * topic layer that joins them, and the framer and codec. Each takes (state, event, nowMs, rng)
 * and returns effects; no clock, IO or randomness of its own.
 */
export { activeView, createHyParView, handleHyParView, passiveView } from '../protocol/hyparview.js';
export { HYPARVIEW_DEFAULTS, type HyParViewConfig, type HyParViewEffect, type HyParViewEvent } from '../protocol/hyparview-types.js';
export { createPlumtree, handlePlumtree, messageIdOf, eagerPeers, lazyPeers, type PlumtreeState } from '../protocol/plumtree.js';
export { PLUMTREE_DEFAULTS, type PlumtreeConfig, type PlumtreeEffect, type PlumtreeEvent } from '../protocol/plumtree-types.js';
export { createTopic, handleTopic, type TopicConfig, type TopicEffect, type TopicEvent, type TopicState } from '../protocol/topic.js';
export { decodeFrame, encodeFrame, FrameDecoder, FRAME_LIMIT_BI, FRAME_LIMIT_UNI, type Frame } from '../protocol/framer.js';
export { decodeEnvelope, encodeEnvelope, FRAME_LIMIT_CONTROL, IHAVE_ENTRIES_MAX, SHUFFLE_NODES_MAX } from '../protocol/codec.js';
export type { MessageId, NodeId, TopicEnvelope, TopicId, TopicMessage } from '../protocol/messages.js';
export type { HyParViewState } from '../protocol/hyparview-state.js';
export type { DecodeError, Result } from '../protocol/result.js';
export type { Rng } from '../protocol/rng.js';
