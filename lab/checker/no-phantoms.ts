import { activeFaults } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { clientExample, ms, quote } from './words.js';
import { eventsOf, positionsOf } from './events-of.js';
import { deliveriesOf } from './deliveries.js';
import type { DbMessage, DeliverEvent, FrameEvent } from '../history/events.js';

/**
 * Every message a client received exists in the database with that room, seq and body: every copy on
 * its wire (a `msg` frame, whatever the SDK did with it) and every delivery to its application.
 */
export function noPhantoms({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('no-phantoms');
  const rows = rowIndex(db.messages);
  const deliveries = deliveriesOf(history);
  const { events, msg, stream, streams, otherBody } = deliveries;
  // The row of each delivered message, by its integer, where it holds the body of the message's first
  // delivery (undefined: no row, more than one to choose from, or another body).
  const rowOf: (DbMessage | undefined)[] = new Array(deliveries.ids.size);
  for (let r = 0; r < db.messages.length; r++) {
    const row = db.messages[r]!;
    const m = deliveries.ids.get(row.id);
    if (m !== undefined) rowOf[m] = rows.all(row.id).length === 1 && row.body === deliveries.body[m] ? row : undefined;
  }
  const frames = eventsOf(history, 'frame');
  const frameAt = positionsOf(history, 'frame');
  const deliveredAt = positionsOf(history, 'deliver');
  // Deliveries and frames merged in history order (the order counterexamples are listed in).
  for (let i = 0, f = 0; i < events.length || f < frames.length; ) {
    let e: DeliverEvent | FrameEvent;
    let row: DbMessage | undefined;
    if (f === frames.length || (i < events.length && deliveredAt[i]! < frameAt[f]!)) {
      // A delivery, judged from the columns: the row of its message (with the body of the message's
      // first delivery), and the event itself only when something there does not match.
      const k = i++;
      tally.checked++;
      row = rowOf[msg[k]!];
      if (row !== undefined && otherBody[k] === 0 && row.seq === deliveries.seq[k] && row.room === streams.room(stream[k]!)) continue;
      e = events[k]!;
    } else {
      e = frames[f++]!;
      if (e.frame !== 'msg' || e.id === undefined || e.room === undefined || e.seq === undefined) continue;
      tally.checked++;
    }
    const { id, room, seq } = e as { id: string; room: string; seq: number };
    row = rows.match(id, room, seq);
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
