/**
 * The `meshsim` command line: wires commander and the subcommands (one file each) and owns
 * error output. Bad usage — from commander or from our own checks (`UsageError`) — prints ONE
 * line `meshsim: <problem>` on stderr and exits 2; it never shows a stack trace. Exit codes
 * are set through process.exitCode so buffered stdout is flushed before the process ends.
 *
 * Extending: a new subcommand is a `register<Name>(program)` in its own file, added below.
 * Register subcommands with `program.command(...)` so they inherit exitOverride and the output
 * configuration. Importing this module runs the CLI (bin/meshsim.js relies on that); tests
 * spawn the built binary instead of importing it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT_INTERNAL, EXIT_OUTPUT, EXIT_USAGE, UsageError, oneLine } from './errors.js';
import { registerBattery } from './battery-command.js';
import { registerExperiment } from './experiment-command.js';
import { registerFrame } from './frame-command.js';
import { registerList } from './list-command.js';
import { registerReplay } from './replay-command.js';
import { registerRun } from './run-command.js';
import { registerSweep } from './sweep-command.js';

export function buildProgram(): Command {
  const program = new Command('meshsim')
    .description('deterministic in-process simulator of a HyParView + Plumtree gossip mesh')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's own error text is replaced by ours (one line, `meshsim:` prefix) in main().
      outputError: () => {},
      // So is the usage it dumps on stderr for a missing command (`meshsim`, `meshsim frame`,
      // `meshsim help nosuch`); asked-for help goes to stdout as before.
      writeErr: () => {},
    });
  registerRun(program);
  registerList(program);
  registerFrame(program);
  registerReplay(program);
  registerSweep(program);
  registerBattery(program);
  registerExperiment(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`meshsim sweep … | head`) is not an error: end quietly with the
  // exit code decided so far, never with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // Any other failure to print (a full disk, `>/dev/full`, an I/O error) loses the command's
    // output: one line and exit 3, as for an output file, never a stack trace.
    try {
      process.stderr.write(`meshsim: cannot write to stdout: ${e.code ?? ''}${e.code === undefined ? e.message : `: ${describeErrno(e)}`}\n`);
    } finally {
      process.exit(EXIT_OUTPUT);
    }
  });
  // Nothing is left to tell when stderr itself cannot be written: the exit code still says it.
  process.stderr.on('error', () => {});
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (e) {
    process.exitCode = handleError(e);
  }
}

function handleError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`meshsim: ${oneLine(e.message)}\n`);
    return e.exitCode;
  }
  if (e instanceof CommanderError) {
    // Help and version were already printed; they are not errors.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    // `meshsim help run` printed the help asked for; a missing or unknown command did not.
    if (e.code === 'commander.help') {
      if (e.exitCode === 0) return 0;
      process.stderr.write('meshsim: a command is missing or unknown: `meshsim help` lists them, `meshsim help <command>` shows one\n');
      return EXIT_USAGE;
    }
    process.stderr.write(`meshsim: ${oneLine(e.message.replace(/^error: /, ''))}\n`);
    return EXIT_USAGE;
  }
  // Anything else is a bug in the CLI itself: show everything.
  process.stderr.write(`meshsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT_INTERNAL;
}

/** "no space left on device" from "ENOSPC: no space left on device, write". */
function describeErrno(e: NodeJS.ErrnoException): string {
  return e.message.replace(/^[A-Z]+: /, '').split(',')[0];
}

/** The version from the nearest package.json above this file (works from src/ and dist/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'meshsim' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

await main(process.argv.slice(2));
