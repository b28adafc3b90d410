import type { AckEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, Example, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, quote, withWorker } from './words.js';

/** Every ack the application got names a database row with the acked room and seq and the body it sent. */
export function ackedDurable({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('acked-durable');
  const rows = rowIndex(db.messages);
  const bodies = new Map<string, string>();
  const acks: AckEvent[] = [];
  for (const e of history) {
    // The body the application asked to send (its invoke), not what the SDK says it wrote.
    if (e.type === 'invoke') {
      if (!bodies.has(e.id)) bodies.set(e.id, e.body);
    } else if (e.type === 'ack') acks.push(e);
  }
  for (const ack of acks) {
    tally.checked++;
    const body = bodies.get(ack.id);
    const row = rows.match(ack.id, ack.room, ack.seq);
    if (row !== undefined && (body === undefined || row.body === body)) continue;
    tally.fail(() => {
      const faults = activeFaults(history, ack.t);
      const what =
        `message ${ack.id} (room ${ack.room}, seq ${ack.seq}) acked to client ${ack.client} ` +
        `on ${workerName(ack.worker)} at ${ms(ack.t)}`;
      let problem: string;
      if (row !== undefined) {
        problem = `is in the database with another body (sent ${quote(body ?? '')}, stored ${quote(row.body)})`;
      } else {
        const other = rows.all(ack.id)[0];
        problem =
          other === undefined
            ? 'is missing from the database'
            : `is in the database as room ${other.room}, seq ${other.seq} instead`;
      }
      const ex: Example = {
        text: `${what} ${problem}; active faults then: ${faultsText(faults)}`,
        id: ack.id,
        room: ack.room,
        seq: ack.seq,
        client: ack.client,
        faults,
      };
      return withWorker(ex, ack.worker);
    });
  }
  return tally.result();
}
