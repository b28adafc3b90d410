import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { GroupCommit, migrate, openPostgresStore, openSqliteStore, readAfter, readHeads, WriteLockTimeoutError, type Store } from '../../src/store/index.js';
import pg from 'pg';
import { createPostgresDatabase, type LabPostgresDatabase } from '../../lab/cluster/postgres.js';

type Dialect = 'sqlite' | 'postgres';
const stores: Store[] = [];
const databases: LabPostgresDatabase[] = [];
/** An empty, migrated store: a SQLite file of its own, or a PostgreSQL database of its own (dropped after the test). */
async function openFresh(dialect: Dialect, dedup = true): Promise<Store> {
  let store: Store;
  if (dialect === 'postgres') {
    const pg = await createPostgresDatabase();
    databases.push(pg);
    store = openPostgresStore(pg.url);
  } else {
    store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'dl-store-')), 'db.sqlite'));
  }
  stores.push(store);
  await migrate(store.db, { dedup });
  return store;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of databases.splice(0)) await d.drop();
});

const send = (id: string, room = 'r', body = `body of ${id}`, sender = 'alice') => ({ id, room, sender, body });

describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
const freshStore = (dedup = true) => openFresh(dialect, dedup);

describe('Store.commit (one write transaction)', () => {
  it('allocates consecutive seqs per room in arrival order and moves each head', async () => {
    const store = await freshStore();
    const r = await store.commit([send('a', 'r1'), send('b', 'r2'), send('c', 'r1')], { dedup: true });
    expect(r).toMatchObject([{ kind: 'committed', seq: 1, duplicate: false }, { kind: 'committed', seq: 1 }, { kind: 'committed', seq: 2 }]);
    const again = await store.commit([send('d', 'r1')], { dedup: true });
    expect(again[0]).toMatchObject({ seq: 3 });
    expect(Object.fromEntries(await readHeads(store, ['r1', 'r2', 'none']))).toEqual({ r1: 3, r2: 1 });
  });

  it('a retried id gets its original seq back with duplicate: true, in a later batch and within one batch', async () => {
    const store = await freshStore();
    await store.commit([send('a'), send('b')], { dedup: true });
    const r = await store.commit([send('b'), send('c'), send('c')], { dedup: true });
    expect(r).toMatchObject([{ seq: 2, duplicate: true }, { seq: 3, duplicate: false }, { seq: 3, duplicate: true }]);
    expect((await readAfter(store, 'r', 0, 100)).map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('the same id with another body or room is a conflict and stores nothing', async () => {
    const store = await freshStore();
    await store.commit([send('a', 'r', 'one')], { dedup: true });
    const r = await store.commit([send('a', 'r', 'two'), send('a', 'other', 'one'), send('x', 'r', 'p'), send('x', 'r', 'q')], { dedup: true });
    expect(r.map((x) => x.kind)).toEqual(['conflict', 'conflict', 'committed', 'conflict']);
    expect(await readAfter(store, 'r', 0, 100)).toHaveLength(2);
  });

  it('every later occurrence of a committed id is judged against its row, not against the batch', async () => {
    const store = await freshStore();
    await store.commit([send('x', 'r', 'C')], { dedup: true });
    const r = await store.commit([send('x', 'r', 'D'), send('x', 'r', 'C'), send('y')], { dedup: true });
    expect(r).toMatchObject([{ kind: 'conflict', existing: { room: 'r', seq: 1 } }, { kind: 'committed', seq: 1, duplicate: true }, { kind: 'committed', seq: 2 }]);
  });

  it('a batch that fails rolls back whole, and the next one commits with the heads untouched', async () => {
    const store = await freshStore();
    await store.commit([send('a')], { dedup: true });
    // Without the id lookup, the second row of id a violates the primary key inside the transaction.
    await expect(store.commit([send('b'), send('a')], { dedup: false })).rejects.toThrow(/unique/i);
    expect(await store.commit([send('c')], { dedup: true })).toMatchObject([{ kind: 'committed', seq: 2, duplicate: false }]);
    expect((await readAfter(store, 'r', 0, 100)).map((m) => m.id)).toEqual(['a', 'c']);
  });

  it('without dedup (the no-dedup seeded bug) a retried id becomes a second row', async () => {
    const store = await freshStore(false);
    await store.commit([send('a')], { dedup: false });
    const r = await store.commit([send('a')], { dedup: false });
    expect(r[0]).toMatchObject({ seq: 2, duplicate: false });
    expect((await readAfter(store, 'r', 0, 100)).map((m) => m.id)).toEqual(['a', 'a']);
  });
});

describe('GroupCommit', () => {
  it('an idle writer commits a batch on its own; batches that arrive during a transaction share the next one', async () => {
    const store = await freshStore();
    const sizes: number[] = [];
    const g = new GroupCommit(store, { onCommit: (n) => sizes.push(n) });
    const first = g.commit([send('a'), send('b')]);
    await first;
    const later = await Promise.all([g.commit([send('c')]), g.commit([send('d'), send('c')]), g.commit([send('e', 'other')])]);
    await g.idle();
    expect((await first).map((r) => (r.kind === 'committed' ? r.seq : -1))).toEqual([1, 2]);
    expect(later).toMatchObject([[{ seq: 3, duplicate: false }], [{ seq: 4 }, { seq: 3, duplicate: true }], [{ seq: 1 }]]);
    expect(sizes).toEqual([2, 4]);
  });

  it('a failed transaction rejects every batch in it and the next one commits', async () => {
    const store = await freshStore();
    const g = new GroupCommit(store, { dedup: false });
    await g.commit([send('a')]);
    const failed = Promise.all([g.commit([send('b')]), g.commit([send('a')])]);
    await expect(failed).rejects.toThrow(/unique/i);
    await expect(new GroupCommit(store).commit([send('c')])).resolves.toMatchObject([{ kind: 'committed', seq: 2 }]);
  });

  it('never puts more than maxSends in one transaction, and never splits a batch', async () => {
    const store = await freshStore();
    const sizes: number[] = [];
    const g = new GroupCommit(store, { maxSends: 3, onCommit: (n) => sizes.push(n) });
    await Promise.all([g.commit([send('a'), send('b')]), g.commit([send('c'), send('d')]), g.commit([send('e')]), g.commit([send('f'), send('g'), send('h'), send('i')])]);
    expect(sizes).toEqual([2, 3, 4]);
  });
});

describe('the no-id-conflict seeded bug', () => {
  it('answers a committed id with other content as a duplicate and stores nothing new', async () => {
    const store = await freshStore();
    await store.commit([send('a', 'r', 'one')], { dedup: true });
    const r = await store.commit([send('a', 'r', 'two'), send('x', 'r', 'p'), send('x', 'r', 'q')], { dedup: true, conflicts: false });
    expect(r).toMatchObject([{ kind: 'committed', seq: 1, duplicate: true }, { kind: 'committed', seq: 2, duplicate: false }, { kind: 'committed', seq: 2, duplicate: true }]);
    expect((await readAfter(store, 'r', 0, 100)).map((m) => m.body)).toEqual(['one', 'p']);
  });
});
});

describe('the write lock held by another process', () => {
  it('is waited for without blocking the event loop, and the commit lands after the holder commits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-store-'));
    const file = join(dir, 'db.sqlite');
    const store = openSqliteStore(file);
    stores.push(store);
    await migrate(store.db, { dedup: true });
    const holder = new SQLite(file);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("INSERT INTO rooms(name, head) VALUES ('r', 1)").run();
    holder.prepare("INSERT INTO messages(id, room, seq, sender, body, created_at) VALUES ('h', 'r', 1, 'bob', 'held', 0)").run();
    let settled = false;
    const commit = store.commit([send('a')], { dedup: true }).finally(() => { settled = true; });
    // The event loop keeps turning while the lock is held: timers fire, the commit waits.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    holder.exec('COMMIT');
    holder.close();
    expect(await commit).toMatchObject([{ kind: 'committed', seq: 2, duplicate: false }]);
  });

  it('gives up with WriteLockTimeoutError after the store\'s bound', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dl-store-')), 'db.sqlite');
    const store = openSqliteStore(file, { busyTimeoutMs: 50 });
    stores.push(store);
    await migrate(store.db, { dedup: true });
    const holder = new SQLite(file);
    holder.exec('BEGIN IMMEDIATE');
    await expect(store.commit([send('a')], { dedup: true })).rejects.toBeInstanceOf(WriteLockTimeoutError);
    holder.exec('ROLLBACK');
    holder.close();
  });
});

