import { describe, expect, it } from 'vitest';
import { fullBucket, takeToken } from '../../src/server/rate-limiter.js';

describe('a connection\'s token bucket', () => {
  const rate = { ratePerSec: 5000, burst: 10 };

  it('lets a burst through, then refuses until time tops it up at the rate', () => {
    const b = fullBucket(rate, 1000);
    expect(Array.from({ length: 11 }, () => takeToken(b, rate, 1000))).toEqual([...Array(10).fill(true), false]);
    // 5,000 a second is 5 a millisecond: after 1 ms five more go through, the sixth is refused.
    expect(Array.from({ length: 6 }, () => takeToken(b, rate, 1001))).toEqual([true, true, true, true, true, false]);
    // A long pause fills it to the burst, no further.
    expect(Array.from({ length: 11 }, () => takeToken(b, rate, 60_000))).toEqual([...Array(10).fill(true), false]);
  });

  it('keeps both fields small integers (unboxed by V8): thousandths of a token, whole milliseconds', () => {
    const slow = { ratePerSec: 3, burst: 2 };
    const b = fullBucket(slow, 5);
    takeToken(b, slow, 5);
    takeToken(b, slow, 5);
    expect(takeToken(b, slow, 300)).toBe(false); // 0.885 of a token 295 ms after it emptied
    expect(takeToken(b, slow, 339)).toBe(true); // 1.002 after 334 ms in all
    expect(Number.isInteger(b.tokens) && Number.isInteger(b.tokensAt)).toBe(true);
  });
});
