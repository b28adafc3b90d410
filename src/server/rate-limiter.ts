/**
 * A token bucket, kept as two integer fields of the connection's own session: an object of its own
 * per connection, with a boxed double for each fractional field, cost every idle connection about 64
 * bytes of heap (NOTES.md; issue 14's bound is 2 KB of RSS per idle connection). Tokens are counted in thousandths and
 * time in whole milliseconds, so both fields stay small integers, which V8 keeps unboxed (for the first
 * 2^31 ms, 24 days, of a worker's life; after that `tokensAt` is a boxed double, still correct).
 */
export interface TokenBucket {
  /** Thousandths of a token left. */
  tokens: number;
  /** When `tokens` was last topped up, in whole milliseconds of `performance.now()`. */
  tokensAt: number;
}

/** The rate of a bucket: `ratePerSec` tokens a second on average, bursts up to `burst`. */
export interface BucketRate { ratePerSec: number; burst: number }

/** A full bucket. */
export function fullBucket(rate: BucketRate, now = Math.floor(performance.now())): TokenBucket {
  return { tokens: rate.burst * 1000, tokensAt: now };
}

/** Takes one token from `b`; false when it is empty (the connection is over its rate). */
export function takeToken(b: TokenBucket, rate: BucketRate, now = Math.floor(performance.now())): boolean {
  // ratePerSec tokens a second is ratePerSec thousandths a millisecond.
  b.tokens = Math.min(rate.burst * 1000, b.tokens + (now - b.tokensAt) * rate.ratePerSec);
  b.tokensAt = now;
  if (b.tokens < 1000) return false;
  b.tokens -= 1000;
  return true;
}
