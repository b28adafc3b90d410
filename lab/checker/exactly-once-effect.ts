import type { DeliverEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { deliveriesOf } from './deliveries.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { clientExample, ms } from './words.js';
import { eventsOf } from './events-of.js';

/** No client's application stream holds the same (room, id) twice. */
export function exactlyOnceEffect({ history }: CheckInput): InvariantResult {
  const tally = new Tally('exactly-once-effect');
  const { events, first } = deliveriesOf(history);
  // The first delivery of each (client, room, id), indexed in one more pass over the history only once a
  // repeat is found: a clean history pays nothing for it, and a run with thousands of repeats pays one
  // pass, not one per counterexample (that made such a run take a minute).
  let firsts: Map<string, DeliverEvent> | undefined;
  const firstOf = (e: DeliverEvent) => (firsts ??= firstDeliveries(history)).get(deliveryKey(e)) ?? e;
  tally.checked = events.length;
  for (let i = 0; i < events.length; i++) {
    if (first[i] === 1) continue;
    const e = events[i]!;
    tally.fail(() => {
      const first = firstOf(e);
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

function deliveryKey(e: DeliverEvent): string {
  return `${e.client}\n${e.room}\n${e.id}`;
}

/** The first delivery of each (client, room, id) of a history. */
function firstDeliveries(history: CheckInput['history']): Map<string, DeliverEvent> {
  const firsts = new Map<string, DeliverEvent>();
  for (const e of eventsOf(history, 'deliver')) {
    const key = deliveryKey(e);
    if (!firsts.has(key)) firsts.set(key, e);
  }
  return firsts;
}
