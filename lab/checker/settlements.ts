import type { AckEvent, HistoryEvent, InvokeEvent, SendFailEvent, SendInfoEvent } from '../history/events.js';
import { eventsOf } from './events-of.js';

/** What settled a send: an ack, a definite refusal, or an unknown outcome. */
export type Settlement = AckEvent | SendFailEvent | SendInfoEvent;

/** The application's sends paired with how each settled, as parallel arrays (no object per send). */
export interface Settlements {
  /** Every send, in the order the application made them (`eventsOf(history, 'invoke')`). */
  invokes: readonly InvokeEvent[];
  /** The event that settled invoke i (undefined: none did). */
  settledBy: readonly (Settlement | undefined)[];
  /** Every ack, in order (`eventsOf(history, 'ack')`). */
  acks: readonly AckEvent[];
  /** The invoke that ack i settled (-1: none of that client and id was open). */
  ackOf: Int32Array;
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
  const invokes = eventsOf(history, 'invoke');
  const acks = eventsOf(history, 'ack');
  const settledBy = new Array<Settlement | undefined>(invokes.length).fill(undefined);
  const ackOf = new Int32Array(acks.length).fill(-1);
  // Per client, then id: its oldest open invoke; the rest of its queue is chained through `later`.
  const open = new Map<string, Map<string, number>>();
  const later = new Int32Array(invokes.length).fill(-1);
  let i = 0;
  let a = 0;
  const events = eventsOf(history, 'invoke', 'ack', 'send-fail', 'send-info');
  // An indexed loop: a for-of allocates an iterator result per element until the loop is optimized.
  for (let j = 0; j < events.length; j++) {
    const e = events[j]!;
    let ids = open.get(e.client);
    if (ids === undefined) open.set(e.client, (ids = new Map()));
    const head = ids.get(e.id);
    if (e.type === 'invoke') {
      const k = i++;
      if (head === undefined) ids.set(e.id, k);
      else {
        let tail = head;
        while (later[tail] !== -1) tail = later[tail]!;
        later[tail] = k;
      }
      continue;
    }
    if (head !== undefined) {
      settledBy[head] = e;
      const next = later[head]!;
      if (next === -1) ids.delete(e.id);
      else ids.set(e.id, next);
    }
    if (e.type === 'ack') ackOf[a++] = head ?? -1;
  }
  const settlements = { invokes, settledBy, acks, ackOf };
  cache.set(history, { length: history.length, settlements });
  return settlements;
}
