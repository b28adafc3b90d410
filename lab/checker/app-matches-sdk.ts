import type { HistoryEvent } from '../history/events.js';
import { activeFaults } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { clientExample, ms } from './words.js';
import { eventsOf } from './events-of.js';

type Delivery = Extract<HistoryEvent, { type: 'deliver' | 'sdk-deliver' }>;

/**
 * The application received exactly what the SDK says it delivered, and no more: per client and room,
 * the messages the application's callback got are the SDK's reported deliveries, in the same order.
 */
export function appMatchesSdk({ history }: CheckInput): InvariantResult {
  const tally = new Tally('app-matches-sdk');
  // Per client, then room (nested maps: a string key made for every delivery was most of this checker's time).
  const byStream = new Map<string, Map<string, { app: Delivery[]; sdk: Delivery[] }>>();
  /** The same streams in the order their first delivery came (the order counterexamples are listed in). */
  const streams: { app: Delivery[]; sdk: Delivery[] }[] = [];
  // The msgs each client got on the wire, gathered only once a counterexample needs them.
  let wire: Set<string> | undefined;
  const onWireAt = (e: Delivery) => (wire ??= msgsOnWire(history)).has(`${e.client}\n${e.room}\n${e.id}`);
  for (const e of eventsOf(history, 'deliver', 'sdk-deliver')) {
    let rooms = byStream.get(e.client);
    if (rooms === undefined) byStream.set(e.client, (rooms = new Map()));
    let s = rooms.get(e.room);
    if (s === undefined) {
      rooms.set(e.room, (s = { app: [], sdk: [] }));
      streams.push(s);
    }
    (e.type === 'deliver' ? s.app : s.sdk).push(e);
  }
  for (const { app, sdk } of streams) {
    const n = Math.max(app.length, sdk.length);
    for (let i = 0; i < n; i++) {
      tally.checked++;
      const a = app[i];
      const d = sdk[i];
      if (a !== undefined && d !== undefined && a.id === d.id && a.seq === d.seq) continue;
      tally.fail(() => {
        const e = (d ?? a)!;
        const onWire = onWireAt(e) ? 'it was on the wire' : 'it never came on the wire';
        let text: string;
        if (a === undefined) text = `the SDK says it delivered message ${d!.id} (room ${d!.room}, seq ${d!.seq}) to client ${d!.client}'s application at ${ms(d!.t)}, but the application never received it (${onWire}): lost inside the SDK`;
        else if (d === undefined) text = `client ${a.client}'s application received message ${a.id} (room ${a.room}, seq ${a.seq}) at ${ms(a.t)} that the SDK never reported delivering (${onWire})`;
        else text = `in room ${a.room}, client ${a.client}'s application received message ${a.id} (seq ${a.seq}) at ${ms(a.t)} where the SDK reports message ${d.id} (seq ${d.seq}) as its delivery #${i + 1}`;
        return clientExample(e, text, activeFaults(history, e.t));
      });
    }
  }
  return tally.result();
}

/** (client, room, id) of every msg frame a client received, as `client\nroom\nid`. */
function msgsOnWire(history: CheckInput['history']): Set<string> {
  const wire = new Set<string>();
  for (const e of eventsOf(history, 'frame')) if (e.frame === 'msg') wire.add(`${e.client}\n${e.room}\n${e.id}`);
  return wire;
}
