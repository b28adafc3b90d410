import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'worker-pause',
  description: 'SIGSTOP worker 0 for 3 s: alive to TCP, deaf to everything. Client heartbeats notice and move to worker 1; on SIGCONT the stale worker wakes up.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 5000 },
  faults: [{ kind: 'worker-pause', atMs: 1000, forMs: 3000, target: 'worker:0' }],
  catches: { 'no-retry': ['sends-settled'] },
});
