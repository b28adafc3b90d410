import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-latency',
  description: 'Add 150 ± 100 ms to every byte between both workers and Redis for 3 s: cross-worker messages arrive late and out of order relative to local ones.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4500 },
  faults: [{ kind: 'redis-latency', atMs: 1000, forMs: 3000, target: 'all-workers', params: { latencyMs: 150, jitterMs: 100 } }],
  catches: { 'local-only': ['at-least-once'] },
});
