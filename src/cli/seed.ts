/**
 * Seeds on the command line: `--seed N` takes a non-negative decimal integer (kept as a
 * string, since the simulator derives its streams from the seed string); without `--seed` the
 * CLI picks one from crypto randomness. Only the CLI may do that: the core never draws
 * ambient randomness.
 */
import { randomInt } from 'node:crypto';

const SEED_DIGITS_MAX = 30;
/** Upper bound (exclusive) of a picked seed: short enough to type back in. */
const PICKED_SEED_MAX = 2 ** 32;

export type SeedParse = { readonly ok: true; readonly seed: string } | { readonly ok: false; readonly error: string };

/** `007` and `7` name the same seed, so leading zeros are dropped. */
export function parseSeed(text: string): SeedParse {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || trimmed.length > SEED_DIGITS_MAX) {
    return { ok: false, error: `--seed must be a non-negative integer of at most ${SEED_DIGITS_MAX} digits (got ${JSON.stringify(text)})` };
  }
  return { ok: true, seed: trimmed.replace(/^0+(?=\d)/, '') };
}

export function pickSeed(): string {
  return String(randomInt(0, PICKED_SEED_MAX));
}
