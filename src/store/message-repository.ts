import type { MessagesTable, Store } from './database.js';

/** A committed message row. */
export type MessageRow = MessagesTable;

const ID_CHUNK = 500;

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
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

/** Answers when the database can serve a read (a worker's /health). */
export async function probe(store: Store): Promise<void> {
  await store.db.selectFrom('rooms').select('name').limit(1).execute();
}

/** Whether `user` may join `room`: every room is open unless `room_access` makes it members-only, then only its members may. */
export async function mayJoin(store: Store, room: string, user: string): Promise<boolean> {
  const access = await store.db.selectFrom('room_access').select('mode').where('room', '=', room).executeTakeFirst();
  if (access === undefined) return true;
  const member = await store.db.selectFrom('room_members').select('user').where('room', '=', room).where('user', '=', user).executeTakeFirst();
  return member !== undefined;
}

/** Makes a room members-only with these members (added to any it has), or open again (`members` undefined). */
export async function setRoomAccess(store: Store, room: string, members: readonly string[] | undefined): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    if (members === undefined) {
      await tx.deleteFrom('room_access').where('room', '=', room).execute();
      await tx.deleteFrom('room_members').where('room', '=', room).execute();
      return;
    }
    await tx.insertInto('room_access').values({ room, mode: 'members' }).onConflict((c) => c.column('room').doNothing()).execute();
    for (const user of members) await tx.insertInto('room_members').values({ room, user }).onConflict((c) => c.columns(['room', 'user']).doNothing()).execute();
  });
}

/**
 * Committed messages of a room with seq > after, in seq order: at most `limit` rows, and once one is
 * taken, no more than `maxBytes` of them as `size` measures a row. The rows are read one at a time
 * and the read stops there, so a room of large messages costs what is answered, not what was asked
 * for. `more` is true when the room has rows beyond the answer.
 */
export async function readAfterBounded<T>(store: Store, room: string, after: number, limit: number, maxBytes: number, size: (r: MessageRow) => { bytes: number; value: T }): Promise<{ rows: T[]; more: boolean }> {
  const rows: T[] = [];
  let bytes = 0;
  let more = false;
  for await (const r of store.db.selectFrom('messages').selectAll().where('room', '=', room).where('seq', '>', after).orderBy('seq').limit(limit + 1).stream()) {
    if (rows.length === limit) { more = true; break; }
    const m = size(r);
    if (rows.length > 0 && bytes + m.bytes > maxBytes) { more = true; break; }
    bytes += m.bytes;
    rows.push(m.value);
  }
  return { rows, more };
}
