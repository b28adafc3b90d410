/** A token bucket per connection: `ratePerSec` frames a second on average, bursts up to `burst`. */
export class RateLimiter {
  #tokens: number;
  #last = performance.now();
  constructor(readonly ratePerSec: number, readonly burst: number) {
    this.#tokens = burst;
  }

  /** Takes one token; false when the connection is over its rate. */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSec) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
