/**
 * JSON documents from users (scenario files, schedule files): read with a size ceiling
 * (bounded-read.ts), decoded as UTF-8 with an optional byte-order mark, refused when nested
 * deeper than a limit (checked on the text before parsing, so nothing recurses on it), and
 * parsed; a key given twice in one object is refused (`JSON.parse` keeps the last one silently,
 * so `"durationMs"` written twice ran with whichever came second). Every failure is one line
 * that starts with the path and names the problem; values quoted in it are cut to about 80
 * characters. Must not validate any format's fields.
 */
import { readBounded } from './bounded-read.js';

/** Deepest nesting of arrays and objects a document may have (the formats need fewer than 10). */
export const JSON_DEPTH_MAX = 64;

export type JsonRead = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** Reads `path` as one JSON document of at most `bytesMax` bytes; `what` names it in errors ("schedule file"). */
export function readJsonFile(path: string, what: string, bytesMax: number): JsonRead {
  if (path.trim() === '') return { ok: false, error: `empty ${what} name` };
  const read = readBounded(path, bytesMax);
  if (!read.ok) {
    return { ok: false, error: read.reason === 'size' ? `${path}: ${what} is larger than ${read.bytesMax} bytes` : `${path}: cannot read ${what} (${read.code})` };
  }
  const parsed = parseJsonText(read.bytes);
  return parsed.ok ? parsed : { ok: false, error: `${path}: ${parsed.error}` };
}

/** UTF-8 bytes (BOM allowed) → a JSON value, or one line saying why not. */
export function parseJsonText(bytes: Uint8Array): JsonRead {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, error: 'invalid JSON: the file is not UTF-8 text' };
  }
  const scan = scanJson(text, JSON_DEPTH_MAX);
  if (scan.tooDeepAt !== null) return { ok: false, error: `invalid JSON: nested deeper than ${JSON_DEPTH_MAX} levels (at character ${scan.tooDeepAt})` };
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${shortLine((e as Error).message)}` };
  }
  const twice = scan.twice;
  if (twice !== null) {
    return { ok: false, error: shortenQuoted(`key ${JSON.stringify(twice.key)} appears twice in one object (at character ${twice.at}); JSON would keep only the last`) };
  }
  return { ok: true, value };
}

/**
 * One walk over `text` before it is parsed (so nothing recurses on it), outside strings: where
 * `[`/`{` nesting first exceeds `depthMax` (the walk stops there), and the first key given twice
 * in one object, with the index of its second appearance. Keys compare by value (`"a"` and
 * `"\u0061"` are one key). The text may be invalid JSON: the walk never throws or runs past the
 * end, and what it says of a key in invalid text is not used (the parse error comes first).
 */
function scanJson(text: string, depthMax: number): { readonly tooDeepAt: number | null; readonly twice: { readonly key: string; readonly at: number } | null } {
  const open: (Set<string> | null)[] = []; // per open container: its keys so far, null for an array
  let twice: { key: string; at: number } | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (open.length === depthMax) return { tooDeepAt: i, twice };
      open.push(c === 0x7b ? new Set() : null);
    } else if (c === 0x7d || c === 0x5d) open.pop();
    else if (c === 0x22) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      const keys = open[open.length - 1];
      if (twice !== null || keys === null || keys === undefined || !followedByColon(text, i + 1)) continue;
      let key: string;
      try {
        key = JSON.parse(text.slice(start, i + 1)) as string;
      } catch {
        continue; // not a well-formed string: the parse will say so
      }
      if (keys.has(key)) twice = { key, at: start };
      else keys.add(key);
    }
  }
  return { tooDeepAt: null, twice };
}

/** Whether the next character of `text` from `from` that is not JSON whitespace is a colon. */
function followedByColon(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}

const LINE_CHARS_MAX = 200;

function shortLine(message: string): string {
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > LINE_CHARS_MAX ? `${line.slice(0, LINE_CHARS_MAX - 1)}…` : line;
}

const QUOTED_CHARS_MAX = 80;

/** A value or key for an error message, cut to about 80 characters. */
export function short(text: string): string {
  return text.length > QUOTED_CHARS_MAX ? `${text.slice(0, QUOTED_CHARS_MAX - 1)}…` : text;
}

/** Cuts every JSON string literal in a message that is longer than about 80 characters. */
export function shortenQuoted(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, (q) => (q.length > QUOTED_CHARS_MAX ? `${q.slice(0, QUOTED_CHARS_MAX - 2)}…"` : q));
}
