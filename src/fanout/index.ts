export { RedisBus, type RedisBusOptions, type BusStatus } from './redis-bus.js';
export { startEmbeddedRedis, EmbeddedRedisError, EMBEDDED_REDIS_USER, type EmbeddedRedis } from './embedded-redis.js';
export { createBusMac, generateBusKey, readBusKeyFile, BusKeyFileError } from './bus-mac.js';
