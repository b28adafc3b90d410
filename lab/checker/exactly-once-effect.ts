import type { DeliverEvent, HistoryEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { SeenBy } from './seen.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { clientExample, ms } from './words.js';

/** The first delivery of this id to this client in this room (looked up again only for an example). */
function firstDelivery(history: readonly HistoryEvent[], e: DeliverEvent): DeliverEvent {
  for (const f of history) {
    if (f.type === 'deliver' && f.id === e.id && f.client === e.client && f.room === e.room) return f;
  }
  return e;
}

/** No client's application stream holds the same (room, id) twice. */
export function exactlyOnceEffect({ history }: CheckInput): InvariantResult {
  const tally = new Tally('exactly-once-effect');
  const seen = new SeenBy();
  for (const e of history) {
    if (e.type !== 'deliver') continue;
    tally.checked++;
    if (seen.add(e.id, seen.stream(e.client, e.room))) continue;
    tally.fail(() => {
      const first = firstDelivery(history, e);
      const faults = activeFaults(history, e.t);
      return clientExample(
        e,
        `message ${e.id} (room ${e.room}, seq ${e.seq}) was delivered twice to client ${e.client}: ` +
          `first at ${ms(first.t)} on ${workerName(first.worker)} (seq ${first.seq}), again at ${ms(e.t)} on ${workerName(e.worker)}`,
        faults,
      );
    });
  }
  return tally.result();
}
