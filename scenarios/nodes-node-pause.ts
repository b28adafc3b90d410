import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'nodes-node-pause',
  description: 'Three nodes of two workers in network namespaces, on PostgreSQL: node 1 stops whole (SIGSTOP to its primary and workers) for 3 s with its connections open; its clients notice by their heartbeat, move to other nodes and retry what was not acked.',
  cluster: { nodes: 3, workers: 2, db: 'postgres' },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 60, durationMs: 6000 },
  faults: [{ kind: 'node-pause', atMs: 1500, forMs: 3000, target: 'node:1' }],
  recoveryTimeoutMs: 30_000,
  catches: { 'no-retry': ['sends-settled'] },
});
