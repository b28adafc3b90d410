import { activeFaults } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { clientExample, ms, quote } from './words.js';
import { eventsOf } from './events-of.js';

/**
 * Every message a client received exists in the database with that room, seq and body: every copy on
 * its wire (a `msg` frame, whatever the SDK did with it) and every delivery to its application.
 */
export function noPhantoms({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('no-phantoms');
  const rows = rowIndex(db.messages);
  for (const e of eventsOf(history, 'deliver', 'frame')) {
    if (e.type === 'frame' && e.frame !== 'msg') continue;
    const { id, room, seq } = e;
    if (id === undefined || room === undefined || seq === undefined) continue;
    tally.checked++;
    const row = rows.match(id, room, seq);
    const body = e.type === 'deliver' ? e.body : undefined;
    if (row !== undefined && (body === undefined || row.body === body)) continue;
    tally.fail(() => {
      const faults = activeFaults(history, e.t);
      const verb = e.type === 'deliver' ? "delivered to the application of" : 'received on the wire by';
      let problem: string;
      if (row !== undefined) problem = `has another body in the database (got ${quote(body ?? '')}, stored ${quote(row.body)})`;
      else {
        const other = rows.all(id)[0];
        problem =
          other === undefined
            ? 'does not exist in the database'
            : `is in the database as room ${other.room}, seq ${other.seq} instead`;
      }
      return clientExample({ id, room, seq, client: e.client, worker: e.worker }, `message ${id} (room ${room}, seq ${seq}) ${verb} client ${e.client} on ${workerName(e.worker)} at ${ms(e.t)} ${problem}`, faults);
    });
  }
  return tally.result();
}
