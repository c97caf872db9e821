/**
 * Registration of the lifecycle primitives (one file per primitive; this list only names them).
 */
import type { Primitive } from './types.js';

export const LIFECYCLE_PRIMITIVES: readonly Primitive[] = [];
