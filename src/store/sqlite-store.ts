import { closeSync, existsSync, openSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Synchronous } from '../protocol/index.js';
import type { Database, Store } from './database.js';
import { SqliteBatchWriter } from './sqlite-writer.js';

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** `FULL` makes an ack mean "on disk"; group commit keeps it cheap. @default 'FULL' */
  synchronous?: Synchronous;
  /** How long a writer waits for another process's write lock (and a reader for a checkpoint). @default 10000 */
  busyTimeoutMs?: number;
  /** Open read-only. @default false */
  readonly?: boolean;
}

/** The database's write lock stayed with another process longer than the store's bound. */
export class WriteLockTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database write lock was held by another process for ${Math.round(waitedMs)} ms; retry the send with the same id`);
    this.name = 'WriteLockTimeoutError';
  }
}

/** Opens a SQLite file in WAL mode as a store. */
export function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Store {
  // The writer opens a second connection to the same file: an in-memory database would be a different one.
  if (file === '' || file === ':memory:' || file.startsWith('file::memory:')) throw new Error('the store needs a database file (it opens a reader and a writer connection)');
  const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
  const synchronous = opts.synchronous ?? 'FULL';
  // A new database is readable by its owner alone (its WAL and shared-memory files take the same mode):
  // it holds every room's messages, members-only ones too.
  if (!opts.readonly && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const sqlite = new SQLite(file, { readonly: opts.readonly ?? false });
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  if (!opts.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${synchronous}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  // The send path writes on a connection of its own, on prepared statements. better-sqlite3 is
  // synchronous: SQLite's busy handler would sleep inside the event loop (in steps of up to 100 ms)
  // while another process holds the write lock. So this connection never waits (busy_timeout 0), and
  // the wait happens here, asynchronously, while reads and the sockets go on.
  let writer: { conn: SQLite.Database; batch: SqliteBatchWriter } | undefined;
  const writerOf = () => {
    if (writer) return writer;
    const conn = new SQLite(file);
    conn.pragma('busy_timeout = 0');
    conn.pragma(`synchronous = ${synchronous}`);
    writer = { conn, batch: new SqliteBatchWriter(conn, db) };
    return writer;
  };
  return {
    db,
    commit: async (sends, o) => {
      if (opts.readonly) throw new Error('this store was opened read-only');
      const started = performance.now();
      for (let attempt = 0; ; attempt++) {
        const results = writerOf().batch.tryCommit(sends, o);
        if (results) return results;
        const waitedMs = performance.now() - started;
        if (waitedMs > busyTimeoutMs) throw new WriteLockTimeoutError(waitedMs);
        // Another process holds the write lock: back off (1, 2, 4, 8 ms, jittered) without blocking the loop.
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 8) * (0.5 + Math.random() / 2)));
      }
    },
    close: async () => {
      writer?.conn.close();
      await db.destroy();
    },
  };
}
