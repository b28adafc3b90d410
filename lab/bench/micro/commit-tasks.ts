import { join } from 'node:path';
import type { PendingSend } from '../../../src/protocol/index.js';
import { GroupCommit, migrate, openSqliteStore, type Store } from '../../../src/store/index.js';
import { MessageIds } from '../message-ids.js';
import type { MicroTask } from './micro-result.js';

const ROOMS = 10;
/** Sends per transaction in the batched tasks. */
const BATCH = 100;

/** Opened stores the commit tasks use; close them after the run. */
export interface CommitFixture {
  tasks: MicroTask[];
  close(): Promise<void>;
}

/**
 * The core's send-path transaction on a temp SQLite file (WAL, synchronous=FULL), timed through the
 * store itself: `Store.commit` with 1 and 100 sends per transaction, and `GroupCommit` handed 100
 * batches of one send at once (as a writer is by the workers), which it merges into one transaction.
 * The raw ceiling without id lookup and room heads is `ceilings/sqlite-inserts.ts`.
 */
export async function commitTasks(dir: string, bodyBytes: number): Promise<CommitFixture> {
  const store: Store = openSqliteStore(join(dir, 'micro-commit.sqlite'), { synchronous: 'FULL' });
  await migrate(store.db, { dedup: true });
  const group = new GroupCommit(store, { dedup: true });
  const ids = new MessageIds('mc');
  const body = 'x'.repeat(bodyBytes);
  const sends = (n: number): PendingSend[] => Array.from({ length: n }, (_, i) => ({ id: ids.next(), room: `micro-r${i % ROOMS}`, sender: 'u', body }));
  return {
    tasks: [
      { name: 'Store.commit (core): 1 send per transaction', fn: () => store.commit(sends(1), { dedup: true }), itemsPerOp: 1, unit: 'rows' },
      { name: `Store.commit (core): ${BATCH} sends per transaction`, fn: () => store.commit(sends(BATCH), { dedup: true }), itemsPerOp: BATCH, unit: 'rows' },
      { name: `GroupCommit (core): ${BATCH} batches of 1 send, merged`, fn: () => Promise.all(sends(BATCH).map((s) => group.commit([s]))), itemsPerOp: BATCH, unit: 'rows' },
    ],
    close: async () => {
      await group.idle();
      await store.close();
    },
  };
}
