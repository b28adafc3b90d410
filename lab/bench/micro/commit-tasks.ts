import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { commitBatch, migrate, openSqliteStore, type PendingSend, type Store } from '../../../src/store/index.js';
import { MessageIds } from '../message-ids.js';
import type { MicroTask } from './micro-result.js';

const ROOMS = 10;

/** Opened stores the commit tasks use; close them after the run. */
export interface CommitFixture {
  tasks: MicroTask[];
  close(): Promise<void>;
}

/**
 * Commit batching on temp SQLite files (WAL, synchronous=FULL): the core's `commitBatch` with
 * batches of 1 and 100 sends, and the same 100-send transaction written directly on better-sqlite3
 * prepared statements for contrast (the core's statements are compiled by kysely, then prepared once).
 */
export async function commitTasks(dir: string, bodyBytes: number): Promise<CommitFixture> {
  const store: Store = openSqliteStore(join(dir, 'micro-commit.sqlite'), { synchronous: 'FULL' });
  await migrate(store.db, { dedup: true });
  const ids = new MessageIds('mc');
  const body = 'x'.repeat(bodyBytes);
  const sends = (n: number): PendingSend[] => Array.from({ length: n }, (_, i) => ({ id: ids.next(), room: `micro-r${i % ROOMS}`, sender: 'u', body }));

  const rawFile = join(dir, 'micro-raw.sqlite');
  const rawStore = openSqliteStore(rawFile);
  await migrate(rawStore.db, { dedup: true });
  await rawStore.close();
  const raw = new SQLite(rawFile);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  const select = raw.prepare('SELECT seq FROM messages WHERE id = ?');
  const bump = raw.prepare<[string, number], { head: number }>('INSERT INTO rooms (name, head) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET head = rooms.head + excluded.head RETURNING head');
  const insert = raw.prepare('INSERT INTO messages (id, room, seq, sender, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const rawBatch = raw.transaction((batch: PendingSend[]) => {
    const byRoom = new Map<string, PendingSend[]>();
    for (const s of batch) {
      if (select.get(s.id)) continue;
      const l = byRoom.get(s.room);
      if (l) l.push(s);
      else byRoom.set(s.room, [s]);
    }
    const now = Date.now();
    for (const [room, list] of byRoom) {
      let seq = bump.get(room, list.length)!.head - list.length;
      for (const s of list) insert.run(s.id, room, ++seq, s.sender, s.body, now);
    }
  });
  return {
    tasks: [
      { name: 'commitBatch (core): 1 send per transaction', fn: () => commitBatch(store, sends(1), { dedup: true }), itemsPerOp: 1, unit: 'rows' },
      { name: 'commitBatch (core): 100 sends per transaction', fn: () => commitBatch(store, sends(100), { dedup: true }), itemsPerOp: 100, unit: 'rows' },
      { name: 'raw better-sqlite3 statements: 100 sends per transaction', fn: () => rawBatch.immediate(sends(100)), itemsPerOp: 100, unit: 'rows' },
    ],
    close: async () => {
      await store.close();
      raw.close();
    },
  };
}
