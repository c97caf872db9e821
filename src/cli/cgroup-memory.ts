/**
 * What the memory cgroup of this process (its container, when it has one) holds: read from the
 * cgroup's own files, so the memory guard counts every process in the container, not only this
 * one. Working set as container tools count it: usage less the inactive file cache (the kernel
 * reclaims that before it kills anything). cgroup v1 (`memory.usage_in_bytes`,
 * `total_inactive_file`) and v2 (`memory.current`, `inactive_file`). Reads files only through
 * the `ReadText` it is given, so every layout can be tested; null whenever a file is missing or
 * malformed (the guard then counts this process alone).
 */
import { readFileSync } from 'node:fs';

/** A text file's contents, or null when it cannot be read. */
export type ReadText = (path: string) => string | null;

export interface MemoryCgroup {
  readonly dir: string;
  readonly version: 1 | 2;
}

export const readTextFile: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/**
 * The directory of this process's memory cgroup: from `/proc/self/cgroup` (a v1 `memory`
 * controller line first, else the v2 `0::` line), under the usual mount; inside a container
 * whose cgroup paths are not namespaced, its own cgroup is the mount's root instead.
 */
export function memoryCgroup(read: ReadText = readTextFile): MemoryCgroup | null {
  const lines = (read('/proc/self/cgroup') ?? '').split('\n');
  const v1 = lines.map((l) => l.split(':')).find((f) => f.length >= 3 && f[1].split(',').includes('memory'));
  const v2 = lines.map((l) => l.split(':')).find((f) => f.length >= 3 && f[0] === '0' && f[1] === '');
  const [root, path, version, usageFile] = v1 !== undefined
    ? ['/sys/fs/cgroup/memory', v1.slice(2).join(':'), 1 as const, 'memory.usage_in_bytes']
    : v2 !== undefined ? ['/sys/fs/cgroup', v2.slice(2).join(':'), 2 as const, 'memory.current'] : [null, '', 2 as const, ''];
  if (root === null) return null;
  for (const dir of [`${root}${path === '/' ? '' : path}`, root]) {
    if (bytesOf(read(`${dir}/${usageFile}`)) !== null) return { dir, version };
  }
  return null;
}

/** Bytes the cgroup holds, less its inactive file cache; null when its files cannot be read. */
export function cgroupMemoryInUse(cgroup: MemoryCgroup, read: ReadText = readTextFile): number | null {
  const usage = bytesOf(read(`${cgroup.dir}/${cgroup.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'}`));
  if (usage === null) return null;
  const key = cgroup.version === 1 ? 'total_inactive_file' : 'inactive_file';
  const stat = read(`${cgroup.dir}/memory.stat`) ?? '';
  const line = stat.split('\n').find((l) => l.startsWith(`${key} `));
  const inactive = line === undefined ? 0 : bytesOf(line.slice(key.length + 1)) ?? 0;
  return Math.max(0, usage - inactive);
}

function bytesOf(text: string | null): number | null {
  if (text === null || !/^\d+\s*$/.test(text)) return null;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : null;
}
