// The database truth: the only module that imports kysely and a database driver.
export type { Store, Database, MessagesTable, RoomsTable, CommitRules } from './database.js';
export { openSqliteStore, WriteLockTimeoutError, type SqliteStoreOptions } from './sqlite-store.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { openStore, type StoreOptions } from './open-store.js';
export { isPostgresUrl, resolveDb, dbSideDir } from '../protocol/node/db-location.js';
export { migrate, type MigrationOptions } from './migrations/index.js';
export { readAfter, readAfterBounded, readHeads, probe, mayJoin, setRoomAccess, type MessageRow } from './message-repository.js';
export type { Writer } from './writer.js';
export { GroupCommit, type GroupCommitOptions } from './group-commit.js';
