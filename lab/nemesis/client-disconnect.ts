import { z } from 'zod';
import { defineFault } from './fault.js';

/** Drops the connections of `count` seeded-random clients abruptly (no close handshake); they reconnect. */
export const clientDisconnect = defineFault({
  doc: 'Drops the connection of count random clients abruptly (no close handshake); they reconnect and resume.',
  targets: 'clients',
  params: z.object({ count: z.number().int().min(1).default(1) }).strict(),
  start: async (ctx, _target, p) => {
    const pool = [...ctx.clients];
    for (let i = 0; i < p.count && pool.length; i++) pool.splice(Math.floor(ctx.random() * pool.length), 1)[0]!.client.closeAbruptly();
    return async () => undefined;
  },
});
