import SQLite from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl } from '../../src/protocol/node/db-location.js';
import type { DbSnapshot, DbMessage, DbRoom } from './events.js';

/** Reads the database truth the checkers judge against, straight from the SQLite file (read-only). */
export function readDbSnapshot(file: string): DbSnapshot {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const messages = db.prepare('SELECT id, room, seq, sender, body, created_at FROM messages ORDER BY room, seq').all() as DbMessage[];
    const rooms = db.prepare('SELECT name, head FROM rooms ORDER BY name').all() as DbRoom[];
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    return { messages, rooms, integrity };
  } finally {
    db.close();
  }
}

/** The committed head of every room, read from the database file. */
export function readDbHeads(file: string): Map<string, number> {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    return new Map((db.prepare('SELECT name, head FROM rooms').all() as DbRoom[]).map((r) => [r.name, r.head]));
  } finally {
    db.close();
  }
}

/** The database truth of a run, whatever the dialect: read by the settle loop (heads) and the checkers (snapshot). */
export interface Truth {
  /** The SQLite file or the PostgreSQL URL. */
  readonly location: string;
  readonly dialect: 'sqlite' | 'postgres';
  snapshot(): Promise<DbSnapshot>;
  heads(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Opens the truth at `location`: a `postgres://` URL or a SQLite file. */
export function openTruth(location: string): Truth {
  if (!isPostgresUrl(location)) {
    return { location, dialect: 'sqlite', snapshot: async () => readDbSnapshot(location), heads: async () => readDbHeads(location), close: async () => undefined };
  }
  const pool = new pg.Pool({ connectionString: location, max: 1, types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser } });
  pool.on('error', () => {});
  const heads = async () => new Map((await pool.query<DbRoom>('select name, head from rooms')).rows.map((r) => [r.name, r.head]));
  return {
    location,
    dialect: 'postgres',
    heads,
    snapshot: async () => {
      // One snapshot of both tables: a repeatable-read transaction sees one moment of the database.
      const c = await pool.connect();
      try {
        await c.query('begin isolation level repeatable read read only');
        const messages = (await c.query<DbMessage>('select id, room, seq, sender, body, created_at from messages order by room collate "C", seq')).rows;
        const rooms = (await c.query<DbRoom>('select name, head from rooms order by name collate "C"')).rows;
        await c.query('commit');
        // PostgreSQL has no counterpart of SQLite's integrity_check that a role without superuser may run;
        // the structural checks (heads, one row per seq) still judge what was read.
        return { messages, rooms, integrity: ['ok'] };
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Writes a snapshot as a SQLite file (`messages` and `rooms`), so a run on PostgreSQL keeps its truth in its own folder once the database is dropped. */
export function writeSnapshotFile(file: string, snapshot: DbSnapshot): void {
  const db = new SQLite(file);
  try {
    db.exec('create table messages (id text not null, room text not null, seq integer not null, sender text not null, body text not null, created_at integer not null);' +
      'create table rooms (name text primary key, head integer not null)');
    db.transaction(() => {
      const m = db.prepare('insert into messages values (?, ?, ?, ?, ?, ?)');
      for (const r of snapshot.messages) m.run(r.id, r.room, r.seq, r.sender, r.body, r.created_at);
      const h = db.prepare('insert into rooms values (?, ?)');
      for (const r of snapshot.rooms) h.run(r.name, r.head);
    })();
  } finally {
    db.close();
  }
}
