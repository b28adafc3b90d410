import type { AckEvent } from '../history/events.js';
import { activeFaults, endOf } from './faults.js';
import { SeenBy } from './seen.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { clientPlaces, placeText, workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';
import { eventsOf } from './events-of.js';

/** A client's membership of one room: its first join's cursor and its stream in `SeenBy`. */
interface Member {
  client: string;
  cursor: number;
  stream: number;
}

/** Every database message of a room with seq above a client's first-join cursor reached that client by the end. */
export function atLeastOnce({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('at-least-once');
  const seen = new SeenBy();
  const members = new Map<string, Map<string, Member>>();
  const acks = new Map<string, AckEvent>();
  for (const e of eventsOf(history, 'join', 'deliver', 'ack')) {
    if (e.type === 'join') {
      let byClient = members.get(e.room);
      if (byClient === undefined) members.set(e.room, (byClient = new Map()));
      if (!byClient.has(e.client)) byClient.set(e.client, { client: e.client, cursor: e.after, stream: seen.stream(e.client, e.room) });
    } else if (e.type === 'deliver') {
      seen.add(e.id, seen.stream(e.client, e.room));
    } else if (e.type === 'ack') {
      if (!acks.has(e.id)) acks.set(e.id, e);
    }
  }
  const lists = new Map<string, Member[]>();
  for (const [room, byClient] of members) lists.set(room, [...byClient.values()]);
  let places: ReturnType<typeof clientPlaces> | undefined;
  let end: number | undefined;
  for (const row of db.messages) {
    const list = lists.get(row.room);
    if (list === undefined) continue;
    for (const m of list) {
      if (row.seq <= m.cursor) continue;
      tally.checked++;
      if (seen.has(row.id, m.stream)) continue;
      tally.fail(() => {
        places ??= clientPlaces(history);
        end ??= endOf(history);
        const ack = acks.get(row.id);
        const t = ack?.t ?? end;
        const faults = activeFaults(history, t);
        const place = places.get(m.client);
        const committed =
          ack === undefined
            ? `never acked; active faults at the end (${ms(t)})`
            : `acked on ${workerName(ack.worker)} at ${ms(t)}; active faults then`;
        return withWorker(
          {
            text:
              `message ${row.id} (room ${row.room}, seq ${row.seq}) sent by ${row.sender} never reached client ${m.client} ` +
              `(joined ${row.room} after seq ${m.cursor}; ${placeText(place)}); it was ${committed}: ${faultsText(faults)}`,
            id: row.id,
            room: row.room,
            seq: row.seq,
            client: m.client,
            faults,
          },
          place?.worker,
        );
      });
    }
  }
  return tally.result();
}
