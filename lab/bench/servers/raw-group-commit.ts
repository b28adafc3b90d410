import SQLite from 'better-sqlite3';

/** A send to commit. */
export interface RawSend {
  id: string;
  room: string;
  sender: string;
  body: string;
}

/** The outcome of committing one send (same meaning as the core's CommitResult). */
export type RawOutcome =
  | { ok: true; seq: number; createdAt: number; duplicate: boolean }
  | { ok: false; reason: 'conflict' | 'error'; detail: string };

/** Called once per send after its batch committed (or failed). */
export type RawCallback = (o: RawOutcome) => void;

/** Options of a RawGroupCommit. */
export interface RawGroupCommitOptions {
  /** Most sends in one transaction. @default 1000 */
  maxBatch?: number;
  /** SQLite synchronous setting. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
}

interface Queued { send: RawSend; cb: RawCallback }

/**
 * Group commit the simplest way, straight on better-sqlite3 prepared statements: the sends queued
 * during one event-loop turn go into one `BEGIN IMMEDIATE` transaction (id lookup for retries, per-room
 * seq from `rooms.head`, insert), on the deliverylab schema. The bench's single-process ceilings
 * persist through it (and the peer, with `store: 'raw'`).
 */
export class RawGroupCommit {
  readonly #db: SQLite.Database;
  readonly #select: SQLite.Statement<[string], { room: string; seq: number; sender: string; body: string; created_at: number }>;
  readonly #bumpHead: SQLite.Statement<[string, number], { head: number }>;
  readonly #insert: SQLite.Statement<[string, string, number, string, string, number]>;
  readonly #commit: (batch: Queued[]) => RawOutcome[];
  readonly #maxBatch: number;
  #queue: Queued[] = [];
  #scheduled = false;

  /** Opens (WAL, busy timeout) a database already migrated to the deliverylab schema. */
  constructor(file: string, opts: RawGroupCommitOptions = {}) {
    this.#maxBatch = opts.maxBatch ?? 1000;
    this.#db = new SQLite(file);
    this.#db.pragma('busy_timeout = 10000');
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    this.#select = this.#db.prepare('SELECT room, seq, sender, body, created_at FROM messages WHERE id = ?');
    this.#bumpHead = this.#db.prepare('INSERT INTO rooms (name, head) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET head = rooms.head + excluded.head RETURNING head');
    this.#insert = this.#db.prepare('INSERT INTO messages (id, room, seq, sender, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#commit = this.#db.transaction((batch: Queued[]) => this.#apply(batch)).immediate;
  }

  /** Queues a send for the next group commit. */
  submit(send: RawSend, cb: RawCallback): void {
    this.#queue.push({ send, cb });
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      let out: RawOutcome[];
      try {
        out = this.#commit(batch);
      } catch (e) {
        this.#fail(batch, e);
        continue;
      }
      for (let i = 0; i < batch.length; i++) batch[i]!.cb(out[i]!);
    }
  }

  #takeBatch(): Queued[] {
    const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
    this.#queue = this.#queue.length <= this.#maxBatch ? [] : this.#queue.slice(this.#maxBatch);
    return batch;
  }

  #fail(batch: Queued[], e: unknown): void {
    const detail = e instanceof Error ? e.message : String(e);
    for (const q of batch) q.cb({ ok: false, reason: 'error', detail });
  }

  #apply(batch: Queued[]): RawOutcome[] {
    const now = Date.now();
    const out: (RawOutcome | undefined)[] = new Array(batch.length);
    const fresh = new Map<string, number[]>();
    const firstOf = new Map<string, number>();
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i]!.send;
      if (firstOf.has(s.id)) continue; // a retry within the batch: resolved from its first occurrence
      firstOf.set(s.id, i);
      const row = this.#select.get(s.id);
      if (row) {
        out[i] = row.room === s.room && row.sender === s.sender && row.body === s.body
          ? { ok: true, seq: row.seq, createdAt: row.created_at, duplicate: true }
          : { ok: false, reason: 'conflict', detail: `id ${s.id} is already room ${row.room} seq ${row.seq}` };
        continue;
      }
      const idxs = fresh.get(s.room);
      if (idxs) idxs.push(i);
      else fresh.set(s.room, [i]);
    }
    for (const [room, idxs] of fresh) {
      let seq = this.#bumpHead.get(room, idxs.length)!.head - idxs.length;
      for (const i of idxs) {
        const s = batch[i]!.send;
        seq += 1;
        this.#insert.run(s.id, room, seq, s.sender, s.body, now);
        out[i] = { ok: true, seq, createdAt: now, duplicate: false };
      }
    }
    return batch.map(({ send: s }, i) => {
      const o = out[i];
      if (o) return o;
      const j = firstOf.get(s.id)!;
      const first = out[j]!;
      const f = batch[j]!.send;
      if (!first.ok) return first;
      return f.room === s.room && f.sender === s.sender && f.body === s.body
        ? { ...first, duplicate: true }
        : { ok: false, reason: 'conflict', detail: `id ${s.id} conflicts within the batch` };
    });
  }
}
