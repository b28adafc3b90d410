import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'nodes-one-way-partition',
  description: 'Three nodes of two workers in network namespaces, on PostgreSQL: for 3 s node 1 hears nothing from Redis (inbound packets dropped) while what it sends still arrives: its publishes reach the others, theirs never reach it.',
  cluster: { nodes: 3, workers: 2, db: 'postgres' },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 60, durationMs: 6000 },
  faults: [{ kind: 'node-partition', atMs: 1500, forMs: 3000, target: 'node:1', params: { from: 'redis', direction: 'inbound' } }],
  recoveryTimeoutMs: 30_000,
  catches: { 'at-most-once': ['at-least-once'] },
});
