import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'id-reuse',
  description:
    'At 1.5 s senders reuse ids they already saw acked: three with another body (the server must refuse each with id_conflict) and ' +
    'three with the same body (a retry long after its ack: duplicate: true with the original seq).',
  clients: { count: 4, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 3000 },
  faults: [{ kind: 'id-reuse', atMs: 1500, target: 'clients', params: { count: 3 } }],
  catches: { 'no-id-conflict': ['id-conflict', 'acked-durable'], 'no-dedup': ['unique-ids'] },
});
