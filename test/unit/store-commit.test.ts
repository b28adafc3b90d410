import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommitBatcher, commitBatch, migrate, openSqliteStore, readAfter, readHeads, type Store } from '../../src/store/index.js';

const stores: Store[] = [];
async function freshStore(dedup = true): Promise<Store> {
  const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'dl-store-')), 'db.sqlite'));
  await migrate(store.db, { dedup });
  stores.push(store);
  return store;
}
afterEach(async () => { for (const s of stores.splice(0)) await s.close(); });

const send = (id: string, room = 'r', body = `body of ${id}`, sender = 'alice') => ({ id, room, sender, body });

describe('commitBatch', () => {
  it('allocates consecutive seqs per room in arrival order and moves each head', async () => {
    const store = await freshStore();
    const r = await commitBatch(store, [send('a', 'r1'), send('b', 'r2'), send('c', 'r1')], { dedup: true });
    expect(r).toMatchObject([{ kind: 'committed', seq: 1, duplicate: false }, { kind: 'committed', seq: 1 }, { kind: 'committed', seq: 2 }]);
    const again = await commitBatch(store, [send('d', 'r1')], { dedup: true });
    expect(again[0]).toMatchObject({ seq: 3 });
    expect(Object.fromEntries(await readHeads(store, ['r1', 'r2', 'none']))).toEqual({ r1: 3, r2: 1 });
  });

  it('a retried id gets its original seq back with duplicate: true, in a later batch and within one batch', async () => {
    const store = await freshStore();
    await commitBatch(store, [send('a'), send('b')], { dedup: true });
    const r = await commitBatch(store, [send('b'), send('c'), send('c')], { dedup: true });
    expect(r).toMatchObject([{ seq: 2, duplicate: true }, { seq: 3, duplicate: false }, { seq: 3, duplicate: true }]);
    expect((await readAfter(store, 'r', 0, 100)).map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('the same id with another body or room is a conflict and stores nothing', async () => {
    const store = await freshStore();
    await commitBatch(store, [send('a', 'r', 'one')], { dedup: true });
    const r = await commitBatch(store, [send('a', 'r', 'two'), send('a', 'other', 'one'), send('x', 'r', 'p'), send('x', 'r', 'q')], { dedup: true });
    expect(r.map((x) => x.kind)).toEqual(['conflict', 'conflict', 'committed', 'conflict']);
    expect(await readAfter(store, 'r', 0, 100)).toHaveLength(2);
  });

  it('without dedup (the no-dedup seeded bug) a retried id becomes a second row', async () => {
    const store = await freshStore(false);
    await commitBatch(store, [send('a')], { dedup: false });
    const r = await commitBatch(store, [send('a')], { dedup: false });
    expect(r[0]).toMatchObject({ seq: 2, duplicate: false });
    expect((await readAfter(store, 'r', 0, 100)).map((m) => m.id)).toEqual(['a', 'a']);
  });
});

describe('CommitBatcher', () => {
  it('sends submitted in one turn share one transaction, and idle() waits for it', async () => {
    const store = await freshStore();
    const sizes: number[] = [];
    const b = new CommitBatcher(store, { onBatch: (n) => sizes.push(n) });
    const results = Promise.all(Array.from({ length: 50 }, (_, i) => b.submit(send(`m${i}`))));
    await b.idle();
    expect((await results).map((r) => (r.kind === 'committed' ? r.seq : -1))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(sizes).toEqual([50]);
  });
});
