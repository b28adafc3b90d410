// Arrays beat Sets for the few clients most messages reach; past this many, membership tests switch to a Set.
const SET_AT = 16;

/** Which streams (a client in a room, interned as a small integer) were handed each message id. */
export class SeenBy {
  readonly #streams = new Map<string, Map<string, number>>();
  readonly #byId = new Map<string, number[] | Set<number>>();
  #next = 0;

  /** The integer of the stream of `client` in `room`, made on first use. */
  stream(client: string, room: string): number {
    let rooms = this.#streams.get(client);
    if (rooms === undefined) this.#streams.set(client, (rooms = new Map()));
    let s = rooms.get(room);
    if (s === undefined) rooms.set(room, (s = this.#next++));
    return s;
  }

  /** Records that `stream` was handed `id`; false if it had been already. */
  add(id: string, stream: number): boolean {
    const seen = this.#byId.get(id);
    if (seen === undefined) {
      this.#byId.set(id, [stream]);
      return true;
    }
    if (Array.isArray(seen)) {
      if (seen.includes(stream)) return false;
      seen.push(stream);
      if (seen.length >= SET_AT) this.#byId.set(id, new Set(seen));
      return true;
    }
    if (seen.has(stream)) return false;
    seen.add(stream);
    return true;
  }

  /** Whether `stream` was handed `id`. */
  has(id: string, stream: number): boolean {
    const seen = this.#byId.get(id);
    if (seen === undefined) return false;
    return Array.isArray(seen) ? seen.includes(stream) : seen.has(stream);
  }
}
