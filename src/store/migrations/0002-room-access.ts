import { sql, type Kysely } from 'kysely';

/**
 * Creates `room_access` (a room listed there is members-only; every other room is open) and
 * `room_members` (who may join a members-only room).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('room_access')
    .ifNotExists()
    .addColumn('room', 'text', (c) => c.primaryKey())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode = 'members'`))
    .execute();
  await db.schema
    .createTable('room_members')
    .ifNotExists()
    .addColumn('room', 'text', (c) => c.notNull())
    .addColumn('user', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('room_members_pk', ['room', 'user'])
    .execute();
}
