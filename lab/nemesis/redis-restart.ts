import { z } from 'zod';
import { defineFault } from './fault.js';

/** Crashes redis-server with SIGKILL and starts it again on the same port after forMs: every subscription and in-flight publish is gone. */
export const redisRestart = defineFault({
  doc: 'Crashes redis-server (SIGKILL) and restarts it on the same port after forMs; pub/sub state is lost.',
  targets: 'redis',
  needsRedis: true,
  redisMode: 'single',
  params: z.object({}).strict(),
  start: async (ctx) => {
    const redis = ctx.redis;
    if (!redis) throw new Error('redis-restart needs the lab-managed redis-server (not an external REDIS_URL)');
    await redis.kill('SIGKILL');
    return () => redis.restart();
  },
});
