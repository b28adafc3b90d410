import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'crash-after-ack-before-publish',
  description: 'Worker 1 dies after the commit and the ack of its 15th send, before the publish: the sender is done, nobody else heard it; they learn of it from database heads (or a rejoin) and fetch it.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'crash-point', atMs: 1000, forMs: 2000, target: 'worker:1', params: { point: 'after-ack-before-publish', nth: 15 } }],
  catches: { 'no-fetch': ['at-least-once'] },
});
