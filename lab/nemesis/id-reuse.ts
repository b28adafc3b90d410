import { z } from 'zod';
import { defineFault } from './fault.js';

/**
 * Clients send new messages under ids they already sent and saw acked: with other content (a
 * different message: the server must refuse it with id_conflict) and with the same content (a retry
 * long after its ack: the server must answer duplicate: true with the original seq).
 */
export const idReuse = defineFault({
  doc: 'Senders reuse ids they saw acked: count sends with another body (must get id_conflict) and count with the same body (must get duplicate: true).',
  targets: 'clients',
  params: z.object({ count: z.number().int().min(1).default(3) }).strict(),
  start: async (ctx, _target, p) => {
    // Distinct (client, id) pairs: the SDK refuses a second send of an id still waiting for its ack.
    const pool = ctx.clients.filter((c) => c.role === 'sender').flatMap((c) => c.acked.map((old) => ({ c, old })));
    if (pool.length < p.count) throw new Error(`id-reuse found ${pool.length} acked message(s), fewer than count ${p.count}; start it later in the workload`);
    for (let i = 0; i < p.count; i++) {
      const { c, old } = pool.splice(Math.floor(ctx.random() * pool.length), 1)[0]!;
      // One after the other: the SDK refuses a second send of an id still waiting for its ack.
      void c.send(old.room, `${old.body} (edited)`, old.id).then(() => c.send(old.room, old.body, old.id));
    }
    return async () => undefined;
  },
});
