import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'primary-kill',
  description: 'SIGKILL the primary, the one writer, mid-stream: its workers exit with it and every client loses its connection; 1 s later a supervisor starts the node again, and the clients reconnect, resend what was unacked with the same ids and catch up.',
  clients: { count: 4, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'primary-kill', atMs: 1500, forMs: 1000, target: 'core' }],
  catches: { 'at-most-once': ['at-least-once', 'sends-settled'] },
});
