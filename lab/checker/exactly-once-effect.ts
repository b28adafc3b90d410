import type { DeliverEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { SeenBy } from './seen.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { clientExample, ms } from './words.js';

/** No client's application stream holds the same (room, id) twice. */
export function exactlyOnceEffect({ history }: CheckInput): InvariantResult {
  const tally = new Tally('exactly-once-effect');
  const seen = new SeenBy();
  // The first delivery of each (client, room, id): every counterexample is built, so building one
  // must not scan the history again (that made a run with thousands of them take a minute).
  const firsts = new Map<string, DeliverEvent>();
  for (const e of history) {
    if (e.type !== 'deliver') continue;
    tally.checked++;
    const key = `${e.client}\n${e.room}\n${e.id}`;
    if (seen.add(e.id, seen.stream(e.client, e.room))) {
      firsts.set(key, e);
      continue;
    }
    tally.fail(() => {
      const first = firsts.get(key) ?? e;
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
