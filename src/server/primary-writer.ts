import type { CommitReply, CommitRequest, CommitResult, PendingSend } from '../protocol/index.js';
import type { Writer } from '../store/index.js';

/** The writer did not answer in time, or the channel to it is gone: the sends may or may not be committed. */
export class WriterUnavailableError extends Error {
  constructor(why: string) {
    super(`${why}; retry the send with the same id`);
    this.name = 'WriterUnavailableError';
  }
}

/** The writer could not commit the batch (nothing of it is committed). */
export class CommitFailedError extends Error {
  constructor(why: string) {
    super(`the writer could not commit: ${why}; retry the send with the same id`);
    this.name = 'CommitFailedError';
  }
}

/** Options of a PrimaryWriter. */
export interface PrimaryWriterOptions {
  /** Writes a request to the primary; false when the channel is closed. */
  send: (r: CommitRequest) => boolean;
  /** How long a request may wait for its answer. @default 10000 */
  timeoutMs?: number;
}

interface InFlight { sends: number; resolve: (r: CommitResult[]) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }

/**
 * Stage 2 as a worker sees it when the primary is the one writer: each batch travels as a
 * `CommitRequest` over the cluster IPC to the primary's `GroupCommit`, and its `CommitReply` comes back.
 */
export class PrimaryWriter implements Writer {
  readonly #o: PrimaryWriterOptions;
  #next = 0;
  readonly #inFlight = new Map<number, InFlight>();

  constructor(o: PrimaryWriterOptions) {
    this.#o = o;
  }

  commit(sends: readonly PendingSend[]): Promise<CommitResult[]> {
    return new Promise((resolve, reject) => {
      const req = this.#next++;
      const timeoutMs = this.#o.timeoutMs ?? 10_000;
      // Judged after the next poll: a worker resumed from a long pause (SIGSTOP) runs its timers before it
      // reads the answers already waiting in its channel.
      const timer = setTimeout(() => setImmediate(() => this.#fail(req, new WriterUnavailableError(`the writer did not answer within ${timeoutMs} ms`))), timeoutMs);
      this.#inFlight.set(req, { sends: sends.length, resolve, reject, timer });
      if (!this.#o.send({ type: 'commit', req, sends: [...sends] })) this.#fail(req, new WriterUnavailableError('the channel to the writer is closed'));
    });
  }

  /** Settles the request a reply answers (a reply after its request's timeout is dropped: the client's retry settles it). */
  onReply(reply: CommitReply): void {
    const f = this.#take(reply.req);
    if (!f) return;
    switch (reply.type) {
      case 'committed':
        if (reply.results.length === f.sends) return f.resolve(reply.results);
        return f.reject(new WriterUnavailableError(`the writer answered ${reply.results.length} outcomes for ${f.sends} sends`));
      case 'commit-failed':
        return f.reject(new CommitFailedError(reply.error));
    }
  }

  /** Fails every request in flight (the channel to the writer is gone). */
  failAll(why: string): void {
    for (const req of [...this.#inFlight.keys()]) this.#fail(req, new WriterUnavailableError(why));
  }

  #fail(req: number, err: Error): void {
    this.#take(req)?.reject(err);
  }

  #take(req: number): InFlight | undefined {
    const f = this.#inFlight.get(req);
    if (!f) return undefined;
    clearTimeout(f.timer);
    this.#inFlight.delete(req);
    return f;
  }
}
