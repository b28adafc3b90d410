import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'nodes-partition-db',
  description: 'Three nodes of two workers in network namespaces, on PostgreSQL: node 1 is cut from the database both ways for 3 s; its commits hang until they time out, and its clients retry with the same ids, some through other nodes.',
  cluster: { nodes: 3, workers: 2, db: 'postgres' },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 60, durationMs: 6000 },
  faults: [{ kind: 'node-partition', atMs: 1500, forMs: 3000, target: 'node:1', params: { from: 'db', direction: 'both' } }],
  recoveryTimeoutMs: 40_000,
  catches: { 'at-most-once': ['at-least-once'] },
});
