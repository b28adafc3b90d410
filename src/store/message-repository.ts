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
