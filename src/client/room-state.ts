import type { Message } from './options.js';
import { ReorderBuffer } from './reorder-buffer.js';

/** A message on its way through the reorder buffer, marked when it came from a gap fetch. */
export interface Incoming {
  /** The message's seq. */
  readonly seq: number;
  /** The message. */
  readonly message: Message;
  /** True when it arrived as the answer to a fetch. */
  readonly fetched: boolean;
}

/** A `fetch` to send: messages with seq > after, up to `upto` (inclusive) when known. */
export interface FetchRequest {
  /** The cursor the fetch starts after. */
  after: number;
  /** The last seq the fetch is for, or null when unknown. */
  upto: number | null;
  /** How many messages to ask for. */
  limit: number;
}

/** What the client knows about one room: its reorder buffer, join progress and gap fetch. */
export class RoomState {
  /** The room name. */
  readonly name: string;
  /** The room's reorder buffer; its cursor is the room's cursor. */
  readonly buffer: ReorderBuffer<Incoming>;
  /** True once the server sent `joined` on this connection (the join replay is over). */
  joined = false;
  #head = 0;
  #announced = 0;
  #fetching: FetchRequest | null = null;
  #fetchSentAt = 0;
  #joinSentAt: number | null = null;

  constructor(name: string, buffer: ReorderBuffer<Incoming>) {
    this.name = name;
    this.buffer = buffer;
  }

  /** Highest committed head the server announced. */
  get head(): number {
    return this.#head;
  }

  /** True while a fetch is outstanding. */
  get fetching(): boolean {
    return this.#fetching !== null;
  }

  /** Forget the connection's state (join, outstanding fetch); the cursor and buffer stay. */
  reset(): void {
    this.joined = false;
    this.#fetching = null;
    this.#joinSentAt = null;
  }

  /** Record that a join was written at `now`. */
  onJoinSent(now: number): void {
    this.joined = false;
    this.#joinSentAt = now;
  }

  /** Record a head from `joined`. */
  onJoinedHead(head: number): void {
    this.joined = true;
    this.#joinSentAt = null;
    this.#head = Math.max(this.#head, head);
    this.#announced = head;
  }

  /** Record a periodic head; true when a tail loss is confirmed: the cursor is still below the head announced one period earlier. */
  // Waiting one period lets live messages in flight when the head was read arrive before they
  // would be fetched a second time (each such fetch would only add duplicates under load).
  onHead(head: number): boolean {
    const confirmed = this.buffer.cursor < this.#announced;
    this.#head = Math.max(this.#head, head);
    this.#announced = head;
    return confirmed && this.#head > this.buffer.cursor;
  }

  /** True when this seq arrives as the answer to the outstanding fetch. */
  fromFetch(seq: number): boolean {
    const f = this.#fetching;
    return f !== null && seq > f.after && (f.upto === null || seq <= f.upto);
  }

  /** The fetch for the gap below the lowest buffered message, or null (none buffered, not joined, or a fetch outstanding). */
  gapFetch(maxLimit: number, now: number): FetchRequest | null {
    const lowest = this.buffer.lowestBuffered();
    return lowest === null ? null : this.#start(lowest - 1, maxLimit, now);
  }

  /** The fetch for messages up to the announced head, or null (caught up, not joined, or a fetch outstanding). */
  tailFetch(maxLimit: number, now: number): FetchRequest | null {
    return this.#start(this.#head, maxLimit, now);
  }

  /** Mark the outstanding fetch answered. */
  onFetched(): void {
    this.#fetching = null;
  }

  /** The request that has waited `timeoutMs` or more without an answer (the fetch is then forgotten), or null. */
  overdue(now: number, timeoutMs: number): 'join' | 'fetch' | null {
    if (!this.joined && this.#joinSentAt !== null && now - this.#joinSentAt >= timeoutMs) return 'join';
    if (this.#fetching === null || now - this.#fetchSentAt < timeoutMs) return null;
    this.#fetching = null;
    return 'fetch';
  }

  #start(upto: number, maxLimit: number, now: number): FetchRequest | null {
    const after = this.buffer.cursor;
    if (!this.joined || this.#fetching !== null || upto <= after) return null;
    this.#fetchSentAt = now;
    this.#fetching = { after, upto, limit: Math.min(maxLimit, upto - after) };
    return this.#fetching;
  }
}
