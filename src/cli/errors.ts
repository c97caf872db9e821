/**
 * CLI errors: a `UsageError` carries the exit code and a one-line message; `main` prints it as
 * `meshsim: <message>` on stderr and never shows a stack trace for it. Exit codes (README,
 * "Exit codes"): 0 pass, 1 failed run (or a frame that does not decode), 2 bad usage, 3 the run
 * passed (verdict printed) but an output file, or stdout, could not be written, 4 `run` stopped because
 * the heap filled up (src/cli/memory-guard.ts), 70 a bug in the CLI.
 * This module must not print.
 */
import { oneLine } from '../io/input-error.js';

export { oneLine };

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
/**
 * The run passed and its verdict was printed, but an --otlp/--report file could not be written
 * (a failed run exits EXIT_FAIL even then: the failure is the news), or stdout could not be.
 */
export const EXIT_OUTPUT = 3;
/** `run` stopped before its end because the heap stayed near its limit (src/cli/memory-guard.ts). */
export const EXIT_MEMORY = 4;
/** A bug in the CLI itself (sysexits EX_SOFTWARE); its stack is printed. */
export const EXIT_INTERNAL = 70;

export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    // Made readable here, so no caller can put a 900 KB value or a line break into stderr.
    super(oneLine(message));
    this.name = 'UsageError';
  }
}

/** Stop the command with a one-line message and an exit code (default 2: bad usage). */
export function fail(message: string, code: number = EXIT_USAGE): never {
  throw new UsageError(message, code);
}


/** Quote a value for the error text, cut to a readable length. */
export function quoted(value: string, maxChars = 80): string {
  return JSON.stringify(value.length > maxChars ? `${value.slice(0, maxChars)}…` : value);
}
