import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { CommitRules, Database, MessagesTable } from './database.js';
import type { CommitResult, PendingSend } from '../protocol/index.js';

type Known = Pick<MessagesTable, 'room' | 'seq' | 'sender' | 'body' | 'created_at'>;

/**
 * The send path's write transaction on SQLite, on statements prepared once.
 *
 * kysely writes the SQL (typed against `Database`, compiled once here); better-sqlite3 prepares
 * it once and runs it synchronously. Going through kysely on every batch compiled and re-prepared
 * every statement, about twice the cost per row (NOTES.md, issue 4). A batch runs start to commit
 * without yielding, so nothing else on this connection can interleave with it.
 */
export class SqliteBatchWriter {
  readonly #conn: SQLite.Database;
  readonly #lookup: SQLite.Statement<unknown[], Known>;
  readonly #bumpHead: SQLite.Statement<unknown[], { head: number }>;
  readonly #insert: SQLite.Statement<unknown[]>;

  /**
   * `conn` is a connection of its own with busy_timeout 0 (BEGIN IMMEDIATE must fail at once when
   * another process holds the write lock: the wait is the caller's, asynchronous). `db` only compiles SQL.
   */
  constructor(conn: SQLite.Database, db: Kysely<Database>) {
    this.#conn = conn;
    const prepare = (q: { compile(): { sql: string; parameters: readonly unknown[] } }, params: number) => {
      const c = q.compile();
      if (c.parameters.length !== params) throw new Error(`expected ${params} parameters in: ${c.sql}`);
      return conn.prepare(c.sql);
    };
    this.#lookup = prepare(db.selectFrom('messages').select(['room', 'seq', 'sender', 'body', 'created_at']).where('id', '=', '?'), 1) as SQLite.Statement<unknown[], Known>;
    this.#bumpHead = prepare(
      db.insertInto('rooms')
        .values({ name: '?', head: 0 })
        .onConflict((oc) => oc.column('name').doUpdateSet({ head: sql<number>`rooms.head + excluded.head` }))
        .returning('head'),
      2,
    ) as SQLite.Statement<unknown[], { head: number }>;
    this.#insert = prepare(db.insertInto('messages').values({ id: '?', room: '?', seq: 0, sender: '?', body: '?', created_at: 0 }), 6);
  }

  /**
   * Commits a batch in one `BEGIN IMMEDIATE` transaction, or returns undefined (having done nothing)
   * when the write lock is held by another process right now.
   *
   * A retried id gets its original seq back (`duplicate: true`); the same id with other content is a
   * conflict; new messages take consecutive per-room seqs from `rooms.head`, in arrival order. With
   * `dedup: false` (the no-dedup seeded bug) ids are not looked up and every send is a new row.
   */
  tryCommit(sends: readonly PendingSend[], rules: CommitRules): CommitResult[] | undefined {
    // This connection is the writer's alone: a transaction still open here is one whose rollback failed.
    if (this.#conn.inTransaction) this.#conn.exec('ROLLBACK');
    try {
      this.#conn.exec('BEGIN IMMEDIATE');
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return undefined;
      throw err;
    }
    try {
      const results = this.#apply(sends, rules.dedup, rules.conflicts ?? true);
      this.#conn.exec('COMMIT');
      return results;
    } catch (err) {
      try {
        if (this.#conn.inTransaction) this.#conn.exec('ROLLBACK');
      } catch {
        // The next call tries again; the error that matters is the first one.
      }
      throw err;
    }
  }

  #apply(sends: readonly PendingSend[], dedup: boolean, conflicts: boolean): CommitResult[] {
    const now = Date.now();
    const results: (CommitResult | undefined)[] = new Array(sends.length);
    /** The committed row of each id looked up (undefined: new in this batch). */
    const stored = new Map<string, Known | undefined>();
    /** Index of a new id's first occurrence in this batch; later ones are its retries. */
    const firstOf = new Map<string, number>();
    /** Sends that need a new row, by room, in arrival order. */
    const fresh = new Map<string, number[]>();
    const againstRow = (s: PendingSend, k: Known): CommitResult => (!conflicts || (k.room === s.room && k.sender === s.sender && k.body === s.body)
      ? { kind: 'committed', seq: k.seq, createdAt: k.created_at, duplicate: true }
      : { kind: 'conflict', existing: { room: k.room, seq: k.seq } });
    for (let i = 0; i < sends.length; i++) {
      const s = sends[i]!;
      if (dedup) {
        let k: Known | undefined;
        if (stored.has(s.id)) k = stored.get(s.id);
        else stored.set(s.id, (k = this.#lookup.get(s.id)));
        // Every occurrence of a committed id is judged against its row.
        if (k) {
          results[i] = againstRow(s, k);
          continue;
        }
        if (firstOf.has(s.id)) continue;
        firstOf.set(s.id, i);
      }
      const list = fresh.get(s.room);
      if (list) list.push(i);
      else fresh.set(s.room, [i]);
    }
    for (const [room, idxs] of fresh) {
      let seq = this.#bumpHead.get(room, idxs.length)!.head - idxs.length;
      for (const i of idxs) {
        const s = sends[i]!;
        seq += 1;
        this.#insert.run(s.id, room, seq, s.sender, s.body, now);
        results[i] = { kind: 'committed', seq, createdAt: now, duplicate: false };
      }
    }
    for (let i = 0; i < sends.length; i++) {
      if (results[i]) continue;
      // A later occurrence of an id new in this batch: a retry of its first occurrence.
      const j = firstOf.get(sends[i]!.id)!;
      // The first occurrence of an id new in this batch always got a row.
      const first = results[j] as Extract<CommitResult, { kind: 'committed' }>;
      const s = sends[i]!;
      const f = sends[j]!;
      results[i] = !conflicts || (f.room === s.room && f.sender === s.sender && f.body === s.body)
        ? { ...first, duplicate: true }
        : { kind: 'conflict', existing: { room: f.room, seq: first.seq } };
    }
    return results as CommitResult[];
  }
}
