import type { DeliverEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms, withWorker } from './words.js';

/** No client's application stream holds the same (room, id) twice. */
export function exactlyOnceEffect({ history }: CheckInput): InvariantResult {
  const tally = new Tally('exactly-once-effect');
  const streams = new Map<string, Map<string, Map<string, DeliverEvent>>>();
  for (const e of history) {
    if (e.type !== 'deliver') continue;
    tally.checked++;
    let rooms = streams.get(e.client);
    if (rooms === undefined) streams.set(e.client, (rooms = new Map()));
    let ids = rooms.get(e.room);
    if (ids === undefined) rooms.set(e.room, (ids = new Map()));
    const first = ids.get(e.id);
    if (first === undefined) {
      ids.set(e.id, e);
      continue;
    }
    tally.fail(() => {
      const faults = activeFaults(history, e.t);
      return withWorker(
        {
          text:
            `message ${e.id} (room ${e.room}, seq ${e.seq}) was delivered twice to client ${e.client}: ` +
            `first at ${ms(first.t)} on ${workerName(first.worker)} (seq ${first.seq}), ` +
            `again at ${ms(e.t)} on ${workerName(e.worker)}; active faults then: ${faultsText(faults)}`,
          id: e.id,
          room: e.room,
          seq: e.seq,
          client: e.client,
          faults,
        },
        e.worker,
      );
    });
  }
  return tally.result();
}
