export { RedisBus, type RedisBusOptions, type BusStatus } from './redis-bus.js';
export { startEmbeddedRedis, EmbeddedRedisError, type EmbeddedRedis } from './embedded-redis.js';
