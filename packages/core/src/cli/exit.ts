// Exit codes of the sluice command, and the one way it reports a failure.

export const EXIT = {
  ok: 0,
  /** Started, then failed (a port in use, a dead upstream at start). */
  failure: 1,
  /** Usage or config errors: nothing was started. */
  usage: 2,
} as const;

export function fail(code: number, message: string): number {
  process.stderr.write(`sluice: ${message}\n`);
  return code;
}
