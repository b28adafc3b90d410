import { z } from 'zod';
import { defineFault } from './fault.js';

/** Makes clients resend every unacked send every everyMs, before its ack can arrive (same id). */
export const retryBeforeAck = defineFault({
  doc: 'Clients resend every unacked send (same id) every everyMs, racing their own acks: the server must absorb them by id.',
  targets: 'clients',
  params: z.object({ everyMs: z.number().int().min(1).default(5) }).strict(),
  start: async (ctx, _target, p) => {
    const timer = setInterval(() => { for (const c of ctx.clients) c.client.retryUnacked(); }, p.everyMs);
    return async () => clearInterval(timer);
  },
});
