import type { SendEvent } from '../history/events.js';
import { activeFaults, endOf } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';
import { eventsOf, positionsOf } from './events-of.js';

/** The first send and the first retry (attempt > 1) of each id. */
function firstSends(history: CheckInput['history']): { send: Map<string, SendEvent>; retry: Map<string, SendEvent> } {
  const send = new Map<string, SendEvent>();
  const retry = new Map<string, SendEvent>();
  for (const e of eventsOf(history, 'send')) {
    if (!send.has(e.id)) send.set(e.id, e);
    if (e.attempt > 1 && !retry.has(e.id)) retry.set(e.id, e);
  }
  return { send, retry };
}

/** Each message id is exactly one database row; retries and duplicate publishes were absorbed (counted in notes). */
export function uniqueIds({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('unique-ids');
  const rows = rowIndex(db.messages);
  let absorbed = 0;
  let retries = 0;
  const acks = eventsOf(history, 'ack');
  const sends = eventsOf(history, 'send');
  for (let i = 0; i < acks.length; i++) if (acks[i]!.duplicate) absorbed++;
  for (let i = 0; i < sends.length; i++) if (sends[i]!.attempt > 1) retries++;
  const dropped = positionsOf(history, 'duplicate-dropped').length;
  // The first send and the first retry of each id, gathered only once an id with two rows needs them.
  let firsts: { send: Map<string, SendEvent>; retry: Map<string, SendEvent> } | undefined;
  tally.checked = rows.size;
  for (const [id, dups] of rows.duplicates()) {
    tally.fail(() => {
      firsts ??= firstSends(history);
      const send = firsts.retry.get(id) ?? firsts.send.get(id);
      const t = send?.t ?? endOf(history);
      const faults = activeFaults(history, t);
      const first = dups[0];
      const where = dups.map((r) => `room ${r.room} seq ${r.seq}`).join(', ');
      const sender =
        send === undefined
          ? 'no send of it is in the history'
          : `client ${send.client} sent it${send.attempt > 1 ? ` again (attempt ${send.attempt})` : ''} ` +
            `on ${workerName(send.worker)} at ${ms(send.t)}`;
      return withWorker(
        {
          text: `message ${id} has ${dups.length} rows in the database (${where}); ${sender}; active faults then: ${faultsText(faults)}`,
          id,
          ...(first === undefined ? {} : { room: first.room, seq: first.seq }),
          ...(send === undefined ? {} : { client: send.client }),
          faults,
        },
        send?.worker,
      );
    });
  }
  const notes = [
    `${absorbed} ${absorbed === 1 ? 'retry' : 'retries'} absorbed by id`,
    `${retries} send ${retries === 1 ? 'retry' : 'retries'} in the history`,
    `${dropped} duplicate ${dropped === 1 ? 'delivery' : 'deliveries'} dropped by clients`,
  ];
  return tally.result(notes);
}
