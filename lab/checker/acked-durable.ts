import { activeFaults } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, Example, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, quote, withWorker } from './words.js';
import { settlementsOf } from './settlements.js';

/** Every ack the application got names a database row with the acked room and seq and the body it sent. */
export function ackedDurable({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('acked-durable');
  const rows = rowIndex(db.messages);
  // Each ack is paired with the send it answers: the oldest unsettled invoke of that client and id.
  const { invokes, acks, ackOf } = settlementsOf(history);
  for (let i = 0; i < acks.length; i++) {
    const ack = acks[i]!;
    const k = ackOf[i]!;
    const body = k === -1 ? undefined : invokes[k]!.body;
    tally.checked++;
    const row = rows.match(ack.id, ack.room, ack.seq);
    // The row must hold what this application sent, as this sender: the body of its own invoke.
    if (row !== undefined && row.sender === ack.client && (body === undefined || row.body === body)) continue;
    tally.fail(() => {
      const faults = activeFaults(history, ack.t);
      const what =
        `message ${ack.id} (room ${ack.room}, seq ${ack.seq}) acked to client ${ack.client} ` +
        `on ${workerName(ack.worker)} at ${ms(ack.t)}`;
      let problem: string;
      if (row !== undefined && row.sender !== ack.client) {
        problem = `is in the database as ${row.sender}'s message (body ${quote(row.body)}), not ${ack.client}'s`;
      } else if (row !== undefined) {
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
