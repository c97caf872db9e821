/**
 * `run` for library users (SPEC §10.6): one scenario, one seed, the same object `meshsim run
 * --json` prints — same `traceDigest` for the same inputs. The scenario is a registered name,
 * a scenario-file object (SPEC §10.3, validated like a file) or a `Scenario` built in code
 * (with its own workloads, extensions and assertions). Bad input throws a `MeshsimInputError`
 * whose message is the one line the CLI would print; a failed run is a verdict, not an error.
 * Like the CLI, this front end measures wall time around the deterministic core.
 */
import { executeRun } from '../cli/run-command.js';
import { UsageError } from '../cli/errors.js';
import { heapPlan, heapWatch, thisMachine, v8HeapSource } from '../cli/memory-guard.js';
import { nodeCount } from '../scenario/topology.js';
import { MeshsimInputError } from '../io/input-error.js';
import { runJson } from '../cli/format.js';
import { parseSeed } from '../cli/seed.js';
import { findScenario } from '../catalog/registry.js';
import { parseScenarioJson, scenarioProblem } from '../scenario/scenario-json.js';
import { runEndsEarly, type Scenario } from '../scenario/scenario.js';
import { withChaos } from '../catalog/chaos-scenarios.js';
import type { RunReport } from '../scenario/runner.js';
import { CHAOS_RANDOM_MAX, type ChaosRunReport } from '../primitives/engine.js';

export interface RunInput {
  /** A name from `meshsim list`, a scenario-file object, or a Scenario built in code. Default 'default'. */
  readonly scenario?: string | Scenario | Record<string, unknown>;
  /** A non-negative integer (or its decimal string). */
  readonly seed: number | string;
  /** Main-phase length, ms; default the scenario's. */
  readonly durationMs?: number;
  /** Default 'info'; 'trace' also records per-frame and per-message spans. */
  readonly traceLevel?: 'info' | 'trace';
  /** Add this many random chaos primitives at seeded times, as `--chaos N`. */
  readonly chaos?: number;
}

/**
 * What `meshsim run --json` prints: the run report plus wall time and speed-up, with the
 * report's structured `replay` spelled as the CLI's command line.
 */
export type RunJson = { readonly [K in keyof RunReport as K extends 'replay' ? never : K]: RunReport[K] } & {
  /** The chaos engine's section: present when the scenario has chaos (`chaos`, `withChaos`, a chaos scenario). */
  readonly chaos?: ChaosRunReport;
  readonly wallMs: number;
  readonly speedup: number;
  readonly replay: string;
};

const INPUT_FIELDS: readonly string[] = ['scenario', 'seed', 'durationMs', 'traceLevel', 'chaos'];

export function run(input: RunInput): RunJson {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new MeshsimInputError(`run takes one object { seed, scenario?, durationMs?, traceLevel?, chaos? }, got ${describe(input)}`);
  const unknown = Object.keys(input).find((k) => !INPUT_FIELDS.includes(k));
  if (unknown !== undefined) throw new MeshsimInputError(`${JSON.stringify(unknown)} is no field of run's input (${INPUT_FIELDS.join(', ')})`);
  if (input.traceLevel !== undefined && input.traceLevel !== 'info' && input.traceLevel !== 'trace') throw new MeshsimInputError(`traceLevel must be "info" or "trace", got ${describe(input.traceLevel)}`);
  const seed = seedOf(input.seed);
  if (input.scenario === null) throw new MeshsimInputError('scenario must be a registered name, a scenario-file object or a Scenario, got null (leave it out for "default")');
  let { scenario, ref, given } = scenarioOf(input.scenario ?? 'default');
  if (input.chaos !== undefined) {
    if (!Number.isInteger(input.chaos) || input.chaos < 1 || input.chaos > CHAOS_RANDOM_MAX) throw new MeshsimInputError(`chaos must be an integer from 1 to ${CHAOS_RANDOM_MAX}`);
    scenario = withChaos(scenario, { random: { count: input.chaos } });
  }
  if (input.durationMs !== undefined && !(Number.isInteger(input.durationMs) && input.durationMs >= 1 && input.durationMs <= 86_400_000)) {
    throw new MeshsimInputError('durationMs must be an integer in [1, 86400000]');
  }
  // Scenarios built in code are checked here too: a chaos event after the main phase never fires.
  const late = runEndsEarly(scenario, input.durationMs ?? scenario.durationMs);
  if (late !== null) throw new MeshsimInputError(`durationMs ${input.durationMs ?? scenario.durationMs}: ${late}`);
  // What the CLI refuses before a run, the library does too: a run that cannot fit in this
  // machine's memory (999,999 nodes ended Node with a fatal out-of-memory after 27 s). One that
  // fits is watched while it runs, as `meshsim run` watches it, and stopped with this error
  // before the heap fills; the CLI's remedy, a child Node with a larger heap, is the caller's.
  const machine = thisMachine();
  const plan = heapPlan(scenario, machine);
  if (plan.kind === 'refuse') throw new MeshsimInputError(plan.message);
  const watch = heapWatch(nodeCount(scenario.topology), { source: v8HeapSource(), machineBytes: machine.totalMemBytes, contained: machine.contained === true });
  let result: ReturnType<typeof executeRun>;
  try {
    const request = {
      scenario,
      scenarioRef: ref,
      seed,
      seedPicked: false,
      durationMs: input.durationMs,
      traceLevel: input.traceLevel,
      json: true,
      ...(input.chaos === undefined ? {} : { chaosCount: input.chaos }),
    };
    result = executeRun(request, { end: () => {}, onProgress: (p) => watch.check(p) });
  } catch (e) {
    if (e instanceof UsageError) throw new MeshsimInputError(e.message); // the heap watch stopped the run
    throw e;
  } finally {
    watch.stop();
  }
  const json = runJson(result) as RunJson;
  return given === 'name' ? json : { ...json, replay: replayOfObject(json.replay, scenario.name, given, { ...input, seed }) };
}

