import { commitBatch, type CommitResult, type PendingSend } from './message-repository.js';
import type { Store } from './database.js';
import type { Committer } from './remote-commit.js';

/** Options of a CommitBatcher. */
export interface CommitBatcherOptions {
  /** Primary key dedup on the message id (false only for the no-dedup seeded bug). @default true */
  dedup?: boolean;
  /** Most sends in one transaction. @default 1000 */
  maxBatch?: number;
  /** Called after every committed batch with its size and duration. */
  onBatch?: (size: number, ms: number) => void;
}

interface Waiter { send: PendingSend; resolve: (r: CommitResult) => void; reject: (e: unknown) => void }

/**
 * Group commit: the sends submitted during one event-loop turn (and while a commit is in flight)
 * go into one transaction, so a busy writer makes few, large commits and an idle one commits at once.
 */
export class CommitBatcher implements Committer {
  #store: Store;
  #dedup: boolean;
  #maxBatch: number;
  #onBatch: CommitBatcherOptions['onBatch'];
  #queue: Waiter[] = [];
  #scheduled = false;
  /** Sends in the transaction in flight (0: none; a flush never starts an empty one). */
  #inFlightSize = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(store: Store, opts: CommitBatcherOptions = {}) {
    this.#store = store;
    this.#dedup = opts.dedup ?? true;
    this.#maxBatch = opts.maxBatch ?? 1000;
    this.#onBatch = opts.onBatch;
  }

  /** Queues a send for the next group commit and resolves with its outcome. */
  submit(send: PendingSend): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ send, resolve, reject });
      this.#schedule();
    });
  }

  /** Sends submitted and not yet committed: queued, or in the transaction in flight. */
  get pending(): number {
    return this.#queue.length + this.#inFlightSize;
  }

  /** Resolves once nothing is queued or being committed (a graceful stop waits for this). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlightSize > 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#inFlightSize = batch.length;
    const started = performance.now();
    try {
      const results = await commitBatch(this.#store, batch.map((w) => w.send), { dedup: this.#dedup });
      this.#onBatch?.(batch.length, performance.now() - started);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.#inFlightSize = 0;
      if (this.#queue.length > 0) this.#schedule();
      else for (const w of this.#idleWaiters.splice(0)) w();
    }
  }
}
