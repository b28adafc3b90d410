import type { DeliverEvent, HistoryEvent } from '../history/events.js';
import { eventsOf } from './events-of.js';

/** From this many streams of one message on, its membership tests use a Set. */
const SET_AT = 16;

/** Each (client, room) a history names, as a small integer: a client's stream of one room. */
export class Streams {
  /** Per client: its streams by room, and the last one asked for (most clients are in one room). */
  readonly #byClient = new Map<string, { rooms: Map<string, number>; room: string; stream: number }>();
  readonly #rooms: string[] = [];

  /** The integer of the stream of `client` in `room`, made on first use. */
  of(client: string, room: string): number {
    const c = this.#byClient.get(client);
    if (c !== undefined && c.room === room) return c.stream;
    const rooms = c?.rooms ?? new Map<string, number>();
    let s = rooms.get(room);
    if (s === undefined) {
      rooms.set(room, (s = this.#rooms.length));
      this.#rooms.push(room);
    }
    if (c === undefined) this.#byClient.set(client, { rooms, room, stream: s });
    else {
      c.room = room;
      c.stream = s;
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
 * each walked the deliveries and built their own map of who got what, keyed by id string. Reading each
 * event's fields once (a read of an event far from the last is a cache miss, and that is the cost) and
 * keeping one such map, by integers, is most of what makes the checker cheap per event.
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

/**
 * Which streams were handed each message (both as integers). A message's streams are a chain of
 * entries in typed arrays, newest first, until it has `SET_AT` of them; then a Set. A chain allocates
 * nothing per message, where the form before it kept an array for each.
 */
export class HandedTo {
  /** Per message: its newest entry (-1: none), and how many streams it has. */
  readonly #head: Int32Array;
  readonly #count: Int32Array;
  /** Per entry: its stream, and the message's entry before it (-1: none). */
  readonly #stream: Int32Array;
  readonly #next: Int32Array;
  #entries = 0;
  readonly #sets = new Map<number, Set<number>>();

  /** For `messages` messages and at most `capacity` records. */
  constructor(messages: number, capacity: number) {
    this.#head = new Int32Array(messages).fill(-1);
    this.#count = new Int32Array(messages);
    this.#stream = new Int32Array(capacity);
    this.#next = new Int32Array(capacity);
  }

  /** Records that `stream` was handed `msg`; false if it had been already. */
  add(msg: number, stream: number): boolean {
    if (this.#count[msg]! >= SET_AT) {
      const set = this.#sets.get(msg)!;
      if (set.has(stream)) return false;
      set.add(stream);
      this.#count[msg]!++;
      return true;
    }
    if (this.#inChain(msg, stream)) return false;
    const e = this.#entries++;
    this.#stream[e] = stream;
    this.#next[e] = this.#head[msg]!;
    this.#head[msg] = e;
    if (++this.#count[msg]! === SET_AT) {
      const set = new Set<number>();
      for (let j = e; j !== -1; j = this.#next[j]!) set.add(this.#stream[j]!);
      this.#sets.set(msg, set);
    }
    return true;
  }

  /** Whether `stream` was handed `msg`. */
  has(msg: number, stream: number): boolean {
    if (msg < 0 || msg >= this.#count.length) return false;
    return this.#count[msg]! >= SET_AT ? this.#sets.get(msg)!.has(stream) : this.#inChain(msg, stream);
  }

  #inChain(msg: number, stream: number): boolean {
    for (let j = this.#head[msg]!; j !== -1; j = this.#next[j]!) if (this.#stream[j] === stream) return true;
    return false;
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
  const handed = new HandedTo(ids.size, n);
  const first = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (handed.add(msg[i]!, stream[i]!)) first[i] = 1;
  const deliveries: Deliveries = {
    events, msg, stream, seq, t, first, body, otherBody, ids, streams,
    handed: (m, s) => handed.has(m, s),
  };
  cache.set(history, { length: history.length, deliveries });
  return deliveries;
}
