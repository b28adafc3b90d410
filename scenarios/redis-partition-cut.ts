import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-partition-cut',
  description: "Cut worker 1's link to Redis for 2 s (connections reset, new ones refused): its publishes are lost and it hears nothing; database heads reveal the gaps.",
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4500 },
  faults: [{ kind: 'redis-partition', atMs: 1000, forMs: 2000, target: 'worker:1', params: { mode: 'cut' } }],
  catches: { 'local-only': ['at-least-once'] },
});
