/**
 * Decode results as values: every decoder in `src/protocol` returns a `Result` instead of
 * throwing on bad input (SPEC §4). `assertWire` is for programmer errors only (an encoder
 * handed a value our own code should never produce); it must never guard untrusted bytes.
 */

/** Why a frame or payload could not be decoded (SPEC §4). */
export type DecodeError =
  | { readonly kind: 'Empty' }
  | { readonly kind: 'BadLength' }
  | { readonly kind: 'Truncated'; readonly declared: number; readonly available: number }
  | { readonly kind: 'Oversize'; readonly declared: number; readonly max: number }
  | { readonly kind: 'UnknownTag'; readonly tag: number }
  | { readonly kind: 'BadPayload'; readonly reason: string }
  | { readonly kind: 'TrailingBytes'; readonly extra: number };

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DecodeError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(error: DecodeError): Result<T> {
  return { ok: false, error };
}

export function badPayload<T = never>(reason: string): Result<T> {
  return { ok: false, error: { kind: 'BadPayload', reason } };
}

/** One line per error, for spans (`mesh.frame.decode_failed{error}`) and the CLI. */
export function describeDecodeError(error: DecodeError): string {
  switch (error.kind) {
    case 'Empty': return 'Empty';
    case 'BadLength': return 'BadLength';
    case 'Truncated': return `Truncated{declared=${error.declared},available=${error.available}}`;
    case 'Oversize': return `Oversize{declared=${error.declared},max=${error.max}}`;
    case 'UnknownTag': return `UnknownTag{tag=0x${error.tag.toString(16).padStart(2, '0')}}`;
    case 'BadPayload': return `BadPayload{${error.reason}}`;
    case 'TrailingBytes': return `TrailingBytes{extra=${error.extra}}`;
  }
}

/** Programmer-error check for encoders (never for input from the wire). */
export function assertWire(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`wire invariant violated: ${message}`);
}
