import type { HistoryEvent, InvokeEvent, SendEvent } from '../history/events.js';
import { activeFaults, endOf } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { workerName } from './workers.js';
import { faultsText, ms } from './words.js';
import { eventsOf } from './events-of.js';
import { settlementsOf } from './settlements.js';

/** Each attempt of a send as a phrase: `#2 on worker 1 at 2147 ms (faults: none)`. */
function attemptsText(history: readonly HistoryEvent[], attempts: readonly SendEvent[]): string {
  if (attempts.length === 0) return 'no attempt was ever written to a socket';
  return attempts.map((a) => `#${a.attempt} on ${workerName(a.worker)} at ${ms(a.t)} (faults: ${faultsText(activeFaults(history, a.t))})`).join(', ');
}

/**
 * Every `send()` the application made settled by the end: acked, or refused with a definite error
 * that was true. A send still pending at the end, or given up with its outcome unknown, is a
 * violation: the application was never told whether its message is in the room; so is a definite
 * refusal of a send whose very content the database holds (told "no effect", yet committed).
 */
export function sendsSettled({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('sends-settled');
  let attemptsById: Map<string, SendEvent[]> | undefined;
  let stored: Set<string> | undefined;
  let end: number | undefined;
  let pending = 0;
  let unknown = 0;
  // A definite refusal promises "not committed": a row with this send's own content says otherwise
  // (the rows' contents are gathered at the first refusal).
  let sameContent: Set<string> | undefined;
  let falseRefusals = 0;
  const { invokes, settledBy } = settlementsOf(history);
  for (let i = 0; i < invokes.length; i++) {
    const invoke = invokes[i]!;
    const settled = settledBy[i];
    tally.checked++;
    if (settled?.type === 'ack') continue;
    if (settled?.type === 'send-fail') {
      sameContent ??= new Set(db.messages.map((m) => `${m.id}\n${m.room}\n${m.sender}\n${m.body}`));
      if (!sameContent.has(`${invoke.id}\n${invoke.room}\n${invoke.client}\n${invoke.body}`)) continue;
      falseRefusals++;
      tally.fail(() => {
        const faults = activeFaults(history, settled.t);
        return {
          text: `client ${invoke.client}'s send of message ${invoke.id} (room ${invoke.room}) made at ${ms(invoke.t)} was refused at ${ms(settled.t)} with ${settled.code ?? 'a definite error'}, which promises it had no effect, yet the database holds it with this very content; active faults then: ${faultsText(faults)}`,
          id: invoke.id,
          room: invoke.room,
          client: invoke.client,
          faults,
        };
      });
      continue;
    }
    if (settled === undefined) pending++;
    else unknown++;
    tally.fail(() => {
      if (attemptsById === undefined) {
        attemptsById = new Map();
        for (const e of eventsOf(history, 'send')) (attemptsById.get(e.id) ?? attemptsById.set(e.id, []).get(e.id)!).push(e);
      }
      stored ??= new Set(db.messages.map((m) => m.id));
      end ??= endOf(history);
      const attempts = (attemptsById.get(invoke.id) ?? []).filter((a) => a.client === invoke.client && a.t >= invoke.t);
      const how = settled === undefined ? `was still pending at the end (${ms(end)})` : `was given up at ${ms(settled.t)} with its outcome unknown (${settled.reason ?? 'no reason'})`;
      const where = stored!.has(invoke.id) ? 'the id IS in the database, so the message was committed but the application was never told' : 'the id is NOT in the database: the message is lost and the application was never told';
      const faults = activeFaults(history, attempts.at(-1)?.t ?? invoke.t);
      return {
        text: `client ${invoke.client}'s send of message ${invoke.id} (room ${invoke.room}) made at ${ms(invoke.t)} ${how}; attempts: ${attemptsText(history, attempts)}; ${where}; active faults at its last attempt: ${faultsText(faults)}`,
        id: invoke.id,
        room: invoke.room,
        client: invoke.client,
        ...(attempts.at(-1)?.worker != null ? { worker: attempts.at(-1)!.worker! } : {}),
        faults,
      };
    });
  }
  const notes = tally.violations > 0 ? [`${pending} send(s) still pending at the end, ${unknown} given up with the outcome unknown, ${falseRefusals} refused yet committed`] : undefined;
  return tally.result(notes);
}
