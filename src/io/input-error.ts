/**
 * Bad input to the library (`import … from 'meshsim'`): one class every front door throws, so a
 * caller can tell its own mistake from a failed run (a verdict) or a bug (anything else). The
 * message is one readable line, as the CLI prints it: line breaks collapsed, quoted values cut
 * to about 80 characters, the whole to LINE_CHARS_MAX. ChaosConfigError and AppRunError are
 * kinds of it.
 */
import { shortenQuoted } from './json-input.js';

/** Longest message line, characters. */
const LINE_CHARS_MAX = 1_000;

/** Collapse a (possibly multi-line) message into one readable line: quoted values cut to ~80 characters, the line to 1000. */
export function oneLine(message: string): string {
  const line = shortenQuoted(message.replace(/\s*\n\s*/g, ' ').trim());
  return line.length > LINE_CHARS_MAX ? `${line.slice(0, LINE_CHARS_MAX - 1)}…` : line;
}

/** Bad input to the library: the message is one line naming the problem. */
export class MeshsimInputError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'MeshsimInputError';
  }
}

/** "`field` must be an integer in [min, max], got …" when `value` is not one, else null: the library's one wording of a range check. */
export function integerProblem(value: unknown, field: string, min: number, max: number): string | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max ? null : `${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`;
}
