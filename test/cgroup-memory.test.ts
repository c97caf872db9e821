/**
 * The container's memory as its cgroup counts it (the memory guard's "what is left" inside a
 * container). Goal: the cgroup directory is found for v1 and v2 layouts, namespaced or not; the
 * working set is usage less inactive file cache; anything unreadable or malformed gives null, so
 * the guard falls back to this process's own memory.
 * Method: the functions over fake file trees (a map from path to text).
 */
import { describe, expect, it } from 'vitest';
import { cgroupMemoryInUse, memoryCgroup, type ReadText } from '../src/cli/cgroup-memory.js';

const files = (tree: Record<string, string>): ReadText => (path) => tree[path] ?? null;
const MB = 1024 ** 2;

describe('the memory cgroup of this process', () => {
  it('cgroup v1: the memory controller line, under its mount', () => {
    const read = files({
      '/proc/self/cgroup': '12:pids:/x\n4:memory:/process_api/job7\n1:name=systemd:/\n0::/\n',
      '/sys/fs/cgroup/memory/process_api/job7/memory.usage_in_bytes': `${900 * MB}\n`,
      '/sys/fs/cgroup/memory/process_api/job7/memory.stat': `cache ${300 * MB}\ntotal_inactive_file ${200 * MB}\ninactive_file 1\n`,
    });
    const cgroup = memoryCgroup(read);
    expect(cgroup).toEqual({ dir: '/sys/fs/cgroup/memory/process_api/job7', version: 1 });
    expect(cgroupMemoryInUse(cgroup!, read)).toBe(700 * MB);
  });

  it('cgroup v2: the 0:: line; a namespaced container sees its own cgroup at the root', () => {
    const read = files({
      '/proc/self/cgroup': '0::/\n',
      '/sys/fs/cgroup/memory.current': `${512 * MB}\n`,
      '/sys/fs/cgroup/memory.stat': `anon ${400 * MB}\nactive_file 1\ninactive_file ${12 * MB}\n`,
    });
    const cgroup = memoryCgroup(read);
    expect(cgroup).toEqual({ dir: '/sys/fs/cgroup', version: 2 });
    expect(cgroupMemoryInUse(cgroup!, read)).toBe(500 * MB);
  });

  it("a container whose paths are not namespaced: the host's path is not mounted, the mount's root is its cgroup", () => {
    const read = files({
      '/proc/self/cgroup': '0::/system.slice/docker-abc.scope\n',
      '/sys/fs/cgroup/memory.current': `${64 * MB}\n`,
    });
    const cgroup = memoryCgroup(read);
    expect(cgroup).toEqual({ dir: '/sys/fs/cgroup', version: 2 });
    expect(cgroupMemoryInUse(cgroup!, read)).toBe(64 * MB); // no memory.stat: nothing to take off
  });

  it('gives null when nothing can be read or a file is malformed', () => {
    expect(memoryCgroup(files({}))).toBeNull();
    expect(memoryCgroup(files({ '/proc/self/cgroup': '0::/\n' }))).toBeNull();
    expect(memoryCgroup(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.current': 'max\n' }))).toBeNull();
    const read = files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.current': '100\n' });
    const cgroup = memoryCgroup(read)!;
    expect(cgroupMemoryInUse(cgroup, files({}))).toBeNull(); // gone since
    expect(cgroupMemoryInUse(cgroup, files({ '/sys/fs/cgroup/memory.current': '100\n', '/sys/fs/cgroup/memory.stat': 'inactive_file 300\n' }))).toBe(0);
  });
});
