import type { CommitResult, PendingSend } from '../protocol/index.js';

/**
 * The send path is one pipeline of three stages:
 *   1. the worker's `SendBatcher` (src/server/send-batcher.ts) turns one event-loop turn's sends into one batch;
 *   2. a `Writer` commits batches: the `GroupCommit` of the process that writes (the primary, the one
 *      writer, reached through `PrimaryWriter` over IPC; or the worker itself with `--writer worker`);
 *   3. the store's `commit`, one write transaction per group.
 * This is the interface of stage 2, as stage 1 sees it.
 */
export interface Writer {
  /** Commits a batch of sends; resolves with each send's outcome in order, or rejects when none was committed. */
  commit(sends: readonly PendingSend[]): Promise<CommitResult[]>;
}
