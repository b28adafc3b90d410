import type { MessagesTable, Store } from './database.js';

/** A send waiting to be committed. */
export interface PendingSend {
  id: string;
  room: string;
  sender: string;
  body: string;
}

/** The outcome of committing one send. */
export type CommitResult =
  | { kind: 'committed'; seq: number; createdAt: number; duplicate: boolean }
  | { kind: 'conflict'; existing: { room: string; seq: number } };

/** A committed message row. */
export type MessageRow = MessagesTable;

const ID_CHUNK = 500;

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Commits a batch of sends in one write transaction: a retried id gets its original seq back
 * (`duplicate: true`), the same id with other content is a conflict, and new messages take
 * consecutive per-room seqs allocated from `rooms.head` in the same transaction.
 * With `dedup: false` (the no-dedup seeded bug) ids are not looked up and every send is a new row.
 */
export async function commitBatch(store: Store, sends: readonly PendingSend[], opts: { dedup: boolean }): Promise<CommitResult[]> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const results = await store.tryCommit(sends, opts);
    if (results) return results;
    const delayMs = store.writeRetryDelayMs(attempt, performance.now() - started);
    if (delayMs === undefined) throw new WriteLockTimeoutError(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** The database's write lock stayed with another process longer than the store's bound. */
export class WriteLockTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database write lock was held by another process for ${Math.round(waitedMs)} ms; retry the send with the same id`);
    this.name = 'WriteLockTimeoutError';
  }
}

/** Committed messages of a room with seq > after, in seq order, at most `limit`. */
export async function readAfter(store: Store, room: string, after: number, limit: number): Promise<MessageRow[]> {
  return store.db.selectFrom('messages').selectAll().where('room', '=', room).where('seq', '>', after).orderBy('seq').limit(limit).execute();
}

/** The committed heads of the given rooms (rooms with no message are absent). */
export async function readHeads(store: Store, rooms: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunks(rooms, ID_CHUNK)) {
    const rows = await store.db.selectFrom('rooms').select(['name', 'head']).where('name', 'in', part).execute();
    for (const r of rows) out.set(r.name, r.head);
  }
  return out;
}
