import type { HistoryEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { clientExample, ms } from './words.js';
import { eventsOf, positionsOf } from './events-of.js';
import { Streams } from './deliveries.js';

type Delivery = Extract<HistoryEvent, { type: 'deliver' | 'sdk-deliver' }>;

/**
 * The application received exactly what the SDK says it delivered, and no more: per client and room,
 * the messages the application's callback got are the SDK's reported deliveries, in the same order.
 */
export function appMatchesSdk({ history }: CheckInput): InvariantResult {
  const tally = new Tally('app-matches-sdk');
  const app = eventsOf(history, 'deliver');
  // When the application's deliveries, all clients together, are the SDK's reports one for one in
  // history order, every stream's two sequences are equal too: that is the common case, and it needs no
  // stream of any event. Otherwise each stream's two sequences are compared position by position.
  if (sameSequence(app, history, positionsOf(history, 'sdk-deliver'))) {
    tally.checked = app.length;
    return tally.result();
  }
  // Each stream's two sequences, listed in the order its first delivery of either kind came (the order
  // counterexamples are listed in).
  const streams = new Streams();
  const byStream = new Map<number, { app: Delivery[]; sdk: Delivery[] }>();
  for (const e of eventsOf(history, 'deliver', 'sdk-deliver')) {
    const s = streams.of(e.client, e.room);
    let pair = byStream.get(s);
    if (pair === undefined) byStream.set(s, (pair = { app: [], sdk: [] }));
    (e.type === 'deliver' ? pair.app : pair.sdk).push(e);
  }
  // The msgs each client got on the wire, gathered only once a counterexample needs them.
  let wire: Set<string> | undefined;
  const onWireAt = (e: Delivery) => (wire ??= msgsOnWire(history)).has(`${e.client}\n${e.room}\n${e.id}`);
  for (const pair of byStream.values()) {
    const n = Math.max(pair.app.length, pair.sdk.length);
    tally.checked += n;
    for (let k = 0; k < n; k++) {
      const a = pair.app[k];
      const d = pair.sdk[k];
      if (a !== undefined && d !== undefined && a.id === d.id && a.seq === d.seq) continue;
      tally.fail(() => {
        const e = (d ?? a)!;
        const onWire = onWireAt(e) ? 'it was on the wire' : 'it never came on the wire';
        let text: string;
        if (a === undefined) text = `the SDK says it delivered message ${d!.id} (room ${d!.room}, seq ${d!.seq}) to client ${d!.client}'s application at ${ms(d!.t)}, but the application never received it (${onWire}): lost inside the SDK`;
        else if (d === undefined) text = `client ${a.client}'s application received message ${a.id} (room ${a.room}, seq ${a.seq}) at ${ms(a.t)} that the SDK never reported delivering (${onWire})`;
        else text = `in room ${a.room}, client ${a.client}'s application received message ${a.id} (seq ${a.seq}) at ${ms(a.t)} where the SDK reports message ${d.id} (seq ${d.seq}) as its delivery #${k + 1}`;
        return clientExample(e, text, activeFaults(history, e.t));
      });
    }
  }
  return tally.result();
}

/** Whether the deliveries and the SDK's reports (at `reportedAt` in the history) hold the same (client, room, id, seq), one for one. */
function sameSequence(app: readonly Delivery[], history: CheckInput['history'], reportedAt: Int32Array): boolean {
  if (app.length !== reportedAt.length) return false;
  for (let i = 0; i < app.length; i++) {
    const a = app[i]!;
    const d = history[reportedAt[i]!] as Delivery;
    if (a.id !== d.id || a.seq !== d.seq || a.client !== d.client || a.room !== d.room) return false;
  }
  return true;
}

/** (client, room, id) of every msg frame a client received, as `client\nroom\nid`. */
function msgsOnWire(history: CheckInput['history']): Set<string> {
  const wire = new Set<string>();
  for (const e of eventsOf(history, 'frame')) if (e.frame === 'msg') wire.add(`${e.client}\n${e.room}\n${e.id}`);
  return wire;
}
