/**
 * Dotted field paths into a scenario file's JSON object, as an experiment's axes name them:
 * `durationMs`, `node.hyparview.activeViewCapacity`, `topology.meshes.0.roles.gateway`. A
 * numeric segment indexes an array that must already hold that element; a missing object on
 * the way is created (so an axis can set a v2 field the base leaves at its default). Setting a
 * value never mutates the input. Pure; problems come back as one-line error values.
 */

/** A segment: a JSON key of letters, digits, '_' or '-' (so role names with '.' cannot be addressed). */
const SEGMENT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SEGMENTS_MAX = 16;
/**
 * Names every object inherits: setting `__proto__.hasOwnProperty` wrote into Object.prototype
 * for the whole process (the experiment's worker pool then crashed), and `__proto__.durationMs`
 * set nothing a run reads, every point alike.
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export type PathParse = { readonly ok: true; readonly segments: readonly string[] } | { readonly ok: false; readonly error: string };
export type SetResult = { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly error: string };

export function parseFieldPath(path: string): PathParse {
  const segments = path.split('.');
  if (segments.length > SEGMENTS_MAX) return { ok: false, error: `field path ${JSON.stringify(path)} has more than ${SEGMENTS_MAX} segments` };
  const bad = segments.find((s) => !SEGMENT_PATTERN.test(s));
  if (bad !== undefined) return { ok: false, error: `field path ${JSON.stringify(path)} has an invalid segment ${JSON.stringify(bad)} (use letters, digits, '_' or '-' between dots)` };
  if (/^\d+$/.test(segments[0])) return { ok: false, error: `field path ${JSON.stringify(path)} must start with a field name` };
  const inherited = segments.find((s) => INHERITED_NAMES.has(s));
  if (inherited !== undefined) return { ok: false, error: `field path ${JSON.stringify(path)} names ${JSON.stringify(inherited)}, which is no field of a scenario file` };
  return { ok: true, segments };
}

/** A copy of `root` with `value` at `segments`; the last segment may name a field the object lacks. */
export function withFieldAt(root: Readonly<Record<string, unknown>>, segments: readonly string[], value: unknown): SetResult {
  if (segments.length === 0) return { ok: false, error: 'empty field path' };
  const copy = structuredClone(root) as Record<string, unknown>;
  let container: unknown = copy;
  for (let i = 0; i < segments.length; i++) {
    const where = segments.slice(0, i).join('.');
    const key = segments[i];
    const last = i === segments.length - 1;
    if (Array.isArray(container)) {
      if (!/^\d+$/.test(key) || Number(key) >= container.length) {
        return { ok: false, error: `${where} has no element ${key} (it has ${container.length})` };
      }
      if (last) container[Number(key)] = value;
      else container = container[Number(key)];
    } else if (typeof container === 'object' && container !== null) {
      // Own fields only, defined rather than assigned: no key reaches a prototype.
      const fields = container as Record<string, unknown>;
      if (last) Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
      else {
        if (!Object.hasOwn(fields, key) || fields[key] === undefined) Object.defineProperty(fields, key, { value: {}, enumerable: true, writable: true, configurable: true });
        container = fields[key];
      }
    } else {
      return { ok: false, error: `${where} is not an object or array, so it has no field ${key}` };
    }
  }
  return { ok: true, value: copy };
}
