export { RedisBus, type RedisBusOptions } from './redis-bus.js';
export type { Bus, BusStatus } from './bus.js';
export { startEmbeddedRedis, EmbeddedRedisError, EMBEDDED_REDIS_USER, type EmbeddedRedis } from './embedded-redis.js';
export { createBusMac, generateBusKey, readBusKeyFile, BusKeyFileError } from './bus-mac.js';
export { ShardedRedisBus, type ShardedRedisBusOptions } from './sharded-bus.js';
