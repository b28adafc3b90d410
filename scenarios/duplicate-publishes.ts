import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'duplicate-publishes',
  description: 'Both workers publish half of their messages twice: clients must drop the copies by seq (dedup), so the application sees each message once.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'duplicate-publish', atMs: 0, forMs: 4000, target: 'all-workers', params: { probability: 0.5 } }],
  catches: { 'no-client-dedup': ['exactly-once-effect'], 'at-least-once': ['exactly-once-effect'] },
});
