import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-link-slow-close',
  description: "Redis crashes while worker 1's links close slowly (it learns of the close 2 s late): meanwhile it publishes into connections that lead nowhere and hears nothing, then reconnects; every client catches up from the database when the heads show the gaps.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [
    { kind: 'link-slow-close', atMs: 500, forMs: 'end', target: 'worker:1', params: { delayMs: 2000 } },
    { kind: 'redis-restart', atMs: 1500, forMs: 300, target: 'redis' },
  ],
  catches: { 'no-fetch': ['at-least-once'] },
});
