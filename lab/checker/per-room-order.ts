import type { DeliverEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';
import { eventsOf } from './events-of.js';

/** One client's stream in one room: its first-join cursor, the highest seq so far, whether it broke. */
interface Stream {
  cursor: number | undefined;
  high: number | undefined;
  broken: boolean;
}

/** Why a delivered seq breaks the stream, as a phrase. */
function breakText(e: DeliverEvent, s: Stream): string {
  const at = `(message ${e.id} at ${ms(e.t)} on ${workerName(e.worker)})`;
  if (s.high === undefined) {
    const from = (s.cursor ?? 0) + 1;
    const gap = from === e.seq - 1 ? `seq ${from} is missing` : `seqs ${from}..${e.seq - 1} are missing`;
    return e.seq > from
      ? `client ${e.client} joined room ${e.room} after seq ${s.cursor ?? 0} but its first message was seq ${e.seq} ${at}: ${gap}`
      : `client ${e.client} joined room ${e.room} after seq ${s.cursor ?? 0} but its first message was seq ${e.seq} ${at}, at or below its cursor`;
  }
  const prev = s.high;
  if (e.seq === prev) return `client ${e.client} in room ${e.room} got seq ${e.seq} again ${at}: repeated`;
  if (e.seq < prev) return `client ${e.client} in room ${e.room} got seq ${e.seq} after seq ${prev} ${at}: out of order`;
  const gap = prev + 2 === e.seq ? `seq ${prev + 1} never came before it` : `seqs ${prev + 1}..${e.seq - 1} never came before it`;
  return `client ${e.client} in room ${e.room} got seq ${e.seq} right after seq ${prev} ${at}: ${gap}`;
}

/** Per client per room, delivered seqs start at the first join's cursor + 1 and each next is exactly one more. */
export function perRoomOrder({ history }: CheckInput): InvariantResult {
  const tally = new Tally('per-room-order');
  const streams = new Map<string, Map<string, Stream>>();
  const stream = (client: string, room: string): Stream => {
    let rooms = streams.get(client);
    if (rooms === undefined) streams.set(client, (rooms = new Map()));
    let s = rooms.get(room);
    if (s === undefined) rooms.set(room, (s = { cursor: undefined, high: undefined, broken: false }));
    return s;
  };
  for (const e of eventsOf(history, 'join', 'deliver')) {
    if (e.type === 'join') {
      const s = stream(e.client, e.room);
      if (s.cursor === undefined && s.high === undefined) s.cursor = e.after;
      continue;
    }
    if (e.type !== 'deliver') continue;
    tally.checked++;
    const s = stream(e.client, e.room);
    // Without a join we cannot know where the stream should start: judge from its first message on.
    const expected = s.high !== undefined ? s.high + 1 : s.cursor !== undefined ? s.cursor + 1 : e.seq;
    if (e.seq !== expected) {
      if (s.broken) tally.violations++;
      else {
        const text = breakText(e, s);
        tally.fail(() => {
          const faults = activeFaults(history, e.t);
          return withWorker(
            { text: `${text}; active faults then: ${faultsText(faults)}`, id: e.id, room: e.room, seq: e.seq, client: e.client, faults },
            e.worker,
          );
        });
        s.broken = true;
      }
    }
    if (s.high === undefined || e.seq > s.high) s.high = e.seq;
  }
  return tally.result();
}
