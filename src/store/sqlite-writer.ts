import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { CommitRules, Database } from './database.js';
import { assignSeqs, finishCommit, planCommit, type KnownRow } from './commit-plan.js';
import type { CommitResult, PendingSend } from '../protocol/index.js';

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
  readonly #lookup: SQLite.Statement<unknown[], KnownRow>;
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
    this.#lookup = prepare(db.selectFrom('messages').select(['room', 'seq', 'sender', 'body', 'created_at']).where('id', '=', '?'), 1) as SQLite.Statement<unknown[], KnownRow>;
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
    const stored = new Map<string, KnownRow | undefined>();
    const plan = planCommit(sends, (id) => {
      if (!stored.has(id)) stored.set(id, this.#lookup.get(id));
      return stored.get(id);
    }, { dedup, conflicts });
    for (const [room, idxs] of plan.fresh) {
      const head = this.#bumpHead.get(room, idxs.length)!.head;
      for (const r of assignSeqs(plan, room, head, now)) this.#insert.run(r.id, r.room, r.seq, r.sender, r.body, r.created_at);
    }
    return finishCommit(plan);
  }
}
