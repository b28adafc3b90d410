import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'faults-in-a-row',
  description:
    'Three workers, one fault after another: worker 0 killed, worker 1 cut from Redis, worker 2 crashing after the commit and ' +
    'before the ack of its 3rd send, worker 1 paused; each recovery overlaps the next fault.',
  cluster: { workers: 3 },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 5000 },
  faults: [
    { kind: 'worker-kill', atMs: 800, target: 'worker:0' },
    { kind: 'redis-partition', atMs: 1500, forMs: 1000, target: 'worker:1', params: { mode: 'cut' } },
    { kind: 'crash-point', atMs: 2700, forMs: 1500, target: 'worker:2', params: { point: 'after-commit-before-ack', nth: 3 } },
    { kind: 'worker-pause', atMs: 3500, forMs: 800, target: 'worker:1' },
  ],
  catches: { 'no-dedup': ['unique-ids'] },
});
