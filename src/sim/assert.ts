/**
 * Assertions for programmer errors (TigerBeetle style): a failed assertion means a bug in meshsim,
 * never bad input. Bad input from outside is returned as an error value instead.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
