import { dirname, resolve } from 'node:path';
import type { Synchronous } from '../protocol/index.js';
import type { Store } from './database.js';
import { isPostgresUrl, openPostgresStore } from './postgres-store.js';
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

/** `db` as the processes of the core are given it: a SQLite file as an absolute path, a URL as it is. */
export function resolveDb(db: string): string {
  return isPostgresUrl(db) ? db : resolve(db);
}

/** Where the files kept beside the database go (the auth key): the SQLite file's folder, or `data/` for a database server. */
export function dbSideDir(db: string): string {
  return isPostgresUrl(db) ? resolve('data') : dirname(resolve(db));
}
