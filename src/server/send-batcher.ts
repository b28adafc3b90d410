import type { CommitResult, PendingSend } from '../protocol/index.js';
import type { Writer } from '../store/index.js';

interface Waiter { send: PendingSend; resolve: (r: CommitResult) => void; reject: (e: unknown) => void }

/**
 * Stage 1 of the send path (see `Writer` in src/store/writer.ts): a worker's sends of one event-loop
 * turn become one batch for the writer, so a busy worker hands the writer few, large batches.
 */
export class SendBatcher {
  readonly #writer: Writer;
  #queue: Waiter[] = [];
  #scheduled = false;
  /** Sends handed to the writer and not yet answered. */
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(writer: Writer) {
    this.#writer = writer;
  }

  /** Queues a send for this turn's batch and resolves with its outcome once the writer committed it. */
  submit(send: PendingSend): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ send, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    });
  }

  /** Sends submitted and not yet committed: queued, or with the writer. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Resolves once nothing is queued or with the writer (a graceful stop waits for this). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#inFlight += batch.length;
    this.#writer.commit(batch.map((w) => w.send)).then(
      (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
      (err: unknown) => { for (const w of batch) w.reject(err); },
    ).finally(() => {
      this.#inFlight -= batch.length;
      if (this.pending === 0) for (const w of this.#idleWaiters.splice(0)) w();
    });
  }
}
