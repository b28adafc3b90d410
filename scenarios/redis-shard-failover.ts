import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-shard-failover',
  description: "A Redis Cluster of 3 shards with a replica each: the primary of the shard that serves lobby's channel is SIGKILLed; until its replica is promoted and the workers subscribe again, lobby is silent on the bus.",
  redis: { mode: 'cluster', shards: 3, replicas: 1 },
  clients: { count: 6, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 7000 },
  faults: [{ kind: 'redis-shard-failover', atMs: 1500, forMs: 3000, target: 'redis', params: { room: 'lobby' } }],
  recoveryTimeoutMs: 30_000,
  catches: { 'no-fetch': ['at-least-once'], 'local-only': ['at-least-once'] },
});
