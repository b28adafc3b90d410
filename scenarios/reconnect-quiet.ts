import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'reconnect-quiet',
  description:
    'Two listeners lose their network from 1 s to the end of the workload while the others talk, then come back to a quiet room; ' +
    'heads are rare (every 30 s), so only the catch-up on join (replay, then a fetch up to the joined head) tells them what they missed.',
  clients: { count: 4, rooms: ['lobby', 'dev'], listeners: { count: 2, placement: [1] } },
  workload: { ratePerSec: 100, durationMs: 3000 },
  faults: [{ kind: 'client-offline', atMs: 1000, forMs: 'end', target: 'clients', params: { count: 2, listenersOnly: true } }],
  headIntervalMs: 30_000,
  catches: { 'no-replay': ['at-least-once'], 'at-most-once': ['at-least-once'] },
});
