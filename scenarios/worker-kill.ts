import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'worker-kill',
  description: 'SIGKILL worker 1 mid-stream: its clients reconnect to worker 0 or the re-forked worker 1, resend what was unacked and resume from their cursors.',
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'worker-kill', atMs: 1500, target: 'worker:1' }],
  catches: { 'at-most-once': ['at-least-once'] },
});
