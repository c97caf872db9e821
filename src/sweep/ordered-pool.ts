/**
 * Tasks on piscina worker threads with results handed back in TASK order (a small reorder
 * buffer), so output never depends on which worker finished first; one task per worker is in
 * flight, so a long task list never queues a promise per task, and tasks start in index order
 * (see IN_FLIGHT_PER_WORKER). Tasks are made on demand from their index, so the list itself is
 * never materialized. Sweeps and experiments both run on it. The worker module must be
 * compiled (dist/).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface OrderedPoolOptions<T, R> {
  /** Absolute path of the compiled worker module (its default export runs one task). */
  readonly filename: string;
  readonly workers: number;
  readonly count: number;
  readonly taskAt: (index: number) => T;
  /** Called once per task, in index order; `done` counts results handed back so far. */
  readonly onResult: (result: R, index: number, done: number) => void;
  /** Heap limit of each worker thread, MB (default: V8's, or the process's --max-old-space-size). */
  readonly heapMb?: number;
  /** Young generation of each worker thread, MB (default: V8's, or the process's semi-space flags). */
  readonly youngMb?: number;
}

/**
 * A worker thread's heap filled up while it ran `task` (Node ended the thread with
 * ERR_WORKER_OUT_OF_MEMORY). The pool stops; results handed back before it stand.
 */
export class TaskOutOfMemory extends Error {
  constructor(readonly task: unknown) {
    super('a task ran out of memory in its worker thread');
  }
}

function isOutOfMemory(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
}

/**
 * Tasks handed to the pool per worker before one comes back. One: with more than the workers
 * can take, piscina's queue does not start them in the order given (one worker, four per
 * worker: tasks ran 0 2 1 4 5 … 11 3). Output comes in task order, so a task started late held
 * back every result after it: a sweep of 80 seeds of two 500-node meshes printed three lines,
 * then nothing for nine minutes, then the rest at once. A task takes a second or more; the
 * round trip between two tasks of a worker is well under a millisecond.
 */
const IN_FLIGHT_PER_WORKER = 1;

export async function runOrdered<T, R>(options: OrderedPoolOptions<T, R>): Promise<void> {
  const workers = Math.max(1, Math.floor(options.workers));
  const limits =
    options.heapMb === undefined && options.youngMb === undefined
      ? null
      : {
          ...(options.heapMb === undefined ? {} : { maxOldGenerationSizeMb: options.heapMb }),
          ...(options.youngMb === undefined ? {} : { maxYoungGenerationSizeMb: options.youngMb }),
        };
  // Loaded here, not at the top: every `meshsim` command imports this module through the CLI,
  // and only sweeps and experiments start workers.
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: options.filename,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1_000,
    ...(limits === null ? {} : { resourceLimits: limits }),
  });
  const waiting = new Map<number, R>();
  let next = 0;
  let emitted = 0;
  const flush = (): void => {
    for (let result = waiting.get(emitted); waiting.has(emitted); result = waiting.get(emitted)) {
      waiting.delete(emitted);
      emitted++;
      options.onResult(result as R, emitted - 1, emitted);
    }
  };
  const lane = async (): Promise<void> => {
    while (next < options.count) {
      const i = next++;
      const task = options.taskAt(i);
      try {
        waiting.set(i, (await pool.run(task)) as R);
      } catch (e) {
        throw isOutOfMemory(e) ? new TaskOutOfMemory(task) : e;
      }
      flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.count, workers * IN_FLIGHT_PER_WORKER) }, lane));
  } finally {
    await pool.destroy();
  }
}

/**
 * The compiled form of a module next to `moduleUrl` (`import.meta.url` of the caller): the
 * caller's own directory under dist/ when it runs from src/ (vitest), else its directory.
 */
export function compiledSibling(moduleUrl: string, file: string): string {
  const here = fileURLToPath(moduleUrl);
  const built = here.endsWith('.ts') ? here.replace(/[\\/]src[\\/]([^\\/]+)[\\/][^\\/]+\.ts$/, `/dist/src/$1/${file}`) : here.replace(/[^\\/]+\.js$/, file);
  if (!existsSync(built)) throw new Error(`worker ${built} is not built: run \`npm run build\` first`);
  return built;
}
