import type { DeliverEvent, HistoryEvent } from '../history/events.js';
import { eventsOf } from './events-of.js';

/** Past this many streams of one message, membership tests switch from an array to a Set. */
const SET_AT = 16;

/** Each (client, room) a history names, as a small integer: a client's stream of one room. */
export class Streams {
  readonly #byClient = new Map<string, Map<string, number>>();
  readonly #rooms: string[] = [];

  /** The integer of the stream of `client` in `room`, made on first use. */
  of(client: string, room: string): number {
    let rooms = this.#byClient.get(client);
    if (rooms === undefined) this.#byClient.set(client, (rooms = new Map()));
    let s = rooms.get(room);
    if (s === undefined) {
      rooms.set(room, (s = this.#rooms.length));
      this.#rooms.push(room);
    }
    return s;
  }

  /** The room of a stream. */
  room(stream: number): string {
    return this.#rooms[stream]!;
  }

  /** How many streams there are so far. */
  get size(): number {
    return this.#rooms.length;
  }
}

/**
 * The application's deliveries of a history (its `deliver` events, in order), read once into columns
 * that every checker shares: each delivery's message as an integer (its id interned), its stream, seq
 * and time, and whether it was the first of that message to that stream. Three checkers and the stats
 * each walked the deliveries and built their own map of who got what, keyed by id string; reading the
 * events' fields once (they come in a score of shapes, so every read is a slow lookup) and keeping
 * one such map is most of what makes the checker cheap per event.
 */
export interface Deliveries {
  readonly events: readonly DeliverEvent[];
  /** The message of delivery i: its id's integer in `ids`. */
  readonly msg: Int32Array;
  readonly stream: Int32Array;
  readonly seq: Float64Array;
  readonly t: Float64Array;
  /** 1 where delivery i is the first of its message to its stream, 0 where it repeats one. */
  readonly first: Uint8Array;
  /** The body of each message's first delivery, by its integer. */
  readonly body: readonly string[];
  /** 1 where delivery i carried another body than its message's first delivery. */
  readonly otherBody: Uint8Array;
  /** Every id delivered, as its integer. */
  readonly ids: ReadonlyMap<string, number>;
  /** Shared with the checkers: a stream made later (a join with no delivery) was handed nothing. */
  readonly streams: Streams;
  /** Whether `stream` was handed message `msg` (an integer of `ids`). */
  handed(msg: number, stream: number): boolean;
}

/** Which streams were handed each message (as integers): the first in an array, the rest by message. */
export class HandedTo {
  readonly #first: Int32Array;
  readonly #more = new Map<number, number[] | Set<number>>();

  constructor(messages: number) {
    this.#first = new Int32Array(messages).fill(-1);
  }

  /** Records that `stream` was handed `msg`; false if it had been already. */
  add(msg: number, stream: number): boolean {
    const first = this.#first[msg]!;
    if (first === -1) {
      this.#first[msg] = stream;
      return true;
    }
    if (first === stream) return false;
    const more = this.#more.get(msg);
    if (more === undefined) {
      this.#more.set(msg, [stream]);
      return true;
    }
    if (Array.isArray(more)) {
      if (more.includes(stream)) return false;
      more.push(stream);
      if (more.length >= SET_AT) this.#more.set(msg, new Set(more));
      return true;
    }
    if (more.has(stream)) return false;
    more.add(stream);
    return true;
  }

  has(msg: number, stream: number): boolean {
    const first = this.#first[msg];
    if (first === undefined || first === -1) return false;
    if (first === stream) return true;
    const more = this.#more.get(msg);
    if (more === undefined) return false;
    return Array.isArray(more) ? more.includes(stream) : more.has(stream);
  }
}

const cache = new WeakMap<readonly HistoryEvent[], { length: number; deliveries: Deliveries }>();

/** The deliveries of a history as columns, built once per history (again if it grew). */
export function deliveriesOf(history: readonly HistoryEvent[]): Deliveries {
  const hit = cache.get(history);
  if (hit !== undefined && hit.length === history.length) return hit.deliveries;
  const events = eventsOf(history, 'deliver');
  const n = events.length;
  const msg = new Int32Array(n);
  const stream = new Int32Array(n);
  const seq = new Float64Array(n);
  const t = new Float64Array(n);
  const ids = new Map<string, number>();
  const streams = new Streams();
  const body: string[] = [];
  const otherBody = new Uint8Array(n);
  // One walk over the events, each read once (a read of an event is a cache miss: it is the cost).
  // A message's deliveries to the members of its room come together: the last id is asked first.
  let lastId: string | undefined;
  let m = -1;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.id !== lastId) {
      lastId = e.id;
      const known = ids.get(lastId);
      if (known === undefined) {
        ids.set(lastId, (m = ids.size));
        body.push(e.body);
      } else m = known;
    }
    msg[i] = m;
    stream[i] = streams.of(e.client, e.room);
    seq[i] = e.seq;
    t[i] = e.t;
    if (e.body !== body[m]) otherBody[i] = 1;
  }
  const handed = new HandedTo(ids.size);
  const first = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (handed.add(msg[i]!, stream[i]!)) first[i] = 1;
  const deliveries: Deliveries = {
    events, msg, stream, seq, t, first, body, otherBody, ids, streams,
    handed: (m, s) => handed.has(m, s),
  };
  cache.set(history, { length: history.length, deliveries });
  return deliveries;
}
