export { openSqliteStore, type Store, type Database, type MessagesTable, type RoomsTable, type SqliteStoreOptions } from './database.js';
export { migrate, type MigrationOptions } from './migrations/index.js';
export { commitBatch, readAfter, readHeads, WriteLockTimeoutError, type PendingSend, type CommitResult, type MessageRow } from './message-repository.js';
export { CommitBatcher, type CommitBatcherOptions } from './commit-batcher.js';
export { RemoteCommitter, answerCommitRequest, CommitRequest, CommitReply, WriterUnavailableError, type Committer, type RemoteCommitterOptions } from './remote-commit.js';
