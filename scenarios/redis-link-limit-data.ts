import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-link-limit-data',
  description: "Worker 1's Redis subscriber connection is closed after every 2 KB it receives, mid-message, for 2 s: it reconnects and resubscribes over and over, and what was published meanwhile never reaches it live; its clients learn of the gaps from the database heads and fetch them.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [{ kind: 'link-limit-data', atMs: 1000, forMs: 2000, target: 'worker:1', params: { bytes: 2048, stream: 'downstream', link: 'sub' } }],
  catches: { 'no-fetch': ['at-least-once'] },
});
