import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'cut-off-listeners',
  description:
    "Worker 1's Redis subscriptions are silently dropped from 1 s until half a second after the last send, and only listeners sit on worker 1: " +
    'nothing they receive later reveals what they missed, so only database heads (and a fetch) bring them up to date.',
  clients: { count: 4, rooms: ['lobby', 'dev'], placement: [0], listeners: { count: 3, placement: [1] } },
  workload: { ratePerSec: 100, durationMs: 3000 },
  // Past the workload's end: sends still in flight when the loop stops are published while worker 1 is cut off.
  // Healed at the workload's end, a late publish reached the listeners live and its gap gave them the rest,
  // so whether the ablations were caught hung on how fast the last commits were (no-heads escaped once in CI).
  faults: [{ kind: 'redis-unsubscribe', atMs: 1000, forMs: 2500, target: 'worker:1' }],
  recoveryTimeoutMs: 10_000,
  catches: { 'no-heads': ['at-least-once'], 'heads-from-live': ['at-least-once'], 'no-fetch': ['at-least-once'] },
});
