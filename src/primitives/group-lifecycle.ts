/**
 * Registration of the lifecycle primitives (one file per primitive; this list only names them).
 */
import { burstKill } from './burst-kill.js';
import { diskFull } from './disk-full.js';
import { restartNode } from './restart-node.js';
import type { Primitive } from './types.js';
import { wedgeNode } from './wedge-node.js';

export const LIFECYCLE_PRIMITIVES: readonly Primitive[] = [restartNode, burstKill, wedgeNode, diskFull];
