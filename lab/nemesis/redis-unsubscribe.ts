import { z } from 'zod';
import { defineFault } from './fault.js';
import { armFailpoint } from './failpoint-fault.js';

/** Silently drops a worker's Redis subscriptions (it believes it is still subscribed): the silent-loss case. */
export const redisUnsubscribe = defineFault({
  doc: "Forces an unsubscribe of a worker's Redis subscriptions while it believes it is subscribed; only database heads reveal the loss.",
  targets: 'workers',
  needsRedis: true,
  params: z.object({}).strict(),
  start: (ctx, target) => armFailpoint(ctx, target, 'redis.unsubscribe', {}),
});
