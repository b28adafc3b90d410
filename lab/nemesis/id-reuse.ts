import { z } from 'zod';
import type { SimClient } from '../workload/sim-client.js';
import { defineFault } from './fault.js';

/**
 * Clients send new messages under ids they already sent and saw acked.
 * - `acked`: reuse ids acked earlier, with other content (a different message: the server must
 *   refuse it with id_conflict) and then with the same content (a retry long after its ack: the
 *   server must answer duplicate: true with the original seq).
 * - `racing`: send a new message, resend it `retryAfterMs` later (before its ack can arrive on a
 *   slow link), and reuse its id with another body the moment its first ack arrives, while the
 *   resend's duplicate ack is still on the way. That late ack answers the first send; the edited
 *   send must still get its own id_conflict. The resend is the SDK's `retryUnacked()`: every other
 *   unacked send of that client is resent too (same ids, absorbed by the core).
 */
export const idReuse = defineFault({
  doc: 'Senders reuse ids they saw acked: `acked` sends count edited copies of old messages (must get id_conflict) and count unchanged (must get duplicate: true); `racing` reuses a fresh id with another body the moment it is acked while a resend\'s duplicate ack is still on the way (the edited send must still get id_conflict).',
  targets: 'clients',
  params: z.object({
    count: z.number().int().min(1).default(3),
    mode: z.enum(['acked', 'racing']).default('acked'),
    /** The sender that reuses ids (racing: whose link must be slow). @default every sender (racing: in turn) */
    client: z.string().regex(/^c\d+$/, 'a sender is c<i>').optional(),
    /** racing: how long after a send its resend goes (shorter than the link's round trip, longer than a batch). @default 30 */
    retryAfterMs: z.number().int().min(1).max(10_000).default(30),
  }).strict(),
  start: async (ctx, _target, p) => {
    const senders = ctx.clients.filter((c) => c.role === 'sender' && (p.client === undefined || c.name === p.client));
    if (senders.length === 0) throw new Error(`id-reuse: no sender${p.client === undefined ? '' : ` ${p.client}`} (clients: ${ctx.clients.map((c) => c.name).join(', ')})`);
    if (p.mode === 'racing') {
      let stopped = false;
      const races = (async () => {
        for (let i = 0; i < p.count && !stopped; i++) await race(senders[i % senders.length]!, `race-${ctx.seed}-${i}-${Math.floor(ctx.random() * 1e9)}`, p.retryAfterMs, () => stopped);
      })();
      races.catch(() => undefined); // its error is the heal's to report, whenever the heal comes
      // The races end as their sends settle: the heal waits for them (bounded), and one still going then sends nothing more.
      return async () => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const ended = await Promise.race([races.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), RACES_WAIT_MS)))]);
          if (!ended) throw new Error(`id-reuse racing: the races had not ended ${RACES_WAIT_MS} ms into the heal (a send never settled)`);
        } finally {
          clearTimeout(timer);
          stopped = true;
        }
      };
    }
    // Distinct (client, id) pairs: the SDK refuses a second send of an id still waiting for its ack.
    const pool = senders.flatMap((c) => c.acked.map((old) => ({ c, old })));
    if (pool.length < p.count) throw new Error(`id-reuse found ${pool.length} acked message(s), fewer than count ${p.count}; start it later in the workload`);
    for (let i = 0; i < p.count; i++) {
      const { c, old } = pool.splice(Math.floor(ctx.random() * pool.length), 1)[0]!;
      // One after the other: the SDK refuses a second send of an id still waiting for its ack.
      void c.send(old.room, `${old.body} (edited)`, old.id).then(() => c.send(old.room, old.body, old.id));
    }
    return async () => undefined;
  },
});

/** How long the heal of a racing step waits for its races to end. */
const RACES_WAIT_MS = 15_000;

/**
 * One racing reuse: send, resend before the ack, and on the first ack reuse the id with another body.
 * Throws when the send settled before the resend went, or the client could not resend: no race happened.
 */
async function race(c: SimClient, id: string, retryAfterMs: number, stopped: () => boolean): Promise<void> {
  const room = c.rooms[0]!;
  const body = `${c.name} ${id}`;
  let settled = false;
  const first = c.send(room, body, id).finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, retryAfterMs));
  if (stopped()) return;
  if (settled) {
    const how = c.acked.some((a) => a.id === id) ? 'was acked' : 'was refused or given up';
    throw new Error(`id-reuse racing: ${c.name}'s send of ${id} ${how} within retryAfterMs ${retryAfterMs}, before its resend: no race; slow the client's link (client-link mode slow) so that its ack cannot come back that soon`);
  }
  if (c.client.retryUnacked() === 0) throw new Error(`id-reuse racing: ${c.name} could not resend ${id} (not connected): no race`);
  await first;
  // At once, and only over an acked id: the resend's duplicate ack is still on the way.
  if (stopped() || !c.acked.some((a) => a.id === id)) return;
  await c.send(room, `${body} (edited)`, id);
}
