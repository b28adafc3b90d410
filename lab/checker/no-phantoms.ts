import { activeFaults } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { clientExample, ms, quote } from './words.js';

/** Every delivered (or duplicate-dropped) message exists in the database with that room, seq and body. */
export function noPhantoms({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('no-phantoms');
  const rows = rowIndex(db.messages);
  for (const e of history) {
    if (e.type !== 'deliver' && e.type !== 'duplicate-dropped') continue;
    tally.checked++;
    const row = rows.match(e.id, e.room, e.seq);
    const body = e.type === 'deliver' ? e.body : undefined;
    if (row !== undefined && (body === undefined || row.body === body)) continue;
    tally.fail(() => {
      const faults = activeFaults(history, e.t);
      const verb = e.type === 'deliver' ? 'delivered to' : 'received (and dropped as a duplicate) by';
      let problem: string;
      if (row !== undefined) problem = `has another body in the database (got ${quote(body ?? '')}, stored ${quote(row.body)})`;
      else {
        const other = rows.all(e.id)[0];
        problem =
          other === undefined
            ? 'does not exist in the database'
            : `is in the database as room ${other.room}, seq ${other.seq} instead`;
      }
      return clientExample(e, `message ${e.id} (room ${e.room}, seq ${e.seq}) ${verb} client ${e.client} on ${workerName(e.worker)} at ${ms(e.t)} ${problem}`, faults);
    });
  }
  return tally.result();
}
