import { z } from 'zod';
import { defineFault } from './fault.js';

/** How long the fault waits for the server's ack of the send it makes (then drops it on the way in). */
const ACK_WAIT_MS = 5000;

/**
 * A retry that arrives long after its first attempt: a sender sends a message, its ack is lost on the
 * way back, and its network stays down until the fault heals; then the SDK resends the same id.
 */
export const lateRetry = defineFault({
  doc: "A sender's ack is lost on the way back and its network goes down until the fault heals: the retry of the same id arrives long after the message was committed and seen by everyone.",
  targets: 'clients',
  params: z.object({ room: z.string().optional() }).strict(),
  start: async (ctx, _target, p) => {
    const senders = ctx.clients.filter((c) => c.role === 'sender');
    const c = senders[Math.floor(ctx.random() * senders.length)];
    if (c === undefined) throw new Error('late-retry needs a sender');
    const room = p.room ?? c.rooms[0]!;
    const before = new Set(c.droppedAcks);
    c.dropAcks(true);
    void c.send(room, `${c.name} late retry`);
    const deadline = performance.now() + ACK_WAIT_MS;
    while (![...c.droppedAcks].some((id) => !before.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    c.goOffline(24 * 3600_000);
    c.dropAcks(false);
    return async () => c.goOffline(0);
  },
});
