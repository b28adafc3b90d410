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

/** The database did not answer a commit within the store's bound: whether it committed is unknown. */
export class CommitTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database did not answer the commit within ${waitedMs} ms; retry the send with the same id`);
    this.name = 'CommitTimeoutError';
  }
}
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
  // Past the lock wait, with room for the transaction's own work.
  const commitTimeoutMs = busyTimeoutMs + 5_000;
  const synchronousCommit = opts.synchronous === 'OFF' ? 'off' : 'on';
  // A writer that stalls inside its transaction (a paused node, a node cut off from the database) holds its
  // rooms' row locks: the server ends such a session after the bound, so the other nodes' writers go on.
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 4,
    // A server's few connections stay open (node-postgres closes idle ones after 10 s by default, and
    // opening one again costs a backend process and a round of authentication on the send path).
    idleTimeoutMillis: 0,
    options: `-c lock_timeout=${busyTimeoutMs} -c idle_in_transaction_session_timeout=${busyTimeoutMs} -c synchronous_commit=${synchronousCommit}`,
    // int8 (created_at, in ms) as a number: Date.now() is far below 2^53.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  // An idle connection the server dropped (a restart, a partition) is removed from the pool; the next query opens another.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  const query = async <R extends object>(c: pg.PoolClient, q: { compile(db: Kysely<Database>): { sql: string; parameters: readonly unknown[] } } | { sql: string; parameters: readonly unknown[] }): Promise<R[]> => {
    const compiled = 'compile' in q ? q.compile(db) : q;
    return (await c.query<R>(compiled.sql, [...compiled.parameters])).rows;
  };
  /** The transaction on one connection of the pool (kysely compiles every statement). */
  const transaction = async (c: pg.PoolClient, sends: Parameters<Store['commit']>[0], rules: Parameters<Store['commit']>[1]) => {
    const ids = rules.dedup ? [...new Set(sends.map((s) => s.id))] : [];
    const known = new Map<string, KnownRow>();
    if (ids.length > 0) {
      const rows = await query<KnownRow & { id: string }>(c, db.selectFrom('messages').select(['id', 'room', 'seq', 'sender', 'body', 'created_at']).where('id', '=', sql<string>`any(${ids}::text[])`).compile());
      for (const r of rows) known.set(r.id, r);
    }
    const plan = planCommit(sends, (id) => known.get(id), rules);
    const rooms = [...plan.fresh.keys()].sort();
    if (rooms.length === 0) return finishCommit(plan);
    const counts = rooms.map((r) => plan.fresh.get(r)!.length);
    const heads = await query<{ name: string; head: number }>(c, sql`
      insert into rooms (name, head) select * from unnest(${rooms}::text[], ${counts}::int[])
      on conflict (name) do update set head = rooms.head + excluded.head returning name, head`);
    const now = Date.now();
    const rows: NewRow[] = [];
    for (const h of heads) rows.push(...assignSeqs(plan, h.name, h.head, now));
    await query(c, sql`
      insert into messages (id, room, seq, sender, body, created_at)
      select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.room)}::text[], ${rows.map((r) => r.seq)}::int[],
        ${rows.map((r) => r.sender)}::text[], ${rows.map((r) => r.body)}::text[], ${rows.map((r) => r.created_at)}::int8[])`);
    return finishCommit(plan);
  };
  /**
   * One try, bounded: a connection that does not answer within the bound (its packets vanish) is destroyed
   * and the try fails. Whether its COMMIT reached the server is then unknown: the sends get an indefinite
   * error and are retried with the same ids, which the primary key makes safe.
   */
  const commitOnce = async (sends: Parameters<Store['commit']>[0], rules: Parameters<Store['commit']>[1]) => {
    const c = await pool.connect();
    let timer: NodeJS.Timeout | undefined;
    let broken: Error | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject((broken = new CommitTimeoutError(commitTimeoutMs))), commitTimeoutMs);
    });
    try {
      return await Promise.race([(async () => {
        await c.query('begin');
        try {
          const results = await transaction(c, sends, rules);
          await c.query('commit');
          return results;
        } catch (err) {
          if (!broken) await c.query('rollback').catch((e: unknown) => { broken = e instanceof Error ? e : new Error(String(e)); });
          throw err;
        }
      })(), bound]);
    } finally {
      clearTimeout(timer);
      // A connection in an unknown state is closed, not reused.
      c.release(broken);
    }
  };
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
