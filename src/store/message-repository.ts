import { sql } from 'kysely';
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
const INSERT_CHUNK = 150;

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
    const results = await commitOnce(store, sends, opts);
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

/** One attempt: undefined when the write lock was taken (nothing was done). */
async function commitOnce(store: Store, sends: readonly PendingSend[], opts: { dedup: boolean }): Promise<CommitResult[] | undefined> {
  return store.db.connection().execute(async (conn) => {
    if (!(await store.tryBeginWrite(conn))) return undefined;
    try {
      const now = Date.now();
      const results: (CommitResult | undefined)[] = new Array(sends.length);
      const known = new Map<string, { room: string; seq: number; sender: string; body: string; createdAt: number }>();
      if (opts.dedup) {
        for (const ids of chunks([...new Set(sends.map((s) => s.id))], ID_CHUNK)) {
          const rows = await conn.selectFrom('messages').select(['id', 'room', 'seq', 'sender', 'body', 'created_at']).where('id', 'in', ids).execute();
          for (const r of rows) known.set(r.id, { room: r.room, seq: r.seq, sender: r.sender, body: r.body, createdAt: r.created_at });
        }
      }
      // Sends that need a new row, grouped by room in arrival order.
      const fresh = new Map<string, number[]>();
      const firstIndexOf = new Map<string, number>();
      sends.forEach((s, i) => {
        if (opts.dedup) {
          const k = known.get(s.id);
          if (k) {
            results[i] = k.room === s.room && k.sender === s.sender && k.body === s.body
              ? { kind: 'committed', seq: k.seq, createdAt: k.createdAt, duplicate: true }
              : { kind: 'conflict', existing: { room: k.room, seq: k.seq } };
            return;
          }
          const first = firstIndexOf.get(s.id);
          if (first !== undefined) return; // resolved from its first occurrence below
          firstIndexOf.set(s.id, i);
        }
        const list = fresh.get(s.room);
        if (list) list.push(i);
        else fresh.set(s.room, [i]);
      });
      const rows: MessagesTable[] = [];
      for (const [room, idxs] of fresh) {
        const { head } = await conn
          .insertInto('rooms')
          .values({ name: room, head: idxs.length })
          .onConflict((oc) => oc.column('name').doUpdateSet({ head: sql<number>`rooms.head + excluded.head` }))
          .returning('head')
          .executeTakeFirstOrThrow();
        let seq = head - idxs.length;
        for (const i of idxs) {
          const s = sends[i]!;
          seq += 1;
          rows.push({ id: s.id, room, seq, sender: s.sender, body: s.body, created_at: now });
          results[i] = { kind: 'committed', seq, createdAt: now, duplicate: false };
        }
      }
      for (const part of chunks(rows, INSERT_CHUNK)) await conn.insertInto('messages').values(part).execute();
      await sql`commit`.execute(conn);
      // Later occurrences of an id within the batch are retries of the first one.
      return sends.map((s, i) => {
        const r = results[i];
        if (r) return r;
        const first = results[firstIndexOf.get(s.id)!]!;
        if (first.kind !== 'committed') return first;
        const f = sends[firstIndexOf.get(s.id)!]!;
        return f.room === s.room && f.sender === s.sender && f.body === s.body
          ? { ...first, duplicate: true }
          : { kind: 'conflict', existing: { room: f.room, seq: first.seq } };
      });
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
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
