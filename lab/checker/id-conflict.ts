import { activeFaults } from './faults.js';
import { rowIndex } from './rows.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { faultsText, ms, quote } from './words.js';
import { eventsOf } from './events-of.js';

/** An ack or definite refusal of a client's send. */
interface Outcome { kind: string; t: number; seq?: number; code?: string }

/** Every ack and definite refusal, by client and then id, in history order. */
function outcomes(history: CheckInput['history']): Map<string, Map<string, Outcome[]>> {
  const outcome = new Map<string, Map<string, Outcome[]>>();
  for (const e of eventsOf(history, 'ack', 'send-fail')) {
    let ids = outcome.get(e.client);
    if (ids === undefined) outcome.set(e.client, (ids = new Map()));
    const o = e.type === 'ack' ? { kind: 'ack', t: e.t, seq: e.seq } : { kind: 'fail', t: e.t, code: e.code };
    (ids.get(e.id) ?? ids.set(e.id, []).get(e.id)!).push(o);
  }
  return outcome;
}

/**
 * A send whose id was already committed with other content (another room, sender or body) is refused
 * with `id_conflict`, never acked: an ack would tell the application its new message is safe when
 * the room holds the old one.
 */
export function idConflict({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('id-conflict');
  const rows = rowIndex(db.messages);
  // How each client's sends of each id settled, gathered only once a conflicting send needs it.
  let outcome: Map<string, Map<string, Outcome[]>> | undefined;
  const invokes = eventsOf(history, 'invoke');
  for (let i = 0; i < invokes.length; i++) {
    const e = invokes[i]!;
    const row = rows.all(e.id)[0];
    if (row === undefined || (row.room === e.room && row.body === e.body && row.sender === e.client)) continue;
    tally.checked++;
    outcome ??= outcomes(history);
    // The first settlement of this client's send of this id after the invoke.
    const o = outcome.get(e.client)?.get(e.id)?.find((x) => x.t >= e.t);
    if (o === undefined || (o.kind === 'fail' && o.code === 'id_conflict')) continue;
    tally.fail(() => {
      const faults = activeFaults(history, o.t);
      const answer = o.kind === 'ack' ? `was acked with seq ${o.seq} at ${ms(o.t)}` : `was refused with ${o.code} instead of id_conflict at ${ms(o.t)}`;
      return {
        text: `client ${e.client} sent message ${e.id} to room ${e.room} with body ${quote(e.body)} at ${ms(e.t)}, but that id is committed as room ${row.room}, seq ${row.seq}, by ${row.sender}, body ${quote(row.body)}; the send ${answer}; active faults then: ${faultsText(faults)}`,
        id: e.id,
        room: e.room,
        client: e.client,
        faults,
      };
    });
  }
  return tally.result();
}
