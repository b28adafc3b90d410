import { CommitBatcher, openSqliteStore } from '../../../src/store/index.js';
import { RawGroupCommit, type RawOutcome, type RawSend } from './raw-group-commit.js';

/** How a bench server persists: `core` (the core's CommitBatcher), `raw` (RawGroupCommit, the lean prototype), `none` (seqs from memory). */
export type StoreVariant = 'core' | 'raw' | 'none';

/** What a bench server's send path calls: commit one send, then call back once with its outcome. */
export type Commit = (send: RawSend, cb: (o: RawOutcome) => void) => void;

/** Options of `makeCommit`. */
export interface CommitVariantOptions {
  store: StoreVariant;
  /** The SQLite file, already migrated (not needed for `none`). */
  db?: string;
}

/** Opens the store variant (synchronous=FULL) and returns its commit function; every variant group-commits per event-loop turn. */
export async function makeCommit(o: CommitVariantOptions): Promise<Commit> {
  if (o.store === 'none') {
    const heads = new Map<string, number>();
    return (s, cb) => {
      const seq = (heads.get(s.room) ?? 0) + 1;
      heads.set(s.room, seq);
      cb({ ok: true, seq, createdAt: Date.now(), duplicate: false });
    };
  }
  if (o.db === undefined) throw new Error(`store ${o.store} needs a database file`);
  if (o.store === 'core') {
    const batcher = new CommitBatcher(openSqliteStore(o.db, { synchronous: 'FULL' }));
    return (s, cb) => {
      batcher.submit(s).then(
        (r) => cb(r.kind === 'committed' ? { ok: true, seq: r.seq, createdAt: r.createdAt, duplicate: r.duplicate } : { ok: false, reason: 'conflict', detail: `id ${s.id} conflicts` }),
        (e: unknown) => cb({ ok: false, reason: 'error', detail: String(e) }),
      );
    };
  }
  const raw = new RawGroupCommit(o.db, { synchronous: 'FULL' });
  return (s, cb) => raw.submit(s, cb);
}
