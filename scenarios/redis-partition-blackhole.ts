import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-partition-blackhole',
  description: "Blackhole worker 0's link to Redis for 3 s: connections stay up, nothing arrives, nothing errors. Only the PING probe and database heads notice.",
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 5000 },
  faults: [{ kind: 'redis-partition', atMs: 1000, forMs: 3000, target: 'worker:0', params: { mode: 'blackhole' } }],
  catches: { 'local-only': ['at-least-once'] },
});
