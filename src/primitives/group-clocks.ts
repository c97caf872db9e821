/**
 * Registration of the clocks primitives (one file per primitive; this list only names them).
 */
import type { Primitive } from './types.js';

export const CLOCKS_PRIMITIVES: readonly Primitive[] = [];
