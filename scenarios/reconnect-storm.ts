import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'reconnect-storm',
  description: 'Every client connection is dropped every 400 ms for 2 s: all clients reconnect, rejoin with their cursors, replay and resend at once.',
  clients: { count: 8, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'reconnect-storm', atMs: 1000, forMs: 2000, target: 'clients', params: { everyMs: 400 } }],
  catches: { 'at-least-once': ['exactly-once-effect'] },
});
