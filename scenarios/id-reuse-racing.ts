import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'id-reuse-racing',
  description:
    "Client c0's link is slow (50 ms each way) from 1 s; at 1.5 s it sends three new messages one after another, resends each 30 ms later " +
    '(before its ack is back), and reuses its id with another body the moment the first ack arrives. The resend\'s duplicate ack arrives ' +
    'after that: it answers the first send, and the edited send must still be refused with id_conflict, never settled by that late ack.',
  clients: { count: 4, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [
    { kind: 'client-link', atMs: 1000, forMs: 2500, target: 'clients', params: { client: 'c0', mode: 'slow', latencyMs: 50, rateKBps: 100_000 } },
    { kind: 'id-reuse', atMs: 1500, target: 'clients', params: { mode: 'racing', client: 'c0', count: 3, retryAfterMs: 30 } },
  ],
  catches: { 'no-send-nonce': ['id-conflict', 'acked-durable'] },
});
