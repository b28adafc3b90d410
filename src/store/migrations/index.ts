import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-room-access.js';

/** Options a migration may depend on. */
export interface MigrationOptions {
  /** Primary key on the message id; false only for the no-dedup seeded bug. @default true */
  dedup: boolean;
}

/** Every migration, in order (one per file). */
const MIGRATIONS: ReadonlyArray<{ name: string; up: (db: Kysely<unknown>, o: MigrationOptions) => Promise<void> }> = [
  { name: '0001-initial', up: m0001.up },
  { name: '0002-room-access', up: (db) => m0002.up(db) },
];

/** Applies the migrations not yet applied, each in its own transaction; run once, by the primary, before workers start. */
export async function migrate(db: Kysely<Database>, opts: MigrationOptions): Promise<string[]> {
  await db.schema
    .createTable('dl_schema')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  const done = new Set((await db.selectFrom('dl_schema').select('name').execute()).map((r) => r.name));
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.name)) continue;
    await db.transaction().execute(async (tx) => {
      await m.up(tx as unknown as Kysely<unknown>, opts);
      await tx.insertInto('dl_schema').values({ name: m.name, applied_at: Date.now() }).execute();
    });
    applied.push(m.name);
  }
  return applied;
}
