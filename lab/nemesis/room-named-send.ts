import { z } from 'zod';
import type { HistoryEvent } from '../history/events.js';
import type { SimClient } from '../workload/sim-client.js';
import { defineFault, roomsRefusedTo } from './fault.js';

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
    client: z.string().regex(/^c(0|[1-9]\d*)$/, 'a sender is c<i>'),
    /** Sends, one per refused room, one after the other. @default 3 */
    count: z.number().int().min(1).max(10).default(3),
  }).strict(),
  check: (sc, p) => {
    if (Number(p.client.slice(1)) >= sc.clients.count) return `client: ${p.client} is not a sender of the scenario (c0…c${sc.clients.count - 1})`;
    const refused = roomsRefusedTo(sc.clients.rooms, sc.membersOnly, p.client).filter((r) => ID_LIKE.test(r));
    if (refused.length < p.count) return `count: ${p.client} is refused ${refused.length} room(s) whose names are message ids, fewer than ${p.count}; list more in membersOnly without it`;
    return undefined;
  },
  start: async (ctx, _target, p) => {
    const c = ctx.clients.find((k) => k.name === p.client && k.role === 'sender');
    if (c === undefined) throw new Error(`room-named-send: no sender ${p.client} (clients: ${ctx.clients.map((k) => k.name).join(', ')})`);
    const rooms = c.refused.filter((r) => ID_LIKE.test(r));
    const where = c.rooms[0];
    if (rooms.length < p.count || where === undefined) throw new Error(`room-named-send: ${p.client} is refused ${rooms.length} room(s) named like ids (count ${p.count}) and may send to ${c.rooms.length}`);
    let stop: () => void = () => undefined;
    const stopped = new Promise<'stopped'>((r) => { stop = () => r('stopped'); });
    const races = (async () => {
      for (let i = 0; i < p.count; i++) if ((await race(ctx.history.events, c, where, rooms[i]!, `${ctx.seed}-${i}`, stopped)) === 'stopped') return;
    })();
    races.catch(() => undefined); // its error is the heal's to report
    return async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const ended = await Promise.race([races.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), SETTLE_WAIT_MS)))]);
        if (!ended) throw new Error(`room-named-send: the sends had not settled ${SETTLE_WAIT_MS} ms into the heal`);
      } finally {
        clearTimeout(timer);
        stop();
      }
    };
  },
});

/**
 * One send named like `room`, written right behind the joins of a reconnect; resolves once it settled and
 * its ack frame came (or once the heal stopped it). Throws when the join's refusal did not come back on the
 * new connection before the ack: then nothing was tested. On SQLite the refusal is decided by a read in the
 * worker's own turn, and the ack waits for the commit's round trip to the primary and its fsync.
 */
async function race(history: readonly HistoryEvent[], c: SimClient, where: string, room: string, tag: string, stopped: Promise<'stopped'>): Promise<'done' | 'stopped'> {
  const from = history.length;
  c.client.closeAbruptly();
  if ((await Promise.race([c.send(where, `${tag}: a message whose id is the name of room ${room}`, room), stopped])) === 'stopped') return 'stopped';
  const deadline = performance.now() + SETTLE_WAIT_MS;
  let stop = false;
  void stopped.then(() => { stop = true; });
  for (;;) {
    // Frames of the new connection only: a refusal still on its way over the dropped one proves nothing.
    let connected = -1;
    let refusedAt = -1;
    let ackAt = -1;
    for (let i = from; i < history.length && ackAt < 0; i++) {
      const e = history[i]!;
      if (e.type === 'connect' && e.client === c.name && connected < 0) connected = i;
      if (connected < 0 || e.type !== 'frame' || e.client !== c.name || e.id !== room) continue;
      if (e.frame === 'error' && e.code === 'forbidden' && e.nonce === undefined && refusedAt < 0) refusedAt = i;
      if (e.frame === 'ack') ackAt = i;
    }
    if (ackAt >= 0) {
      if (refusedAt < 0) throw new Error(`room-named-send: the send ${room} was acked before its room's join was refused on the new connection: no race`);
      return 'done';
    }
    if (stop) return 'stopped';
    if (performance.now() > deadline) throw new Error(`room-named-send: no ack frame for ${room} within ${SETTLE_WAIT_MS} ms of its send settling`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
