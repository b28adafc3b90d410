import type { DeliverEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';
import { eventsOf, positionsOf } from './events-of.js';
import { deliveriesOf } from './deliveries.js';

/** One client's stream in one room: its first-join cursor and the highest seq so far. */
interface Stream {
  cursor: number | undefined;
  high: number | undefined;
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
  const deliveries = deliveriesOf(history);
  const { events, stream, seq, streams } = deliveries;
  const joins = eventsOf(history, 'join');
  const joinAt = positionsOf(history, 'join');
  const deliveredAt = positionsOf(history, 'deliver');
  // Per stream (joins may add streams that were handed nothing): NaN where not known yet.
  const size = streams.size + joins.length;
  const cursor = new Float64Array(size).fill(NaN);
  const high = new Float64Array(size).fill(NaN);
  const broken = new Uint8Array(size);
  tally.checked = events.length;
  let j = 0;
  for (let i = 0; i < events.length; i++) {
    // The joins that came before this delivery, in history order.
    for (; j < joins.length && joinAt[j]! < deliveredAt[i]!; j++) {
      const e = joins[j]!;
      const s = streams.of(e.client, e.room);
      if (Number.isNaN(cursor[s]!) && Number.isNaN(high[s]!)) cursor[s] = e.after;
    }
    // The next delivery, read from the columns.
    const s = stream[i]!;
    const got = seq[i]!;
    const h = high[s]!;
    const c = cursor[s]!;
    // Without a join we cannot know where the stream should start: judge from its first message on.
    const expected = !Number.isNaN(h) ? h + 1 : !Number.isNaN(c) ? c + 1 : got;
    if (got !== expected) {
      if (broken[s] === 1) tally.violations++;
      else {
        const d = events[i]!;
        const text = breakText(d, { cursor: Number.isNaN(c) ? undefined : c, high: Number.isNaN(h) ? undefined : h });
        tally.fail(() => {
          const faults = activeFaults(history, d.t);
          return withWorker(
            { text: `${text}; active faults then: ${faultsText(faults)}`, id: d.id, room: d.room, seq: d.seq, client: d.client, faults },
            d.worker,
          );
        });
        broken[s] = 1;
      }
    }
    if (Number.isNaN(h) || got > h) high[s] = got;
  }
  return tally.result();
}
