/**
 * Registration of the clocks primitives (one file per primitive; this list only names them).
 * The group also holds the link-quality primitives (slow and lossy links) and NAT remapping.
 */
import { clockSkew } from './clock-skew.js';
import { lossyLink } from './lossy-link.js';
import { natShift } from './nat-shift.js';
import { slowLink } from './slow-link.js';
import type { Primitive } from './types.js';

export const CLOCKS_PRIMITIVES: readonly Primitive[] = [clockSkew, natShift, slowLink, lossyLink];
