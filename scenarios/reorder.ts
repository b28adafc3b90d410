import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'reorder',
  description: 'Both workers hold each publish back by a random 0-300 ms: other workers see messages out of seq order, and the client reorder buffer must put them back.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'reorder', atMs: 0, forMs: 4000, target: 'all-workers', params: { windowMs: 300 } }],
  catches: { 'no-reorder-buffer': ['per-room-order'] },
});
