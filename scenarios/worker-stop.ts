import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'worker-stop',
  description: 'SIGTERM worker 0 mid-stream (graceful: it closes its sockets); the primary re-forks it and clients move over.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'worker-stop', atMs: 1500, target: 'worker:0' }],
  catches: { 'at-most-once': ['at-least-once'] },
});
