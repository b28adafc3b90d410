import SQLite from 'better-sqlite3';
import { migrate, openSqliteStore } from '../../../src/store/index.js';
import { MessageIds } from '../message-ids.js';

/** The batched-insert ceiling. */
export interface SqliteCeiling {
  rowsPerSec: number;
  rowsPerTxn: number;
  synchronous: 'FULL';
  transactions: number;
}

/**
 * The SQLite ceiling: better-sqlite3 in this process, the deliverylab schema, WAL,
 * synchronous=FULL, `rowsPerTxn` plain INSERTs per transaction of time-ordered ids in 100 rooms,
 * for `durationMs`. Nothing else: no id lookup, no room head (the send path's transaction, with
 * both, is the store's own; the micro-benchmarks time it).
 */
export async function measureSqliteInserts(file: string, o: { durationMs: number; rowsPerTxn?: number; bodyBytes: number }): Promise<SqliteCeiling> {
  const rowsPerTxn = o.rowsPerTxn ?? 1000;
  const store = openSqliteStore(file);
  await migrate(store.db, { dedup: true });
  await store.close();
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const insert = db.prepare('INSERT INTO messages (id, room, seq, sender, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const ids = new MessageIds('sq');
    const body = 'x'.repeat(o.bodyBytes);
    const rooms = 100;
    const perRoom = Math.ceil(rowsPerTxn / rooms);
    // Transaction t writes seqs t·perRoom+1 … (t+1)·perRoom of every room: distinct, and known in advance.
    const txn = db.transaction((t: number) => {
      const now = Date.now();
      for (let r = 0; r < rooms; r++) for (let i = 1; i <= perRoom; i++) insert.run(ids.next(), `ceiling-r${r}`, t * perRoom + i, 'u', body, now);
    });
    let n = 0;
    const started = performance.now();
    while (performance.now() - started < o.durationMs) txn.immediate(n++);
    const sec = (performance.now() - started) / 1000;
    return { rowsPerSec: Math.round((n * perRoom * rooms) / sec), rowsPerTxn: perRoom * rooms, synchronous: 'FULL', transactions: n };
  } finally {
    db.close();
  }
}
