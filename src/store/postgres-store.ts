import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Synchronous } from '../protocol/index.js';
import { assignSeqs, finishCommit, planCommit, type KnownRow, type NewRow } from './commit-plan.js';
import type { Database, Store } from './database.js';
import { WriteLockTimeoutError } from './sqlite-store.js';

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions {
  /**
   * `FULL` and `NORMAL` commit with `synchronous_commit = on` (an ack means the commit's WAL is flushed
   * on the server); `OFF` with `synchronous_commit = off` (the server flushes later: a crash of the
   * database server loses the last commits). @default 'FULL'
   */
  synchronous?: Synchronous;
  /** How long the send path's transaction may wait for a row lock another writer holds. @default 10000 */
  busyTimeoutMs?: number;
  /** Connections per process. @default 4 */
  poolSize?: number;
}

/** SQLSTATEs after which the whole transaction is tried again: nothing of it was committed. */
const RETRY_STATES = new Set([
  '23505', // unique_violation: another node committed the same id between this lookup and this insert
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);
const LOCK_NOT_AVAILABLE = '55P03';
const MAX_TRIES = 5;

/**
 * Opens a PostgreSQL database as a store, through kysely's PostgreSQL dialect on node-postgres (`pg`,
 * with `pg-cursor` for streamed reads). The send path is the same as on SQLite (`commit-plan.ts`), in
 * one transaction of four statements whatever the batch's size: the ids looked up at once, each
 * room's head bumped once (rooms in name order, so two nodes' writers cannot deadlock on them), the new
 * rows inserted at once. The head's row lock orders the writers of one room; another node's writer
 * committing the same id meanwhile makes the insert fail on the primary key, and the transaction is
 * tried again, now finding the id (a duplicate).
 */
export function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Store {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
  const synchronousCommit = opts.synchronous === 'OFF' ? 'off' : 'on';
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 4,
    options: `-c lock_timeout=${busyTimeoutMs} -c synchronous_commit=${synchronousCommit}`,
    // int8 (created_at, in ms) as a number: Date.now() is far below 2^53.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  // An idle connection the server dropped (a restart, a partition) is removed from the pool; the next query opens another.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  const commitOnce = (sends: Parameters<Store['commit']>[0], rules: Parameters<Store['commit']>[1]) => db.transaction().execute(async (tx) => {
    const ids = rules.dedup ? [...new Set(sends.map((s) => s.id))] : [];
    const known = new Map<string, KnownRow>();
    if (ids.length > 0) {
      const rows = await tx.selectFrom('messages').select(['id', 'room', 'seq', 'sender', 'body', 'created_at']).where('id', '=', sql<string>`any(${ids}::text[])`).execute();
      for (const r of rows) known.set(r.id, r);
    }
    const plan = planCommit(sends, (id) => known.get(id), rules);
    const rooms = [...plan.fresh.keys()].sort();
    if (rooms.length === 0) return finishCommit(plan);
    const counts = rooms.map((r) => plan.fresh.get(r)!.length);
    const heads = await sql<{ name: string; head: number }>`
      insert into rooms (name, head) select * from unnest(${rooms}::text[], ${counts}::int[])
      on conflict (name) do update set head = rooms.head + excluded.head returning name, head`.execute(tx);
    const now = Date.now();
    const rows: NewRow[] = [];
    for (const h of heads.rows) rows.push(...assignSeqs(plan, h.name, h.head, now));
    await sql`
      insert into messages (id, room, seq, sender, body, created_at)
      select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.room)}::text[], ${rows.map((r) => r.seq)}::int[],
        ${rows.map((r) => r.sender)}::text[], ${rows.map((r) => r.body)}::text[], ${rows.map((r) => r.created_at)}::int8[])`.execute(tx);
    return finishCommit(plan);
  });
  return {
    db,
    commit: async (sends, rules) => {
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        try {
          return await commitOnce(sends, rules);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === LOCK_NOT_AVAILABLE) throw new WriteLockTimeoutError(performance.now() - started);
          if (!RETRY_STATES.has(code ?? '') || attempt >= MAX_TRIES) throw err;
          await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 16) * (0.5 + Math.random() / 2)));
        }
      }
    },
    close: () => db.destroy(),
  };
}
