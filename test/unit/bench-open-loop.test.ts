import { describe, expect, it } from 'vitest';
import { sendsDue } from '../../lab/bench/load-driver.js';

describe("the bench's open loop", () => {
  it('sends the k-th message at k / rate, not one interval after it', () => {
    // 8 msgs/s: sends due at 0, 125, 250, … ms. Each one's deliveries are timed from its due time, so a send
    // that left an interval late would add 125 ms to the latency of every delivery.
    expect(sendsDue(0, 8)).toBe(1);
    expect(sendsDue(124.9, 8)).toBe(1);
    expect(sendsDue(125, 8)).toBe(2);
    expect(sendsDue(999.9, 8)).toBe(8);
    expect(sendsDue(1000, 8)).toBe(9);
  });

  it('offers the rate asked: every second, rate sends fall due', () => {
    for (const rate of [2, 8, 80, 801, 10_433]) {
      expect(sendsDue(10_000 - 1e-6, rate) - sendsDue(-1, rate), `rate ${rate}`).toBe(10 * rate);
    }
  });

  it('sends nothing before it starts or at no rate', () => {
    expect(sendsDue(-1, 8)).toBe(0);
    expect(sendsDue(500, 0)).toBe(0);
    expect(sendsDue(Number.NaN, 8)).toBe(0);
  });
});
