/** Reconnect delays: exponential growth from `initialMs` up to `maxMs`, with optional jitter. */
export interface BackoffOptions {
  /** Upper bound of the first delay, in milliseconds. @default 50 */
  initialMs?: number;
  /** Largest delay, in milliseconds. @default 2000 */
  maxMs?: number;
  /** `full`: a delay uniform in [0, bound) (AWS "full jitter"); `none`: exactly the bound. @default 'full' */
  jitter?: 'full' | 'none';
}

/** The default backoff settings. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 50, maxMs: 2000, jitter: 'full' };

/** The delay before reconnect attempt `attempt` (0 for the first) in milliseconds. */
export function backoffDelayMs(attempt: number, options: Required<BackoffOptions>, random: () => number): number {
  const bound = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return options.jitter === 'full' ? Math.floor(random() * bound) : bound;
}
