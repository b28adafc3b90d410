import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'client-faults',
  description: 'Clients resend every unacked send every 5 ms, racing their own acks, and two of them drop their connection abruptly: the database must absorb every retry by id.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [
    { kind: 'retry-before-ack', atMs: 500, forMs: 3000, target: 'clients', params: { everyMs: 5 } },
    { kind: 'client-disconnect', atMs: 1500, target: 'clients', params: { count: 2 } },
  ],
  catches: { 'no-dedup': ['unique-ids'] },
});
