import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-link-reset-peer',
  description: "Worker 1's Redis subscriber connection is reset (RST) 300 ms after it opens, again and again for 2 s, while its publisher connection is untouched: worker 1 still publishes, but misses what others publish between a reset and its resubscription; its clients fetch the gaps the heads reveal.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [{ kind: 'link-reset-peer', atMs: 1000, forMs: 2000, target: 'worker:1', params: { timeoutMs: 300, link: 'sub' } }],
  catches: { 'no-fetch': ['at-least-once'] },
});
