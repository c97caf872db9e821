/**
 * CLI errors: a `UsageError` carries the exit code and a one-line message; `main` prints it as
 * `meshsim: <message>` on stderr and never shows a stack trace for it. Exit codes: 0 pass,
 * 1 failed run (or a frame that does not decode), 2 bad usage, 70 a bug in the CLI. This module must not print.
 */

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
/** A bug in the CLI itself (sysexits EX_SOFTWARE); its stack is printed. */
export const EXIT_INTERNAL = 70;

export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Stop the command with a one-line message and an exit code (default 2: bad usage). */
export function fail(message: string, code: number = EXIT_USAGE): never {
  throw new UsageError(message, code);
}

/** Collapse a (possibly multi-line) message into one line for stderr. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Quote a value for the error text, cut to a readable length. */
export function quoted(value: string, maxChars = 40): string {
  return JSON.stringify(value.length > maxChars ? `${value.slice(0, maxChars)}…` : value);
}
