import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Generated } from 'kysely';

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
  /** The SQL that opens a write transaction (SQLite takes the write lock up front). */
  beginSql: 'begin immediate' | 'begin';
  /** Closes the connection. */
  close(): Promise<void>;
}

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** `FULL` makes an ack mean "on disk"; group commit keeps it cheap. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** How long a writer waits for another process's write lock. @default 10000 */
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, beginSql: 'begin immediate', close: () => db.destroy() };
}
