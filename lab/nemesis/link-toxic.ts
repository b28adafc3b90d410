import { z } from 'zod';
import type { ToxicInput } from '../cluster/fault-proxy.js';
import { defineFault, slotsOf, type FaultKind } from './fault.js';

/** What every link fault takes: the direction, the Redis connection (publisher or subscriber), and the chance per connection. */
export const linkParams = {
  /** upstream: what the worker sends to Redis (publishes, subscribes); downstream: what Redis sends the worker (messages). @default 'both' */
  stream: z.enum(['upstream', 'downstream', 'both']).default('both'),
  /** The worker's Redis publisher connection, its subscriber connection, or any. @default 'any' */
  link: z.enum(['any', 'pub', 'sub']).default('any'),
  /** The chance that the fault applies to a connection, drawn once per connection from the run's seed. @default 1 */
  toxicity: z.number().min(0).max(1).default(1),
};

/**
 * A fault that puts one toxic on the Redis links of the target workers (their fault proxies) for
 * forMs, on connections open then and opened meanwhile; the heal takes it off.
 */
export function linkFault<S extends z.ZodRawShape>(doc: string, shape: S, toxic: (p: z.infer<z.ZodObject<S>>) => ToxicInput): FaultKind {
  return defineFault({
    doc,
    targets: 'workers',
    needsRedis: true,
    redisMode: 'single',
    params: z.object(shape).strict(),
    start: async (ctx, target, p) => {
      const placed = slotsOf(target).map((s) => {
        const proxy = ctx.proxies[s]!;
        return { proxy, id: proxy.addToxic(toxic(p as z.infer<z.ZodObject<S>>), ctx.seed + s) };
      });
      return async () => { for (const { proxy, id } of placed) proxy.removeToxic(id); };
    },
  }) as FaultKind;
}
