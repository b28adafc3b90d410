import type { AckEvent, HistoryEvent, InvokeEvent, SendFailEvent, SendInfoEvent } from '../history/events.js';
import { eventsOf } from './events-of.js';

/** One `send()` of the application and the event that settled it, if any. */
export interface SettledSend {
  invoke: InvokeEvent;
  settled: AckEvent | SendFailEvent | SendInfoEvent | undefined;
}

/** The application's sends paired with how each settled. */
export interface Settlements {
  /** Every send, in the order the application made them. */
  sends: readonly SettledSend[];
  /** Every ack, with the send it settled (undefined: none of that client and id was open). */
  acks: readonly { ack: AckEvent; send: SettledSend | undefined }[];
}

const cache = new WeakMap<readonly HistoryEvent[], { length: number; settlements: Settlements }>();

/**
 * Pairs each ack, definite refusal and unknown outcome with the oldest unsettled send of its client
 * and id (a client sends an id again only after the last send of it settled, so a queue of one is
 * the rule). Computed once per history: acked-durable and sends-settled read the same pairing.
 */
export function settlementsOf(history: readonly HistoryEvent[]): Settlements {
  const hit = cache.get(history);
  if (hit !== undefined && hit.length === history.length) return hit.settlements;
  // Per client, then id (nested: a key string made per event was most of this pairing's time).
  const open = new Map<string, Map<string, SettledSend[]>>();
  const sends: SettledSend[] = [];
  const acks: { ack: AckEvent; send: SettledSend | undefined }[] = [];
  for (const e of eventsOf(history, 'invoke', 'ack', 'send-fail', 'send-info')) {
    let ids = open.get(e.client);
    if (ids === undefined) open.set(e.client, (ids = new Map()));
    const queue = ids.get(e.id);
    if (e.type === 'invoke') {
      const send: SettledSend = { invoke: e, settled: undefined };
      sends.push(send);
      if (queue === undefined) ids.set(e.id, [send]);
      else queue.push(send);
      continue;
    }
    const send = queue?.shift();
    if (send !== undefined) send.settled = e;
    if (e.type === 'ack') acks.push({ ack: e, send });
  }
  const settlements = { sends, acks };
  cache.set(history, { length: history.length, settlements });
  return settlements;
}
