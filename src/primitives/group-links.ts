/**
 * Registration of the links primitives (one file per primitive; this list only names them).
 */
import { firewallInbound } from './firewall-inbound.js';
import { flapLink } from './flap-link.js';
import { partitionPair } from './partition-pair.js';
import { partitionSubset } from './partition-subset.js';
import type { Primitive } from './types.js';

export const LINKS_PRIMITIVES: readonly Primitive[] = [partitionPair, partitionSubset, flapLink, firewallInbound];
