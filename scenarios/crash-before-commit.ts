import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'crash-before-commit',
  description: 'Worker 0 dies just before the commit of its 15th send: nothing was stored or acked, so the sender retries the same id elsewhere and it is committed once.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'crash-point', atMs: 1000, forMs: 2000, target: 'worker:0', params: { point: 'before-commit', nth: 15 } }],
  catches: {
    'no-retry': ['sends-settled'],
    'at-most-once': ['sends-settled'],
    'ack-before-commit': ['acked-durable'],
    'publish-before-commit': ['no-phantoms'],
  },
});
