/**
 * The one place a replay command line is spelled: structured replay data from the layers below
 * (src/scenario/replay-ref.ts) in, the exact `npx meshsim …` command out. Words are quoted for
 * a POSIX shell only when they need it. Must not print.
 */
import type { ReplayRef } from '../scenario/replay-ref.js';

export function replayLine(ref: ReplayRef): string {
  switch (ref.kind) {
    case 'run':
      return `npx meshsim run --scenario ${shellWord(ref.scenario)} --seed ${ref.seed}${runTail(ref)}`;
    case 'schedule-run':
      return `npx meshsim run --schedule ${ref.schedule}${runTail(ref)}`;
    case 'schedule-replay':
      return `npx meshsim replay ${ref.schedule}${ref.foundVariant === true ? ' --found-variant' : ''}`;
    case 'experiment-point':
      return `npx meshsim experiment ${ref.experiment} --point ${ref.point} --seeds ${ref.seed}..${ref.seed}`;
  }
}

function runTail(ref: { readonly durationMs?: number; readonly chaos?: number; readonly traceLevel?: string }): string {
  const duration = ref.durationMs === undefined ? '' : ` --duration ${ref.durationMs}ms`;
  const chaos = ref.chaos === undefined ? '' : ` --chaos ${ref.chaos}`;
  const trace = ref.traceLevel === undefined ? '' : ` --trace-level ${ref.traceLevel}`;
  return `${duration}${chaos}${trace}`;
}

const SHELL_SAFE_WORD = /^[A-Za-z0-9_./:=@%+-]+$/;

/** Quote a word for a POSIX shell only when it needs it: in single quotes, each quote becomes '\''. */
function shellWord(word: string): string {
  return SHELL_SAFE_WORD.test(word) ? word : `'${word.split("'").join("'\\''")}'`;
}
