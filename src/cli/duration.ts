/**
 * Parses `--duration`: `1500ms`, `90s`, `5m`, `2h`, or a bare number of seconds (decimals allowed
 * when the result is a whole number of milliseconds). Returns milliseconds or an error string;
 * the caller turns the error into a usage failure. Must not read clocks.
 */

/** Longest main phase the CLI accepts: one virtual day, ms. */
export const DURATION_MS_MAX = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, '': 1_000 };

export type DurationParse = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: string };

export function parseDuration(text: string): DurationParse {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) return bad(`invalid duration ${JSON.stringify(text)} (use e.g. 90s, 5m, 2h, 1500ms or a number of seconds)`);
  const unitMs = UNIT_MS[match[2] ?? '']!;
  const exact = Number(match[1]) * unitMs;
  const ms = Math.round(exact);
  // Compare with a tolerance: 1.001 * 1000 is not exactly 1001 in binary floating point.
  if (Math.abs(exact - ms) > 1e-6) return bad(`duration ${JSON.stringify(text)} is not a whole number of milliseconds`);
  if (ms <= 0) return bad(`duration ${JSON.stringify(text)} must be positive`);
  if (ms > DURATION_MS_MAX) return bad(`duration ${JSON.stringify(text)} exceeds the maximum of ${DURATION_MS_MAX / 3_600_000} h`);
  return { ok: true, ms };
}

function bad(error: string): DurationParse {
  return { ok: false, error };
}
