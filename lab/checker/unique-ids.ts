import type { SendEvent } from '../history/events.js';
import { activeFaults, endOf } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';
import { eventsOf } from './events-of.js';

/** Each message id is exactly one database row; retries and duplicate publishes were absorbed (counted in notes). */
export function uniqueIds({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('unique-ids');
  const rows = rowIndex(db.messages);
  let absorbed = 0;
  let retries = 0;
  let dropped = 0;
  const firstSend = new Map<string, SendEvent>();
  const firstRetry = new Map<string, SendEvent>();
  for (const e of eventsOf(history, 'ack', 'send', 'duplicate-dropped')) {
    if (e.type === 'ack') {
      if (e.duplicate) absorbed++;
    } else if (e.type === 'send') {
      if (!firstSend.has(e.id)) firstSend.set(e.id, e);
      if (e.attempt > 1) {
        retries++;
        if (!firstRetry.has(e.id)) firstRetry.set(e.id, e);
      }
    } else if (e.type === 'duplicate-dropped') dropped++;
  }
  tally.checked = rows.size;
  for (const [id, dups] of rows.duplicates()) {
    tally.fail(() => {
      const send = firstRetry.get(id) ?? firstSend.get(id);
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
