/**
 * The send path's first two stages over a real SQLite file: a worker's SendBatcher hands each turn's
 * sends to its writer; with the primary as the one writer, the PrimaryWriter carries each batch as a
 * CommitRequest to the primary's GroupCommit and back, every message round-tripped through JSON and
 * validated by the contract's schemas, as the cluster IPC does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrimaryToWorker, WorkerToPrimary, type CommitReply, type CommitRequest } from '../../src/protocol/index.js';
import { GroupCommit, migrate, openSqliteStore, type Store } from '../../src/store/index.js';
import { SendBatcher } from '../../src/server/send-batcher.js';
import { CommitFailedError, PrimaryWriter, WriterUnavailableError } from '../../src/server/primary-writer.js';

const stores: Store[] = [];
afterEach(async () => { for (const s of stores.splice(0)) await s.close(); });

async function writer(): Promise<GroupCommit> {
  const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'dl-pipeline-')), 'db.sqlite'));
  await migrate(store.db, { dedup: true });
  stores.push(store);
  return new GroupCommit(store, { dedup: true });
}

const wire = <T>(m: T): unknown => JSON.parse(JSON.stringify(m));
const send = (id: string, room = 'r', body = `body of ${id}`) => ({ id, room, sender: 'alice', body });

/** The primary's side: validates a worker's message and answers a commit request through the group commit. */
async function answer(group: GroupCommit, raw: unknown): Promise<CommitReply> {
  const m = WorkerToPrimary.parse(raw);
  if (m.type !== 'commit') throw new Error(`not a commit request: ${m.type}`);
  try {
    return { type: 'committed', req: m.req, results: await group.commit(m.sends) };
  } catch (e) {
    return { type: 'commit-failed', req: m.req, error: String(e) };
  }
}

/** A worker's pipeline whose requests the primary answers on a later turn; `requests` records what travelled. */
function worker(group: GroupCommit, opts: { timeoutMs?: number } = {}): { batcher: SendBatcher; writer: PrimaryWriter; requests: CommitRequest[] } {
  const requests: CommitRequest[] = [];
  const w: PrimaryWriter = new PrimaryWriter({
    ...opts,
    send: (r) => {
      requests.push(r);
      setImmediate(() => void answer(group, wire(r)).then((reply) => deliver(w, wire(reply))));
      return true;
    },
  });
  return { batcher: new SendBatcher(w), writer: w, requests };
}

/** The worker's router: validated, then dispatched on the tag. */
function deliver(w: PrimaryWriter, raw: unknown): void {
  const m = PrimaryToWorker.parse(raw);
  if (m.type === 'committed' || m.type === 'commit-failed') w.onReply(m);
}

describe('the send pipeline with the primary as the one writer', () => {
  it('one turn of sends travels as one request and each send gets its own outcome', async () => {
    const { batcher, requests } = worker(await writer());
    const results = await Promise.all([batcher.submit(send('a')), batcher.submit(send('b', 'other')), batcher.submit(send('c')), batcher.submit(send('a'))]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.sends.map((s) => s.id)).toEqual(['a', 'b', 'c', 'a']);
    expect(results).toEqual([
      expect.objectContaining({ kind: 'committed', seq: 1, duplicate: false }),
      expect.objectContaining({ kind: 'committed', seq: 1, duplicate: false }),
      expect.objectContaining({ kind: 'committed', seq: 2, duplicate: false }),
      expect.objectContaining({ kind: 'committed', seq: 1, duplicate: true }),
    ]);
    expect(batcher.pending).toBe(0);
  });

  it('two workers committing through one writer get consecutive seqs and one row per id', async () => {
    const group = await writer();
    const one = worker(group).batcher;
    const two = worker(group).batcher;
    const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).submit(send(`m${i % 30}`))));
    const fresh = acks.filter((a) => a.kind === 'committed' && !a.duplicate).map((a) => (a.kind === 'committed' ? a.seq : 0));
    expect(fresh.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(acks.filter((a) => a.kind === 'committed' && a.duplicate)).toHaveLength(10);
  });

  it('a request the writer does not answer in time fails with WriterUnavailableError, and its late answer is ignored', async () => {
    let late: (() => Promise<void>) | undefined;
    const group = await writer();
    const w: PrimaryWriter = new PrimaryWriter({
      timeoutMs: 30,
      send: (r) => {
        late = () => answer(group, wire(r)).then((reply) => deliver(w, wire(reply)));
        return true;
      },
    });
    const batcher = new SendBatcher(w);
    await expect(batcher.submit(send('late'))).rejects.toBeInstanceOf(WriterUnavailableError);
    expect(batcher.pending).toBe(0);
    await late!();
    // The late answer committed the send: a retry (what a client does) gets it back as a duplicate.
    expect(await worker(group).batcher.submit(send('late'))).toMatchObject({ kind: 'committed', seq: 1, duplicate: true });
  });

  it('a failed commit, a short answer and a closed channel each reject every send of the batch', async () => {
    const replies: CommitReply[] = [
      { type: 'commit-failed', req: 0, error: 'disk full' },
      { type: 'committed', req: 1, results: [] },
    ];
    const w: PrimaryWriter = new PrimaryWriter({ send: (r) => { setImmediate(() => deliver(w, wire(replies[r.req]))); return true; } });
    const batcher = new SendBatcher(w);
    const both = Promise.all([batcher.submit(send('x')), batcher.submit(send('y'))]);
    await expect(both).rejects.toBeInstanceOf(CommitFailedError);
    await expect(both).rejects.toThrow('disk full');
    await expect(batcher.submit(send('x'))).rejects.toThrow('0 outcomes for 1 sends');
    await expect(new SendBatcher(new PrimaryWriter({ send: () => false })).submit(send('x'))).rejects.toThrow('closed');
  });

  it('a malformed reply never reaches the writer: the worker\'s router refuses it', () => {
    expect(() => deliver(new PrimaryWriter({ send: () => true }), { type: 'committed', req: 0, results: [{ kind: 'committed', seq: 'one' }] })).toThrow();
    expect(PrimaryToWorker.safeParse({ type: 'arm', slot: 0 }).success).toBe(false);
  });

  it('failAll rejects what is in flight, and idle() resolves once nothing is', async () => {
    const w = new PrimaryWriter({ send: () => true });
    const batcher = new SendBatcher(w);
    const first = batcher.submit(send('a'));
    first.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    const second = batcher.submit(send('b'));
    second.catch(() => undefined);
    expect(batcher.pending).toBe(2);
    let idle = false;
    const waiting = batcher.idle().then(() => { idle = true; });
    expect(idle).toBe(false);
    await new Promise((r) => setImmediate(r));
    w.failAll('the primary is gone');
    await expect(first).rejects.toThrow('the primary is gone');
    await expect(second).rejects.toBeInstanceOf(WriterUnavailableError);
    await waiting;
    expect(batcher.pending).toBe(0);
  });
});
