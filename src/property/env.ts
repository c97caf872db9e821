/**
 * Property-run settings from the environment, so CI stays small while a long search is one
 * variable away:
 *   MESHSIM_PROP_RUNS  fast-check runs per property (default: the test's own small number)
 *   MESHSIM_PROP_SEED  fast-check seed (default: the test's fixed seed, so CI is stable)
 *   MESHSIM_PROP_PATH  replay one shrunk case: the path a failure printed (with its seed)
 *   MESHSIM_PROP_FULL  1 = full topology range (up to 40 nodes, 3 meshes); default small
 *   MESHSIM_PROP_SAVE  a directory (e.g. seeds): failing properties write <name>.json there
 *   MESHSIM_PROP_SPLITS  1 = the layout property goes on past a run red only where a topic's
 *                     overlay stood split, as its violations say (the protocol's own classes),
 *                     and lists such runs at the end; default 0 (every red stops the search)
 *   MESHSIM_PROP_SETTINGS  1 = the layout property draws the protocols' and the network's
 *                     settings too (layouts.ts, settingsArb); default 0 (SPEC's defaults)
 * Malformed values are an error naming the variable (never silently the default).
 */

export interface PropertyEnv {
  readonly numRuns: number;
  readonly seed: number;
  readonly path?: string;
  readonly full: boolean;
  readonly saveDir?: string;
  /** MESHSIM_PROP_SPLITS=1: runs red only on overlay splits do not stop a layout search. */
  readonly passSplits: boolean;
  /** MESHSIM_PROP_SETTINGS=1: layout cases draw node and network settings too. */
  readonly settings: boolean;
}

export function propertyEnv(defaults: { readonly numRuns: number; readonly seed: number }, env: NodeJS.ProcessEnv = process.env): PropertyEnv {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    if (!/^-?\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) throw new Error(`${name} must be an integer in [${min}, ${max}] (got ${JSON.stringify(text)})`);
    return Number(text);
  };
  const flag = (name: string): boolean => {
    const text = env[name];
    if (text !== undefined && text !== '' && text !== '0' && text !== '1') throw new Error(`${name} must be 1 or 0 (got ${JSON.stringify(text)})`);
    return text === '1';
  };
  const path = env.MESHSIM_PROP_PATH;
  if (path !== undefined && path !== '' && !/^\d+(:\d+)*$/.test(path)) throw new Error(`MESHSIM_PROP_PATH must look like 0:1:3 (got ${JSON.stringify(path)})`);
  return {
    // The bounds the property checks hold them to (checkRunOptions): fast-check keeps 32 bits of a seed.
    numRuns: int('MESHSIM_PROP_RUNS', defaults.numRuns, 1, 1_000_000),
    seed: int('MESHSIM_PROP_SEED', defaults.seed, -(2 ** 31), 2 ** 31 - 1),
    ...(path === undefined || path === '' ? {} : { path }),
    full: flag('MESHSIM_PROP_FULL'),
    passSplits: flag('MESHSIM_PROP_SPLITS'),
    settings: flag('MESHSIM_PROP_SETTINGS'),
    ...(env.MESHSIM_PROP_SAVE === undefined || env.MESHSIM_PROP_SAVE === '' ? {} : { saveDir: env.MESHSIM_PROP_SAVE }),
  };
}
