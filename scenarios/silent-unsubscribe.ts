import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'silent-unsubscribe',
  description: "Worker 1's Redis subscriptions are dropped while it believes it is subscribed (no error anywhere): only database heads tell its clients what they missed.",
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'redis-unsubscribe', atMs: 1000, forMs: 2500, target: 'worker:1' }],
  catches: { 'local-only': ['at-least-once'] },
});
