import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'combined',
  description: 'Three workers under everything at once: duplicate and reordered publishes throughout, a Redis blackhole on one worker, a SIGKILL of another, a Redis restart and a client disconnect.',
  cluster: { workers: 3 },
  clients: { count: 9, rooms: ['lobby', 'dev', 'ops'] },
  workload: { ratePerSec: 120, durationMs: 6000 },
  faults: [
    { kind: 'duplicate-publish', atMs: 0, forMs: 6000, target: 'all-workers', params: { probability: 0.3 } },
    { kind: 'reorder', atMs: 0, forMs: 6000, target: 'all-workers', params: { windowMs: 150 } },
    { kind: 'redis-partition', atMs: 800, forMs: 2500, target: 'worker:2', params: { mode: 'blackhole' } },
    { kind: 'worker-kill', atMs: 2000, target: 'worker:1' },
    { kind: 'redis-restart', atMs: 3500, forMs: 1000, target: 'redis' },
    { kind: 'client-disconnect', atMs: 4500, target: 'clients', params: { count: 3 } },
  ],
  catches: { 'at-least-once': ['exactly-once-effect'] },
});
