import { CaughtUpTimeoutError } from './errors.js';
import type { TimerHandle, Timers } from './timers.js';

interface Waiter {
  heads: Record<string, number>;
  timer: TimerHandle;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Promises waiting for every named room's cursor to reach a head; checked on each delivery. */
export class CaughtUpWaiters {
  readonly #waiters = new Set<Waiter>();
  readonly #timers: Timers;
  readonly #cursor: (room: string) => number;

  constructor(timers: Timers, cursor: (room: string) => number) {
    this.#timers = timers;
    this.#cursor = cursor;
  }

  /** Resolve once every cursor >= its head; reject with `CaughtUpTimeoutError` after `timeoutMs`. */
  wait(heads: Record<string, number>, timeoutMs: number): Promise<void> {
    if (this.#behind(heads).length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { heads: { ...heads }, resolve, reject, timer: null };
      waiter.timer = this.#timers.setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new CaughtUpTimeoutError(timeoutMs, this.#behind(waiter.heads)));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Settle the waiters whose rooms have all caught up (call after cursors moved). */
  check(): void {
    for (const waiter of this.#waiters) {
      if (this.#behind(waiter.heads).length > 0) continue;
      this.#timers.clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  /** Reject every waiter with this error. */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters) {
      this.#timers.clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
  }

  #behind(heads: Record<string, number>): { room: string; cursor: number; head: number }[] {
    return Object.entries(heads)
      .map(([room, head]) => ({ room, cursor: this.#cursor(room), head }))
      .filter((b) => b.cursor < b.head);
  }
}
