import type { DbMessage } from '../history/events.js';

/** The database's message rows by id; more than one row per id only when ids are not unique. */
export class RowIndex {
  readonly #first = new Map<string, DbMessage>();
  readonly #more = new Map<string, DbMessage[]>();

  constructor(messages: readonly DbMessage[]) {
    for (const row of messages) {
      const first = this.#first.get(row.id);
      if (first === undefined) {
        this.#first.set(row.id, row);
        continue;
      }
      const more = this.#more.get(row.id);
      if (more === undefined) this.#more.set(row.id, [first, row]);
      else more.push(row);
    }
  }

  /** How many distinct ids there are. */
  get size(): number {
    return this.#first.size;
  }

  /** Every row of this id (empty if none). */
  all(id: string): readonly DbMessage[] {
    const more = this.#more.get(id);
    if (more !== undefined) return more;
    const first = this.#first.get(id);
    return first === undefined ? [] : [first];
  }

  /** A row of this id in this room at this seq, if there is one. */
  match(id: string, room: string, seq: number): DbMessage | undefined {
    const first = this.#first.get(id);
    if (first === undefined) return undefined;
    if (first.room === room && first.seq === seq) return first;
    return this.#more.get(id)?.find((r) => r.room === room && r.seq === seq);
  }

  /** The ids that have more than one row, with their rows. */
  duplicates(): ReadonlyMap<string, readonly DbMessage[]> {
    return this.#more;
  }
}

const cache = new WeakMap<readonly DbMessage[], { length: number; index: RowIndex }>();

/** The row index of a snapshot's messages, built once per array. */
export function rowIndex(messages: readonly DbMessage[]): RowIndex {
  const hit = cache.get(messages);
  if (hit !== undefined && hit.length === messages.length) return hit.index;
  const index = new RowIndex(messages);
  cache.set(messages, { length: messages.length, index });
  return index;
}
