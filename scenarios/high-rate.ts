import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'high-rate',
  description:
    '2,000 sends/s for 3 s with every publish held back by up to 50 ms and a third of them published twice: many messages wait ' +
    'behind each gap at once, and every copy must be dropped by seq.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 2000, durationMs: 3000 },
  faults: [
    { kind: 'reorder', atMs: 0, forMs: 'end', target: 'all-workers', params: { windowMs: 50 } },
    { kind: 'duplicate-publish', atMs: 0, forMs: 'end', target: 'all-workers', params: { probability: 0.3 } },
  ],
  catches: { 'no-reorder-buffer': ['per-room-order'], 'no-client-dedup': ['exactly-once-effect'] },
});
