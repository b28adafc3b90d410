import { dirname, resolve } from 'node:path';

/** Whether `db` names a PostgreSQL database (`postgres://` or `postgresql://`) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** `db` as the processes of the core are given it: a SQLite file as an absolute path, a URL as it is. */
export function resolveDb(db: string): string {
  return isPostgresUrl(db) ? db : resolve(db);
}

/** Where the files kept beside the database go (the auth key): the SQLite file's folder, or `data/` for a database server. */
export function dbSideDir(db: string): string {
  return isPostgresUrl(db) ? resolve('data') : dirname(resolve(db));
}
