import { z } from 'zod';
import { defineFault } from './fault.js';

/** Cuts `count` seeded-random clients off the network: their connection drops and no new one succeeds until the fault heals. */
export const clientOffline = defineFault({
  doc: "Takes count random clients' network down: the connection drops and reconnects fail until the fault heals; their unacked sends wait in the outbox.",
  targets: 'clients',
  params: z.object({ count: z.number().int().min(1).default(1), listenersOnly: z.boolean().default(false) }).strict(),
  start: async (ctx, _target, p) => {
    const pool = ctx.clients.filter((c) => !p.listenersOnly || c.role === 'listener');
    const chosen = Array.from({ length: Math.min(p.count, pool.length) }, () => pool.splice(Math.floor(ctx.random() * pool.length), 1)[0]!);
    for (const c of chosen) c.goOffline(24 * 3600_000);
    return async () => { for (const c of chosen) c.goOffline(0); };
  },
});
