import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'baseline',
  description: 'No faults: two workers, clients spread over both, two rooms. Everything must hold trivially.',
  cluster: { workers: 2 },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  catches: { 'local-only': ['at-least-once'] },
});
