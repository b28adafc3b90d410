/** Anything with a per-room sequence number. */
export interface Sequenced {
  /** The per-room sequence number (1 for the first message). */
  readonly seq: number;
}

/** Settings of a `ReorderBuffer`. */
export interface ReorderBufferOptions {
  /** Highest seq already delivered. @default 0 */
  cursor?: number;
  /** Drop items with seq <= cursor; when false they are handed out again. @default true */
  dedup?: boolean;
  /** Deliver an item beyond a gap at once and skip the gap (plain pub/sub, no gap fill). @default false */
  skipGaps?: boolean;
}

/** What `offer` did with an item. */
export type OfferResult<T> =
  /** Delivered: the item and the buffered successors it released, in seq order. */
  | { kind: 'deliver'; items: T[] }
  /** seq <= cursor, or a seq already buffered; `redeliver` is true when dedup is off and it must go to the application again. */
  | { kind: 'duplicate'; item: T; redeliver: boolean }
  /** Held back behind a gap; seqs cursor+1 .. gapUpto are missing. */
  | { kind: 'buffered'; gapUpto: number };

/**
 * Turns messages that arrive in any order, repeated or with gaps, into one gapless stream in seq
 * order (seq = cursor+1 is delivered and drains its successors, seq <= cursor is a duplicate,
 * seq > cursor+1 waits for the gap to be filled).
 */
export class ReorderBuffer<T extends Sequenced> {
  #cursor: number;
  readonly #dedup: boolean;
  readonly #skipGaps: boolean;
  readonly #pending = new Map<number, T>();

  constructor(options: ReorderBufferOptions = {}) {
    this.#cursor = options.cursor ?? 0;
    this.#dedup = options.dedup ?? true;
    this.#skipGaps = options.skipGaps ?? false;
  }

  /** Highest seq delivered contiguously. */
  get cursor(): number {
    return this.#cursor;
  }

  /** How many items wait behind a gap. */
  get size(): number {
    return this.#pending.size;
  }

  /** The lowest buffered seq, or null when nothing waits. */
  lowestBuffered(): number | null {
    let lowest: number | null = null;
    for (const seq of this.#pending.keys()) if (lowest === null || seq < lowest) lowest = seq;
    return lowest;
  }

  /** Take one item and say whether it is delivered (with what it releases), a duplicate, or buffered. */
  offer(item: T): OfferResult<T> {
    if (item.seq <= this.#cursor) return { kind: 'duplicate', item, redeliver: !this.#dedup };
    if (item.seq === this.#cursor + 1 || this.#skipGaps) {
      this.#cursor = item.seq;
      const items = [item];
      for (let next = this.#pending.get(this.#cursor + 1); next !== undefined; next = this.#pending.get(this.#cursor + 1)) {
        this.#pending.delete(next.seq);
        this.#cursor = next.seq;
        items.push(next);
      }
      return { kind: 'deliver', items };
    }
    // A second copy of a buffered seq is always dropped: handing it out now would break seq order.
    if (this.#pending.has(item.seq)) return { kind: 'duplicate', item, redeliver: false };
    this.#pending.set(item.seq, item);
    return { kind: 'buffered', gapUpto: (this.lowestBuffered() ?? item.seq) - 1 };
  }
}
