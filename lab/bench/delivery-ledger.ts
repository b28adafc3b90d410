import type { Verification } from './load-messages.js';

/** Database rows of one room: message id by seq. */
export type RoomRows = ReadonlyMap<number, string>;

/** The most deliveries of one seq to one member counted before the counter saturates. */
const COUNT_MAX = 255;

/**
 * What one room's members sent, had acked and received, so the end of a round can say which acked
 * message is missing from the database or from a member, and which received one nobody committed.
 */
export class RoomLedger {
  readonly room: string;
  readonly #acked = new Map<string, number>();
  readonly #idBySeq: (string | undefined)[] = [];
  readonly #seen: Uint8Array[];
  #distinct = 0;
  #duplicates = 0;
  #conflicts = 0;

  constructor(room: string, members: number) {
    this.room = room;
    this.#seen = Array.from({ length: members }, () => new Uint8Array(256));
  }

  /** Records an ack (id committed at seq). */
  onAck(id: string, seq: number): void {
    this.#acked.set(id, seq);
  }

  /** Records a delivery to member `m`; returns false for a repeat (counted as a duplicate unless it was asked for by a fetch). */
  onDeliver(m: number, id: string, seq: number, fetched = false): boolean {
    const known = this.#idBySeq[seq];
    if (known === undefined) this.#idBySeq[seq] = id;
    else if (known !== id) this.#conflicts += 1;
    let seen = this.#seen[m]!;
    if (seq >= seen.length) {
      const grown = new Uint8Array(Math.max(seq + 1, seen.length * 2));
      grown.set(seen);
      this.#seen[m] = seen = grown;
    }
    const n = seen[seq]!;
    if (n < COUNT_MAX) seen[seq] = n + 1;
    if (n === 0) {
      this.#distinct += 1;
      return true;
    }
    if (!fetched) this.#duplicates += 1;
    return false;
  }

  /** Acked messages so far. */
  get acked(): number {
    return this.#acked.size;
  }

  /** Whether every member has received as many distinct messages as were acked. */
  get caughtUp(): boolean {
    return this.#distinct >= this.#acked.size * this.#seen.length;
  }

  /** The acked seqs member `m` has not received, ascending. */
  missing(m: number): number[] {
    const seen = this.#seen[m]!;
    const out: number[] = [];
    for (const seq of this.#acked.values()) if (!(seq < seen.length && seen[seq]! > 0)) out.push(seq);
    return out.sort((a, b) => a - b);
  }

  /** Checks acks and deliveries against the database rows of the room (or, without them, against the acks). */
  verify(rows: RoomRows | undefined): Omit<Verification, 'unacked' | 'checkedDb' | 'missedLive' | 'recoveredByFetch'> {
    let lost = 0;
    let lostFromDb = 0;
    let missingDeliveries = 0;
    for (const [id, seq] of this.#acked) {
      const inDb = rows === undefined || rows.get(seq) === id;
      let missing = 0;
      for (const seen of this.#seen) if (!(seq < seen.length && seen[seq]! > 0)) missing += 1;
      if (!inDb) lostFromDb += 1;
      missingDeliveries += missing;
      if (!inDb || missing > 0) lost += 1;
    }
    let phantoms = this.#conflicts;
    const ackedSeqs = rows === undefined ? new Map([...this.#acked].map(([id, seq]) => [seq, id])) : undefined;
    this.#idBySeq.forEach((id, seq) => {
      if (id === undefined) return;
      const truth = rows !== undefined ? rows.get(seq) : ackedSeqs!.get(seq);
      if (truth !== id) phantoms += 1;
    });
    return { lost, lostFromDb, missingDeliveries, phantoms, duplicates: this.#duplicates };
  }
}
