import type { CommitResult, PendingSend } from '../protocol/index.js';
import type { CommitRules, Store } from './database.js';
import type { Writer } from './writer.js';

/** Options of a GroupCommit. */
export interface GroupCommitOptions {
  /** Primary key dedup on the message id (false only for the no-dedup seeded bug). @default true */
  dedup?: boolean;
  /** The same id with other content is a conflict (false only for the no-id-conflict seeded bug). @default true */
  conflicts?: boolean;
  /** Most sends in one transaction. @default 1000 */
  maxSends?: number;
  /** Called after every transaction with its size and duration. */
  onCommit?: (sends: number, ms: number) => void;
}

interface Queued { sends: readonly PendingSend[]; resolve: (r: CommitResult[]) => void; reject: (e: unknown) => void }

/**
 * Stage 2 of the send path, in the process that writes: at most one transaction in flight; the
 * batches that arrive meanwhile (from every worker, when the primary writes) wait and go into the
 * next transaction together. An idle writer commits at the end of the turn; a busy one makes few, large commits.
 */
export class GroupCommit implements Writer {
  readonly #store: Store;
  readonly #rules: CommitRules;
  readonly #maxSends: number;
  readonly #onCommit: GroupCommitOptions['onCommit'];
  #queue: Queued[] = [];
  #busy = false;
  #idleWaiters: (() => void)[] = [];

  constructor(store: Store, opts: GroupCommitOptions = {}) {
    this.#store = store;
    this.#rules = { dedup: opts.dedup ?? true, conflicts: opts.conflicts ?? true };
    this.#maxSends = opts.maxSends ?? 1000;
    this.#onCommit = opts.onCommit;
  }

  commit(sends: readonly PendingSend[]): Promise<CommitResult[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ sends, resolve, reject });
      if (this.#busy) return;
      // Started on the next check phase: the batches of every worker read in this poll go in together.
      this.#busy = true;
      setImmediate(() => void this.#run());
    });
  }

  /** Resolves once nothing is queued or being committed (a graceful stop waits for this). */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      // Whole batches only: a batch's sends share one transaction, so its outcome is one.
      let n = 0;
      let take = 0;
      while (take < this.#queue.length && (take === 0 || n + this.#queue[take]!.sends.length <= this.#maxSends)) n += this.#queue[take++]!.sends.length;
      const group = this.#queue.splice(0, take);
      const started = performance.now();
      let results: CommitResult[] | undefined;
      try {
        results = await this.#store.commit(group.length === 1 ? group[0]!.sends : group.flatMap((q) => q.sends), this.#rules);
      } catch (err) {
        for (const q of group) q.reject(err);
      }
      if (results !== undefined) {
        // Outside the try: a failing observer must not turn a committed group into "nothing committed".
        try { this.#onCommit?.(n, performance.now() - started); } catch { /* an observer's failure is its own */ }
        let at = 0;
        for (const q of group) {
          q.resolve(results.slice(at, at + q.sends.length));
          at += q.sends.length;
        }
      }
      // The answers of this group go out before the next transaction (and its fsync) runs.
      if (this.#queue.length > 0) await new Promise((r) => setImmediate(r));
    }
    this.#busy = false;
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}