describe('two writers on one PostgreSQL database (two nodes)', () => {
  it('interleaved batches over shared rooms and the same ids: each id one row, each room seqs 1..head, every retry a duplicate of its row', async () => {
    const a = await openFresh('postgres');
    const pg = databases.at(-1)!;
    const b = openPostgresStore(pg.url);
    stores.push(b);
    const rooms = ['r1', 'r2', 'r3'];
    // Each writer commits 40 batches; batch k of each holds ids k-0..k-4 across the rooms, so the two race on every id.
    const batch = (k: number) => Array.from({ length: 5 }, (_, i) => send(`m${k}-${i}`, rooms[(k + i) % 3]!));
    const results = await Promise.all([a, b].map((s) => Promise.all(Array.from({ length: 40 }, (_, k) => s.commit(batch(k), { dedup: true })))));
    const rows = await a.db.selectFrom('messages').selectAll().orderBy('room').orderBy('seq').execute();
    expect(new Set(rows.map((r) => r.id)).size).toBe(200);
    expect(rows).toHaveLength(200);
    for (const room of rooms) {
      const seqs = rows.filter((r) => r.room === room).map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    expect(Object.fromEntries(await readHeads(a, rooms))).toEqual(Object.fromEntries(rooms.map((r) => [r, rows.filter((x) => x.room === r).length])));
    // Both writers answered every send with the row's seq; exactly one of the two made each row.
    const byId = new Map(rows.map((r) => [r.id, r.seq]));
    let fresh = 0;
    for (const [w, perWriter] of results.entries()) {
      for (const [k, outcomes] of perWriter.entries()) {
        for (const [i, o] of outcomes.entries()) {
          expect(o, `writer ${w} batch ${k} send ${i}`).toMatchObject({ kind: 'committed', seq: byId.get(`m${k}-${i}`) });
          if (o.kind === 'committed' && !o.duplicate) fresh += 1;
        }
      }
    }
    expect(fresh).toBe(200);
  });
});

describe('a row lock held by another writer on PostgreSQL', () => {
  it('is waited for up to the store\'s bound, then WriteLockTimeoutError; once released, the commit lands', async () => {
    await openFresh('postgres');
    const url = databases.at(-1)!.url;
    const store = openPostgresStore(url, { busyTimeoutMs: 200 });
    stores.push(store);
    await store.commit([send('a')], { dedup: true });
    // Another node's writer stalled inside its transaction, holding room r's head.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query("update rooms set head = head where name = 'r'");
      await expect(store.commit([send('b')], { dedup: true })).rejects.toBeInstanceOf(WriteLockTimeoutError);
      await holder.query('rollback');
      expect(await store.commit([send('b')], { dedup: true })).toMatchObject([{ kind: 'committed', seq: 2, duplicate: false }]);
    } finally {
      await holder.end();
    }
  });
});
