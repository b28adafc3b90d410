import { describe, expect, it } from 'vitest';
import { UserRateLimit, type SharedCounter } from '../../src/server/user-rate.js';

/** The shared count of two workers, as Redis keeps it (a map of key → total). */
function sharedStore(): SharedCounter & { totals: Map<string, number> } {
  const totals = new Map<string, number>();
  return {
    totals,
    addAll: async (counts) => counts.map(({ key, by }) => {
      totals.set(key, (totals.get(key) ?? 0) + by);
      return totals.get(key)!;
    }),
  };
}

describe('UserRateLimit', () => {
  it('refuses a user over the limit within a second on one worker, and lets them on the next second', () => {
    let now = 10_000;
    const limit = new UserRateLimit({ shared: undefined, max: 3, now: () => now });
    expect([1, 2, 3, 4].map(() => limit.take('ann'))).toEqual([true, true, true, false]);
    expect(limit.take('bob')).toBe(true);
    now += 1000;
    expect(limit.take('ann')).toBe(true);
    limit.stop();
  });

  it('counts a user across workers through the shared count: once the total is over, every worker refuses', async () => {
    const now = 20_000;
    const shared = sharedStore();
    const a = new UserRateLimit({ shared, max: 5, now: () => now });
    const b = new UserRateLimit({ shared, max: 5, now: () => now });
    for (let i = 0; i < 4; i++) expect(a.take('ann')).toBe(true);
    await a.sync();
    expect(shared.totals.get('dl:rate:{20}:ann')).toBe(4);
    // Worker b has not heard of the 4 yet: it lets one through, then learns the total when it syncs.
    expect(b.take('ann')).toBe(true);
    await b.sync();
    expect(shared.totals.get('dl:rate:{20}:ann')).toBe(5);
    expect(b.take('ann')).toBe(false);
    // Worker a knew 4: one more fits, and after its sync the total is known over on both.
    expect(a.take('ann')).toBe(true);
    await a.sync();
    expect(a.take('ann')).toBe(false);
    expect(b.take('bob')).toBe(true);
    a.stop();
    b.stop();
  });

  it('adds a second\'s sends to the shared count even when the second is over before the sync', async () => {
    let now = 30_900;
    const shared = sharedStore();
    const a = new UserRateLimit({ shared, max: 5, now: () => now });
    for (let i = 0; i < 3; i++) expect(a.take('ann')).toBe(true);
    now = 31_050;
    expect(a.take('ann')).toBe(true);
    await a.sync();
    expect(shared.totals.get('dl:rate:{30}:ann')).toBe(3);
    expect(shared.totals.get('dl:rate:{31}:ann')).toBe(1);
    // The old second's total does not count against the new one.
    for (let i = 0; i < 4; i++) expect(a.take('ann')).toBe(true);
    expect(a.take('ann')).toBe(false);
    a.stop();
  });
});
