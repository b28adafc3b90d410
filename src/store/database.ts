import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Generated } from 'kysely';

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
   * Opens a write transaction on `conn` without blocking the event loop: false when another process
   * holds the write lock right now (the caller releases the connection and retries later).
   */
  tryBeginWrite(conn: Kysely<Database>): Promise<boolean>;
  /** How long to wait before write attempt `attempt` + 1, or undefined once the lock wait is over its bound. */
  writeRetryDelayMs(attempt: number, waitedMs: number): number | undefined;
  /** Closes the connection. */
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
  const sqlite = new SQLite(file, { readonly: opts.readonly ?? false });
  sqlite.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
  if (!opts.readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  }
  const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    // better-sqlite3 is synchronous: SQLite's busy handler would sleep inside the event loop (in steps
    // of up to 100 ms) while the other worker holds the write lock. So the write lock is tried without
    // waiting, and the wait happens here, asynchronously, while reads and the sockets go on.
    tryBeginWrite: async (conn) => {
      sqlite.pragma('busy_timeout = 0');
      try {
        await sql`begin immediate`.execute(conn);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
        throw err;
      } finally {
        sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    },
    writeRetryDelayMs: (attempt, waitedMs) => (waitedMs > busyTimeoutMs ? undefined : Math.min(2 ** attempt, 8) * (0.5 + Math.random() / 2)),
    close: () => db.destroy(),
  };
}
