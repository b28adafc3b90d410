const BASE36_TIME_WIDTH = 9;
const COUNTER_WIDTH = 7;

/**
 * Makes time-ordered message ids (ULID-like: a millisecond time prefix, then a source tag and a
 * counter), so ids insert at the right edge of the primary-key B-tree.
 */
export class MessageIds {
  readonly #tag: string;
  #counter = 0;
  #lastMs = -1;
  #timePart = '';

  /** `tag` distinguishes the id sources of one run (letters and digits). */
  constructor(tag: string) {
    this.#tag = tag;
  }

  /** The next id: increasing within this source. */
  next(): string {
    const ms = Date.now();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#timePart = ms.toString(36).padStart(BASE36_TIME_WIDTH, '0');
    }
    this.#counter += 1;
    return `${this.#timePart}${this.#tag}${this.#counter.toString(36).padStart(COUNTER_WIDTH, '0')}`;
  }
}
