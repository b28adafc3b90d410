/**
 * Await a condition instead of sleeping: retry an assertion until it passes or a bound expires.
 */

/** Thrown by {@link waitFor} when the bound expires; `cause` is the assertion's last failure. */
export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';
  constructor(readonly timeoutMs: number, readonly attempts: number, cause: unknown) {
    const last = cause instanceof Error ? cause.message : String(cause);
    super(`Condition still failing after ${timeoutMs} ms (${attempts} attempts): ${last}`, { cause });
  }
}

/**
 * Runs `assertion` until it resolves without throwing and returns its value, retrying every
 * `intervalMs`; throws {@link WaitForTimeoutError} once `timeoutMs` has passed.
 * @param timeoutMs @default 5_000
 * @param intervalMs @default 20
 */
export async function waitFor<T>(
  assertion: () => T | Promise<T>,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      return await assertion();
    } catch (error) {
      if (performance.now() + intervalMs > deadline) throw new WaitForTimeoutError(timeoutMs, attempts, error);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
