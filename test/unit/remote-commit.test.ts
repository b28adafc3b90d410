/**
 * The single-writer channel: workers' RemoteCommitters and the writer's answerCommitRequest, over an
 * in-process channel that round-trips every message through JSON as the cluster IPC does, on a real
 * SQLite file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answerCommitRequest, CommitBatcher, migrate, openSqliteStore, RemoteCommitter, WriterUnavailableError, type CommitRequest, type Store,
} from '../../src/store/index.js';

const stores: Store[] = [];
afterEach(async () => { for (const s of stores.splice(0)) await s.close(); });

async function writer(): Promise<CommitBatcher> {
  const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'dl-remote-')), 'db.sqlite'));
  await migrate(store.db, { dedup: true });
  stores.push(store);
  return new CommitBatcher(store, { dedup: true });
}

const wire = <T>(m: T): unknown => JSON.parse(JSON.stringify(m));
const send = (id: string, room = 'r', body = `body of ${id}`) => ({ id, room, sender: 'alice', body });

/** A committer whose requests the writer answers on a later turn; `requests` records what travelled. */
function connected(batcher: CommitBatcher, opts: { timeoutMs?: number } = {}): { c: RemoteCommitter; requests: CommitRequest[] } {
  const requests: CommitRequest[] = [];
  const c: RemoteCommitter = new RemoteCommitter({
    ...opts,
    send: (r) => {
      requests.push(r);
      setImmediate(() => void answerCommitRequest(batcher, wire(r) as CommitRequest).then((reply) => c.onMessage(wire(reply))));
      return true;
    },
  });
  return { c, requests };
}

describe('RemoteCommitter', () => {
  it('sends the sends of one turn as one request and resolves each with its own outcome', async () => {
    const { c, requests } = connected(await writer());
    const results = await Promise.all([c.submit(send('a')), c.submit(send('b', 'other')), c.submit(send('c')), c.submit(send('a'))]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.sends.map((s) => s.id)).toEqual(['a', 'b', 'c', 'a']);
    expect(results).toEqual([
      expect.objectContaining({ kind: 'committed', seq: 1, duplicate: false }),
      expect.objectContaining({ kind: 'committed', seq: 1, duplicate: false }),
      expect.objectContaining({ kind: 'committed', seq: 2, duplicate: false }),
      expect.objectContaining({ kind: 'committed', seq: 1, duplicate: true }),
    ]);
    expect(c.pending).toBe(0);
  });

  it('two workers committing through one writer get consecutive seqs and one row per id', async () => {
    const batcher = await writer();
    const one = connected(batcher).c;
    const two = connected(batcher).c;
    const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).submit(send(`m${i % 30}`))));
    const fresh = acks.filter((a) => a.kind === 'committed' && !a.duplicate).map((a) => (a.kind === 'committed' ? a.seq : 0));
    expect(fresh.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(acks.filter((a) => a.kind === 'committed' && a.duplicate)).toHaveLength(10);
  });

  it('a request the writer does not answer in time fails with WriterUnavailableError, and its late answer is ignored', async () => {
    let answer: (() => void) | undefined;
    const batcher = await writer();
    const c: RemoteCommitter = new RemoteCommitter({
      timeoutMs: 30,
      send: (r) => {
        answer = () => void answerCommitRequest(batcher, r).then((reply) => c.onMessage(wire(reply)));
        return true;
      },
    });
    await expect(c.submit(send('late'))).rejects.toBeInstanceOf(WriterUnavailableError);
    expect(c.pending).toBe(0);
    answer!();
    await batcher.idle();
    // The late answer committed the send: a retry (what a client does) gets it back as a duplicate.
    const { c: again } = connected(batcher);
    expect(await again.submit(send('late'))).toMatchObject({ kind: 'committed', seq: 1, duplicate: true });
  });

  it('a failed commit, a malformed answer and a closed channel each reject every send of the request', async () => {
    const replies: unknown[] = [
      { type: 'commit-failed', req: 0, error: 'disk full' },
      { type: 'committed', req: 1, results: [{ kind: 'committed', seq: 'one' }] },
      { type: 'committed', req: 2, results: [] },
    ];
    const c: RemoteCommitter = new RemoteCommitter({
      send: (r) => {
        setImmediate(() => c.onMessage(replies[r.req]));
        return true;
      },
    });
    await expect(Promise.all([c.submit(send('x')), c.submit(send('y'))])).rejects.toThrow('disk full');
    await expect(c.submit(send('x'))).rejects.toBeInstanceOf(WriterUnavailableError);
    await expect(c.submit(send('x'))).rejects.toThrow('0 outcomes for 1 sends');
    const closed = new RemoteCommitter({ send: () => false });
    await expect(closed.submit(send('x'))).rejects.toThrow('closed');
    expect(c.onMessage({ type: 'arm', slot: 0 })).toBe(false);
  });

  it('failAll rejects what is queued and in flight, and idle() resolves once nothing is', async () => {
    const c = new RemoteCommitter({ send: () => true });
    const inFlight = c.submit(send('a'));
    inFlight.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    const queued = c.submit(send('b'));
    queued.catch(() => undefined);
    expect(c.pending).toBe(2);
    let idle = false;
    const waiting = c.idle().then(() => { idle = true; });
    expect(idle).toBe(false);
    c.failAll('the primary is gone');
    await expect(inFlight).rejects.toThrow('the primary is gone');
    await expect(queued).rejects.toBeInstanceOf(WriterUnavailableError);
    await waiting;
    expect(c.pending).toBe(0);
  });
});
