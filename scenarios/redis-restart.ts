import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-restart',
  description: 'Crash redis-server (SIGKILL) and restart it 1.5 s later on the same port: every subscription and every publish in flight is gone.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4500 },
  faults: [{ kind: 'redis-restart', atMs: 1500, forMs: 1500, target: 'redis' }],
  catches: { 'local-only': ['at-least-once'] },
});
