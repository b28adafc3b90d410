import type { AckEvent } from '../history/events.js';
import { activeFaults, endOf } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { clientPlaces, placeText, workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';

/** A client's membership of one room: its first join's cursor and the ids it was handed there. */
interface Member {
  client: string;
  cursor: number;
  seen: Set<string>;
}

/** Every database message of a room with seq above a client's first-join cursor reached that client by the end. */
export function atLeastOnce({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('at-least-once');
  const members = new Map<string, Map<string, Member>>();
  const acks = new Map<string, AckEvent>();
  const member = (room: string, client: string, cursor: number): Member => {
    let byClient = members.get(room);
    if (byClient === undefined) members.set(room, (byClient = new Map()));
    let m = byClient.get(client);
    if (m === undefined) byClient.set(client, (m = { client, cursor, seen: new Set() }));
    return m;
  };
  // A deliver before any join (should not happen) is remembered in a member without a cursor.
  const early = new Map<string, Set<string>>();
  for (const e of history) {
    if (e.type === 'join') {
      const m = member(e.room, e.client, e.after);
      const pre = early.get(`${e.client}\u0000${e.room}`);
      if (pre !== undefined && m.seen.size === 0) for (const id of pre) m.seen.add(id);
    } else if (e.type === 'deliver') {
      const m = members.get(e.room)?.get(e.client);
      if (m !== undefined) m.seen.add(e.id);
      else {
        const key = `${e.client}\u0000${e.room}`;
        let pre = early.get(key);
        if (pre === undefined) early.set(key, (pre = new Set()));
        pre.add(e.id);
      }
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
      if (m.seen.has(row.id)) continue;
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
