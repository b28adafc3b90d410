/** An opaque handle returned by a `Timers` implementation. */
export type TimerHandle = unknown;

/** The timer functions the client uses, injectable for tests and other runtimes. */
export interface Timers {
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a `setTimeout`. */
  clearTimeout(handle: TimerHandle): void;
  /** Run `fn` every `ms` milliseconds. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancel a `setInterval`. */
  clearInterval(handle: TimerHandle): void;
}

type Handle = ReturnType<typeof globalThis.setTimeout>;

/** The global timers, looked up at each call so that fake timers installed later are honoured. */
export const globalTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Handle),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (handle) => globalThis.clearInterval(handle as Handle),
};
