import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'crash-after-commit-before-ack',
  description: 'Worker 0 dies after the commit of its 15th send and before the ack: the message is stored but the sender does not know; its retry must get the original seq back (duplicate: true).',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'crash-point', atMs: 1000, forMs: 2000, target: 'worker:0', params: { point: 'after-commit-before-ack', nth: 15 } }],
  catches: { 'no-dedup': ['unique-ids'], 'no-retry': ['sends-settled'] },
});
