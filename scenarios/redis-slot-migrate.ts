import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-slot-migrate',
  description: "A Redis Cluster of 3 shards: the hash slot of lobby's channel moves to another shard under traffic; the old owner drops lobby's sharded subscriptions until the workers subscribe again on the new one.",
  redis: { mode: 'cluster', shards: 3, replicas: 1 },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 5000 },
  faults: [{ kind: 'redis-slot-migrate', atMs: 1500, target: 'redis', params: { room: 'lobby' } }],
  recoveryTimeoutMs: 30_000,
  catches: { 'local-only': ['at-least-once'] },
});
