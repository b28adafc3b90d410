/** The answer to a send: the seq the message was committed with. */
export interface Ack {
  /** The message id. */
  id: string;
  /** The room. */
  room: string;
  /** The committed per-room seq. */
  seq: number;
  /** True when the id had already been committed (an earlier attempt got through). */
  duplicate: boolean;
}

/** One unacked send. */
export interface OutboxEntry {
  /** The client-made message id, the same on every attempt. */
  readonly id: string;
  /** This send's nonce, the same on every attempt and echoed in its answers: it tells them from a late answer to an earlier send of the same id. */
  readonly nonce: number;
  /** The room. */
  readonly room: string;
  /** The message body. */
  readonly body: string;
  /** Attempts made so far (0 until first written to a socket). */
  attempts: number;
  /** `now()` of the last attempt. */
  lastSentAt: number;
  /** Settles the caller's promise with the ack. */
  readonly resolve: (ack: Ack) => void;
  /** Settles the caller's promise with an error. */
  readonly reject: (error: Error) => void;
}

/** Unacked sends in the order they were made, keyed by message id. */
export class Outbox {
  readonly #entries = new Map<string, OutboxEntry>();

  /** How many sends wait for an ack. */
  get size(): number {
    return this.#entries.size;
  }

  /** Add a send. */
  add(entry: OutboxEntry): void {
    this.#entries.set(entry.id, entry);
  }

  /** The send with this id, if it is still waiting. */
  get(id: string): OutboxEntry | undefined {
    return this.#entries.get(id);
  }

  /** Remove and return the send with this id, if it is still waiting. */
  take(id: string): OutboxEntry | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry;
  }

  /** The waiting sends, oldest first (a snapshot, safe to modify the outbox while iterating). */
  entries(): OutboxEntry[] {
    return [...this.#entries.values()];
  }
}
