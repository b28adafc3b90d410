import { z } from 'zod';
import type { HistoryEvent } from '../history/events.js';
import type { SimClient } from '../workload/sim-client.js';
import { defineFault } from './fault.js';

/** How long the heal waits for the sends to settle, and each race for its ack frame. */
const SETTLE_WAIT_MS = 15_000;
const POLL_MS = 20;

/** Room names a message id may also be (ids are 1-64 chars of [A-Za-z0-9_-]). */
const ID_LIKE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A client sends messages whose ids are the names of members-only rooms it is refused (the scenario's
 * `membersOnly`), each at the moment its SDK asks to join those rooms again: the connection is dropped
 * first, so the send waits in the outbox and goes out right behind the reconnect's joins. The core
 * refuses the join with `forbidden` (the room's name as `ref`, no nonce) before the send's commit is
 * done: that refusal is about the room and must not settle the send, which is committed and acked.
 */
export const roomNamedSend = defineFault({
  doc: "A client sends messages whose ids are the names of members-only rooms it is refused, right as its SDK asks to join them again (after a dropped connection): the join's forbidden comes back before the send's ack, and must not settle the send.",
  targets: 'clients',
  params: z.object({
    /** The sender; it must be refused at least `count` rooms whose names are valid message ids. */
    client: z.string().regex(/^c\d+$/, 'a sender is c<i>'),
    /** Sends, one per refused room, one after the other. @default 3 */
    count: z.number().int().min(1).max(20).default(3),
  }).strict(),
  start: async (ctx, _target, p) => {
    const c = ctx.clients.find((k) => k.name === p.client && k.role === 'sender');
    if (c === undefined) throw new Error(`room-named-send: no sender ${p.client} (clients: ${ctx.clients.map((k) => k.name).join(', ')})`);
    const rooms = c.refused.filter((r) => ID_LIKE.test(r));
    if (rooms.length < p.count) throw new Error(`room-named-send: ${p.client} is refused ${rooms.length} room(s) whose names are message ids, fewer than count ${p.count}; list more in membersOnly without it`);
    const where = c.rooms[0];
    if (where === undefined) throw new Error(`room-named-send: ${p.client} has no room it may send to`);
    let stopped = false;
    const races = (async () => {
      for (let i = 0; i < p.count && !stopped; i++) await race(ctx.history.events, c, where, rooms[i]!, `${ctx.seed}-${i}`);
    })();
    races.catch(() => undefined); // its error is the heal's to report
    return async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const ended = await Promise.race([races.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), SETTLE_WAIT_MS)))]);
        if (!ended) throw new Error(`room-named-send: the sends had not settled ${SETTLE_WAIT_MS} ms into the heal`);
      } finally {
        clearTimeout(timer);
        stopped = true;
      }
    };
  },
});

/**
 * One send named like `room`, written right behind the joins of a reconnect; resolves once it settled and
 * its ack frame came. Throws when the join's refusal did not come back before the ack: then nothing was tested.
 */
async function race(history: readonly HistoryEvent[], c: SimClient, where: string, room: string, tag: string): Promise<void> {
  const from = history.length;
  c.client.closeAbruptly();
  await c.send(where, `${tag}: a message whose id is the name of room ${room}`, room);
  const deadline = performance.now() + SETTLE_WAIT_MS;
  let refusedAt = -1;
  let ackAt = -1;
  for (;;) {
    for (let i = from; i < history.length && ackAt < 0; i++) {
      const e = history[i]!;
      if (e.type !== 'frame' || e.client !== c.name || e.id !== room) continue;
      if (e.frame === 'error' && e.code === 'forbidden' && refusedAt < 0) refusedAt = i;
      if (e.frame === 'ack') ackAt = i;
    }
    if (ackAt >= 0) break;
    if (performance.now() > deadline) throw new Error(`room-named-send: no ack frame for ${room} within ${SETTLE_WAIT_MS} ms of its send settling`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (refusedAt < 0 || refusedAt > ackAt) throw new Error(`room-named-send: the send ${room} was acked before its room's join was refused: no race`);
}
