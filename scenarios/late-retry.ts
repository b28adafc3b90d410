import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'late-retry',
  description:
    "At 1 s a sender's ack is lost on the way back and its network stays down for 2.5 s: the retry of that id arrives long after " +
    'the message was committed and delivered to everyone, and must get duplicate: true and its original seq.',
  clients: { count: 4, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'late-retry', atMs: 1000, forMs: 2500, target: 'clients' }],
  catches: { 'no-dedup': ['unique-ids'], 'no-retry': ['sends-settled'] },
});
