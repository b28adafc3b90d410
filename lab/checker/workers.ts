import type { HistoryEvent } from '../history/events.js';

/** Where a client was when the history ended. */
export interface ClientPlace {
  /** The worker of its last welcome, or null if it never connected. */
  worker: number | null;
  connected: boolean;
}

/** A worker as a sentence names it. */
export function workerName(worker: number | null | undefined): string {
  return worker === null || worker === undefined ? 'an unknown worker' : `worker ${worker}`;
}

/** Where each client was at the end, from its connect and disconnect events. */
export function clientPlaces(history: readonly HistoryEvent[]): Map<string, ClientPlace> {
  const places = new Map<string, ClientPlace>();
  for (const e of history) {
    if (e.type === 'connect') places.set(e.client, { worker: e.worker, connected: true });
    else if (e.type === 'disconnect') {
      const p = places.get(e.client);
      places.set(e.client, { worker: p?.worker ?? e.worker, connected: false });
    }
  }
  return places;
}

/** A client's place at the end as a phrase, e.g. "on worker 2 at the end". */
export function placeText(place: ClientPlace | undefined): string {
  if (place === undefined || place.worker === null) return 'never connected';
  return place.connected
    ? `on worker ${place.worker} at the end`
    : `disconnected at the end, last on worker ${place.worker}`;
}