/**
 * What reproduces a run of a scenario given as an object: the CLI cannot name it, so the
 * command it would print (`--scenario tiny`, refused as an unknown scenario) says where the
 * scenario has to come from: a scenario-file object saved as a file, or the same Scenario
 * built in code and passed to `run` again.
 */
function replayOfObject(cliLine: string, name: string, given: 'file' | 'code', input: RunInput & { readonly seed: string }): string {
  const file = `${name}.json`;
  if (given === 'file') return `${cliLine.replace(`--scenario ${name}`, `--scenario ${file}`)} (with the scenario object saved as ${file})`;
  const fields = [`seed: ${JSON.stringify(input.seed)}`];
  if (input.durationMs !== undefined) fields.push(`durationMs: ${input.durationMs}`);
  if (input.traceLevel !== undefined) fields.push(`traceLevel: ${JSON.stringify(input.traceLevel)}`);
  if (input.chaos !== undefined) fields.push(`chaos: ${input.chaos}`);
  return `run({ scenario, ${fields.join(', ')} }) with the same Scenario "${name}" built in code (the CLI cannot name it)`;
}

/** A value as an error message shows it: its JSON, cut short, or its type. */
function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const json = JSON.stringify(value);
    return json === undefined ? typeof value : json.length > 80 ? `${json.slice(0, 79)}…` : json;
  } catch {
    return typeof value;
  }
}

function seedOf(seed: number | string): string {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw new MeshsimInputError(`seed must be a non-negative integer, got ${seed}`);
  const parsed = parseSeed(String(seed));
  if (!parsed.ok) throw new MeshsimInputError(parsed.error.replace('--seed', 'seed'));
  return parsed.seed;
}

function scenarioOf(value: string | Scenario | Record<string, unknown>): { scenario: Scenario; ref: string; given: 'name' | 'file' | 'code' } {
  if (typeof value === 'string') {
    const found = findScenario(value);
    if (found === undefined) throw new MeshsimInputError(`unknown scenario ${JSON.stringify(value)} (run \`meshsim list\` to see the scenarios)`);
    return { scenario: found, ref: value, given: 'name' };
  }
  if (isScenario(value)) {
    const problem = scenarioProblem(value);
    if (problem !== null) throw new MeshsimInputError(problem);
    // A registered scenario passed as its object (findScenario's) replays by name.
    return { scenario: value, ref: value.name, given: findScenario(value.name) === value ? 'name' : 'code' };
  }
  const parsed = parseScenarioJson(value);
  if (!parsed.ok) throw new MeshsimInputError(parsed.error);
  return { scenario: parsed.scenario, ref: parsed.scenario.name, given: 'file' };
}

/** A Scenario built in code has roles as [role, count] pairs; a scenario-file object has them as an object. */
function isScenario(value: object): value is Scenario {
  const topology = (value as { topology?: { meshes?: { roles?: unknown }[] } }).topology;
  return typeof (value as { description?: unknown }).description === 'string' && Array.isArray(topology?.meshes?.[0]?.roles);
}
