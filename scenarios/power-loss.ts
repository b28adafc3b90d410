import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'power-loss',
  description: 'The core loses power mid-stream: every process dies at once and every database write not yet fsynced is lost; 1 s later the node starts again on what survived and the clients reconnect, resend what was unacked and catch up. With synchronous FULL an ack means fsynced, so nothing acked is lost; run it with --synchronous NORMAL to see acked messages vanish.',
  clients: { count: 4, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'power-loss', atMs: 1500, forMs: 1000, target: 'core' }],
  catches: { 'no-fsync': ['acked-durable'] },
});
