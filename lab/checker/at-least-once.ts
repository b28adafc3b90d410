import type { AckEvent, HistoryEvent } from '../history/events.js';
import { deliveriesOf } from './deliveries.js';
import { activeFaults, endOf } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { clientPlaces, placeText, workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';
import { eventsOf } from './events-of.js';
import { refusedRooms, wasRefused } from './refused-rooms.js';

/** A client's membership of one room: its first join's cursor and its stream in `Deliveries`. */
interface Member {
  client: string;
  cursor: number;
  stream: number;
}

/** The first ack of each id (what a counterexample says about when its message was committed). */
function firstAcks(history: readonly HistoryEvent[]): Map<string, AckEvent> {
  const acks = new Map<string, AckEvent>();
  for (const e of eventsOf(history, 'ack')) if (!acks.has(e.id)) acks.set(e.id, e);
  return acks;
}

/** Every database message of a room with seq above a client's first-join cursor reached that client by the end (a room whose every join was refused excepted). */
export function atLeastOnce({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('at-least-once');
  const deliveries = deliveriesOf(history);
  const members = new Map<string, Map<string, Member>>();
  const refused = refusedRooms(history);
  for (const e of eventsOf(history, 'join')) {
    // A members-only room the client may not enter is owed to it by no join: each was refused.
    if (wasRefused(refused, e.client, e.room)) continue;
    let byClient = members.get(e.room);
    if (byClient === undefined) members.set(e.room, (byClient = new Map()));
    if (!byClient.has(e.client)) byClient.set(e.client, { client: e.client, cursor: e.after, stream: deliveries.streams.of(e.client, e.room) });
  }
  const lists = new Map<string, Member[]>();
  for (const [room, byClient] of members) lists.set(room, [...byClient.values()]);
  let places: ReturnType<typeof clientPlaces> | undefined;
  let acks: Map<string, AckEvent> | undefined;
  let end: number | undefined;
  // Indexed loops: a for-of allocates an iterator result per element until the loop is optimized.
  for (let r = 0; r < db.messages.length; r++) {
    const row = db.messages[r]!;
    const list = lists.get(row.room);
    if (list === undefined) continue;
    // A message no client was handed has no integer: every member it was owed to missed it.
    const msg = deliveries.ids.get(row.id) ?? -1;
    for (let j = 0; j < list.length; j++) {
      const m = list[j]!;
      if (row.seq <= m.cursor) continue;
      tally.checked++;
      if (msg !== -1 && deliveries.handed(msg, m.stream)) continue;
      tally.fail(() => {
        places ??= clientPlaces(history);
        acks ??= firstAcks(history);
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
