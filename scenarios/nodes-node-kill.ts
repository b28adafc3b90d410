import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'nodes-node-kill',
  description: 'Three nodes of two workers in network namespaces, on PostgreSQL: node 1 dies whole (SIGKILL to its primary and workers at once); its clients go on through the other nodes and retry what was not acked; a supervisor starts it again 2 s later.',
  cluster: { nodes: 3, workers: 2, db: 'postgres' },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 60, durationMs: 6000 },
  faults: [{ kind: 'node-kill', atMs: 1500, forMs: 2000, target: 'node:1' }],
  recoveryTimeoutMs: 30_000,
  catches: { 'at-most-once': ['at-least-once'] },
});
