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
 * A worker's local rooms, in parts by a hash of their names, for the head broadcast: a turn comes every
 * interval ÷ turns and sends the heads of one part, so every room still gets its head once an interval
 * while the worker never reads and writes every room's head in one go (one part only when the interval
 * is under 100 ms). Turns are counted on the clock, not by timer firings: a timer that fires late (a busy
 * event loop) hands out every turn that came due meanwhile at once, so no part waits longer than it
 * would have with one timer for all rooms. At 10,000 connections (5,000 rooms on each worker) the one
 * burst per interval held messages back (NOTES.md, "Heads a part at a time").
 */
export class HeadTurns {
  readonly turns: number;
  readonly #intervalMs: number;
  readonly #parts: Set<string>[];
  /** The part the next turn sends. */
  #next = 0;
  /** When turn 0 came (the first call of `due`). */
  #t0: number | undefined;
  /** Turns handed out since t0. */
  #handedOut = 0;

  constructor(intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError(`the head interval must be positive, not ${intervalMs}`);
    this.turns = headTurnsOf(intervalMs);
    this.#intervalMs = intervalMs;
    this.#parts = Array.from({ length: this.turns }, () => new Set<string>());
  }

  /** A room gained its first local member. */
  add(room: string): void {
    this.#partOf(room).add(room);
  }

  /** A room lost its last local member. */
  delete(room: string): void {
    this.#partOf(room).delete(room);
  }

  /**
   * The rooms whose turn has come by `nowMs` (a monotonic clock, `performance.now()`) since the last call:
   * one part on time, several when the caller was late, every room once when it was a whole interval late.
   */
  due(nowMs: number): string[] {
    this.#t0 ??= nowMs;
    const dueTurns = Math.floor(((nowMs - this.#t0) * this.turns) / this.#intervalMs) + 1;
    const n = Math.min(dueTurns - this.#handedOut, this.turns);
    if (n <= 0) return [];
    this.#handedOut = dueTurns;
    const rooms: string[] = [];
    for (let i = 0; i < n; i++) {
      for (const r of this.#parts[this.#next]!) rooms.push(r);
      this.#next = (this.#next + 1) % this.turns;
    }
    return rooms;
  }

  #partOf(room: string): Set<string> {
    return this.#parts[roomHash(room) % this.turns]!;
  }
}
