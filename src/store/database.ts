import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Generated } from 'kysely';
import type { CommitResult, PendingSend } from './message-repository.js';
import { SqliteBatchWriter } from './sqlite-writer.js';

/** The `messages` table: one row per committed message (the checker reads these columns). */
export interface MessagesTable {
  id: string;
  room: string;
  seq: number;
  sender: string;
  body: string;
  created_at: number;
}

/** The `rooms` table: a room's committed head (its highest seq). */
export interface RoomsTable {
  name: string;
  head: number;
}

/** Migration bookkeeping written by the store's migrator. */
export interface SchemaTable {
  name: string;
  applied_at: Generated<number>;
}

/** The typed database every store function takes. */
export interface Database {
  messages: MessagesTable;
  rooms: RoomsTable;
  dl_schema: SchemaTable;
}

/** A store handle: the kysely instance plus the dialect facts the repository needs. */
export interface Store {
  db: Kysely<Database>;
  /**
   * Commits a batch of sends in one write transaction without waiting for the write lock: resolves
   * undefined, having done nothing, when another process holds it right now (the caller retries later).
   */
  tryCommit(sends: readonly PendingSend[], opts: { dedup: boolean }): Promise<CommitResult[] | undefined>;
  /** How long to wait before write attempt `attempt` + 1, or undefined once the lock wait is over its bound. */
  writeRetryDelayMs(attempt: number, waitedMs: number): number | undefined;
  /** Closes the connections (the readers' and, if it was opened, the writer's). */
  close(): Promise<void>;
}

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** `FULL` makes an ack mean "on disk"; group commit keeps it cheap. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** How long a writer waits for another process's write lock (and a reader for a checkpoint). @default 10000 */
  busyTimeoutMs?: number;
  /** Open read-only (the lab's final reads). @default false */
  readonly?: boolean;
}

/** Opens a SQLite file in WAL mode as a store. */
export function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Store {
  // The writer opens a second connection to the same file: an in-memory database would be a different one.
  if (file === '' || file === ':memory:' || file.startsWith('file::memory:')) throw new Error('the store needs a database file (it opens a reader and a writer connection)');
  const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
  const sqlite = new SQLite(file, { readonly: opts.readonly ?? false });
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  if (!opts.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  // The send path writes on a connection of its own, on prepared statements. better-sqlite3 is
  // synchronous: SQLite's busy handler would sleep inside the event loop (in steps of up to 100 ms)
  // while another worker holds the write lock. So this connection never waits (busy_timeout 0), and
  // the wait happens in commitBatch, asynchronously, while reads and the sockets go on.
  let writer: { conn: SQLite.Database; batch: SqliteBatchWriter } | undefined;
  const writerOf = () => {
    if (writer) return writer;
    const conn = new SQLite(file);
    conn.pragma('busy_timeout = 0');
    conn.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    writer = { conn, batch: new SqliteBatchWriter(conn, db) };
    return writer;
  };
  return {
    db,
    tryCommit: async (sends, o) => {
      if (opts.readonly) throw new Error('this store was opened read-only');
      return writerOf().batch.tryCommit(sends, o.dedup);
    },
    writeRetryDelayMs: (attempt, waitedMs) => (waitedMs > busyTimeoutMs ? undefined : Math.min(2 ** attempt, 8) * (0.5 + Math.random() / 2)),
    close: async () => {
      writer?.conn.close();
      await db.destroy();
    },
  };
}
