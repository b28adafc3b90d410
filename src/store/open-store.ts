import type { Synchronous } from '../protocol/index.js';
import type { Store } from './database.js';
import { isPostgresUrl } from '../protocol/node/db-location.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';

/** Options of `openStore`, whatever the dialect. */
export interface StoreOptions {
  synchronous?: Synchronous;
  /** Open read-only (SQLite; a PostgreSQL store reads on the same connections). @default false */
  readonly?: boolean;
}

/** Opens the database `db` names: a `postgres://` URL is a PostgreSQL database, anything else a SQLite file. */
export function openStore(db: string, opts: StoreOptions = {}): Store {
  if (isPostgresUrl(db)) return openPostgresStore(db, opts.synchronous ? { synchronous: opts.synchronous } : {});
  return openSqliteStore(db, opts);
}

