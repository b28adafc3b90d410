import { z } from 'zod';
import { defineFault, slotsOf } from './fault.js';

/** Partitions workers from Redis through their proxies: `cut` resets and refuses, `blackhole` accepts and forwards nothing. */
export const redisPartition = defineFault({
  doc: 'Partitions workers from Redis through their fault proxies: cut (reset, refuse) or blackhole (accept, forward nothing).',
  targets: 'workers',
  needsRedis: true,
  redisMode: 'single',
  params: z.object({ mode: z.enum(['cut', 'blackhole']).default('cut') }).strict(),
  start: async (ctx, target, p) => {
    const proxies = slotsOf(target).map((s) => ctx.proxies[s]!);
    for (const px of proxies) px.setMode({ kind: p.mode });
    return async () => { for (const px of proxies) px.setMode({ kind: 'pass' }); };
  },
});
