/** The shortest time between two turns of a worker's head broadcast. */
export const HEAD_TURN_MIN_MS = 50;
/** The most turns one head interval is cut into. */
const MAX_TURNS = 20;

/** How many turns a head interval is cut into: one per HEAD_TURN_MIN_MS, at most MAX_TURNS (1000 ms: 20 turns of 50 ms). */
export function headTurnsOf(intervalMs: number): number {
  return Math.max(1, Math.min(MAX_TURNS, Math.floor(intervalMs / HEAD_TURN_MIN_MS)));
}

/** FNV-1a over the UTF-16 code units of a room name: the same room always falls in the same part. */
function roomHash(room: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < room.length; i++) {
    h ^= room.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A worker's local rooms, in `turns` parts by a hash of their names, for the head broadcast: each turn
 * sends the heads of one part, so every room still gets its head once an interval while the worker never
 * writes every room's head at once. With 5,000 local rooms, one burst of 5,000 head frames a second (a
 * database read of 5,000 heads, then a write to every connection) held the worker's other work back and
 * made the p99 latency of messages three to six times what it was without heads (NOTES.md).
 */
export class HeadTurns {
  readonly turns: number;
  readonly #parts: Set<string>[];
  #next = 0;

  constructor(turns: number) {
    if (!Number.isInteger(turns) || turns < 1) throw new RangeError(`turns must be a positive integer, not ${turns}`);
    this.turns = turns;
    this.#parts = Array.from({ length: turns }, () => new Set<string>());
  }

  /** A room gained its first local member. */
  add(room: string): void {
    this.#partOf(room).add(room);
  }

  /** A room lost its last local member. */
  delete(room: string): void {
    this.#partOf(room).delete(room);
  }

  /** The rooms of the next turn's part (the parts come in order, over and over). */
  nextTurn(): string[] {
    const part = this.#parts[this.#next]!;
    this.#next = (this.#next + 1) % this.turns;
    return [...part];
  }

  #partOf(room: string): Set<string> {
    return this.#parts[roomHash(room) % this.turns]!;
  }
}
