import { z } from 'zod';
import { defineFault, slotsOf } from './fault.js';

/** Delays every chunk between workers and Redis by latencyMs ± jitterMs (byte order kept). */
export const redisLatency = defineFault({
  doc: 'Adds latency with jitter to the Redis link of workers (each direction; byte order is kept).',
  targets: 'workers',
  needsRedis: true,
  redisMode: 'single',
  params: z.object({ latencyMs: z.number().int().min(0).max(10_000).default(100), jitterMs: z.number().int().min(0).max(10_000).default(50) }).strict(),
  start: async (ctx, target, p) => {
    const proxies = slotsOf(target).map((s) => ctx.proxies[s]!);
    for (const px of proxies) px.setMode({ kind: 'latency', latencyMs: p.latencyMs, jitterMs: p.jitterMs, seed: ctx.seed });
    return async () => { for (const px of proxies) px.setMode({ kind: 'pass' }); };
  },
});
