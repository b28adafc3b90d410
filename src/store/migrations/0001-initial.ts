import type { Kysely } from 'kysely';
import type { MigrationOptions } from './index.js';

/** Creates `messages` (id primary key, unique room+seq) and `rooms`. */
export async function up(db: Kysely<unknown>, opts: MigrationOptions): Promise<void> {
  let messages = db.schema
    .createTable('messages')
    .ifNotExists()
    .addColumn('id', 'text', (c) => (opts.dedup ? c.primaryKey() : c.notNull()))
    .addColumn('room', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull()); // ms since the epoch: past 32 bits (on SQLite, bigint is INTEGER)
  // The no-dedup seeded bug keeps seqs unique but lets one id take several rows.
  messages = messages.addUniqueConstraint('messages_room_seq', ['room', 'seq']);
  await messages.execute();
  if (!opts.dedup) await db.schema.createIndex('messages_id').ifNotExists().on('messages').column('id').execute();
  await db.schema
    .createTable('rooms')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('head', 'integer', (c) => c.notNull())
    .execute();
}
