import type { TimerHandle, Timers } from './timers.js';

/** Settings and callbacks of a `Heartbeat`. */
export interface HeartbeatOptions {
  /** Send a ping this often, in milliseconds. */
  intervalMs: number;
  /** Declare the peer dead when a ping stays unanswered this long, in milliseconds. */
  timeoutMs: number;
  /** Timer functions. */
  timers: Timers;
  /** Monotonic clock in milliseconds. */
  now: () => number;
  /** Write a ping with this nonce. */
  sendPing: (nonce: number) => void;
  /** Called once when a ping's deadline passes. */
  onTimeout: () => void;
}

/**
 * Pings one connection on an interval and calls `onTimeout` when the oldest unanswered ping (a pong
 * answers its ping and every earlier one) is older than the timeout: a paused or wedged worker.
 */
export class Heartbeat {
  readonly #o: HeartbeatOptions;
  readonly #sentAt = new Map<number, number>();
  #nonce = 0;
  #interval: TimerHandle | null = null;
  #deadline: TimerHandle | null = null;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
  }

  /** Start pinging. */
  start(): void {
    if (this.#interval === null) this.#interval = this.#o.timers.setInterval(() => this.#ping(), this.#o.intervalMs);
  }

  /** Record a pong (without a nonce it answers every ping sent). */
  onPong(nonce: number | undefined): void {
    const answered = nonce ?? this.#nonce;
    for (const n of this.#sentAt.keys()) if (n <= answered) this.#sentAt.delete(n);
    this.#clearDeadline();
    const oldest = this.#oldestSentAt();
    if (oldest !== undefined) this.#arm(this.#o.timeoutMs - (this.#o.now() - oldest));
  }

  /** Stop pinging and forget the deadline. */
  stop(): void {
    if (this.#interval !== null) this.#o.timers.clearInterval(this.#interval);
    this.#interval = null;
    this.#clearDeadline();
    this.#sentAt.clear();
  }

  #ping(): void {
    const nonce = ++this.#nonce;
    this.#sentAt.set(nonce, this.#o.now());
    if (this.#deadline === null) this.#arm(this.#o.timeoutMs);
    this.#o.sendPing(nonce);
  }

  #oldestSentAt(): number | undefined {
    // Map keeps insertion order and nonces only grow, so the first entry is the oldest.
    return this.#sentAt.values().next().value;
  }

  #arm(ms: number): void {
    this.#deadline = this.#o.timers.setTimeout(() => {
      this.#deadline = null;
      this.stop();
      this.#o.onTimeout();
    }, Math.max(0, ms));
  }

  #clearDeadline(): void {
    if (this.#deadline !== null) this.#o.timers.clearTimeout(this.#deadline);
    this.#deadline = null;
  }
}
