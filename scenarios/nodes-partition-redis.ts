import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'nodes-partition-redis',
  description: 'Three nodes of two workers in network namespaces, on PostgreSQL: node 1 is cut from Redis both ways for 3 s (packets dropped by nftables); its clients still commit, and the other nodes\' messages reach them only through database heads.',
  cluster: { nodes: 3, workers: 2, db: 'postgres' },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 60, durationMs: 6000 },
  faults: [{ kind: 'node-partition', atMs: 1500, forMs: 3000, target: 'node:1', params: { from: 'redis', direction: 'both' } }],
  recoveryTimeoutMs: 30_000,
  catches: { 'at-most-once': ['at-least-once'] },
});
