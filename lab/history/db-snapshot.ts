import SQLite from 'better-sqlite3';
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
