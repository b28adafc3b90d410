import { z } from 'zod';
import { defineFault } from './fault.js';

/** Drops every client's connection every everyMs for the fault's duration: a reconnect storm. */
export const reconnectStorm = defineFault({
  doc: 'Drops every client connection every everyMs while the fault lasts: all clients reconnect, rejoin and resend at once.',
  targets: 'clients',
  params: z.object({ everyMs: z.number().int().min(20).default(400) }).strict(),
  start: async (ctx, _target, p) => {
    const dropAll = () => { for (const c of ctx.clients) c.client.closeAbruptly(); };
    dropAll();
    const timer = setInterval(dropAll, p.everyMs);
    return async () => clearInterval(timer);
  },
});
