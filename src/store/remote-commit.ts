import { z } from 'zod';
import type { CommitBatcher } from './commit-batcher.js';
import type { CommitResult, PendingSend } from './message-repository.js';

/**
 * The single-writer shape: one process (the primary) owns the database's write transactions and
 * the workers commit through it, over a message channel (the cluster IPC). One group commit then
 * covers every worker's sends of a turn, and no worker waits for another's write lock or blocks
 * its event loop on an fsync. A request carries the sends of one event-loop turn of one worker.
 */

const Send = z.object({ id: z.string(), room: z.string(), sender: z.string(), body: z.string() });
const Req = z.number().int().nonnegative();

/** A worker's sends of one turn, to be committed by the writer. */
export const CommitRequest = z.object({ type: z.literal('commit'), req: Req, sends: z.array(Send) });
export type CommitRequest = z.infer<typeof CommitRequest>;

const Result = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('committed'), seq: z.number().int().positive(), createdAt: z.number(), duplicate: z.boolean() }),
  z.object({ kind: z.literal('conflict'), existing: z.object({ room: z.string(), seq: z.number().int() }) }),
]);

/** The writer's answer to one request: every send's outcome, in order, or why none was committed. */
export const CommitReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('committed'), req: Req, results: z.array(Result) }),
  z.object({ type: z.literal('commit-failed'), req: Req, error: z.string() }),
]);
export type CommitReply = z.infer<typeof CommitReply>;

/** What the send path commits through: the worker's own CommitBatcher, or a RemoteCommitter. */
export interface Committer {
  /** Resolves with the send's outcome once its transaction committed. */
  submit(send: PendingSend): Promise<CommitResult>;
  /** Sends submitted and not yet committed. */
  readonly pending: number;
  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void>;
}

/** The writer did not answer in time, or the channel to it is gone: the send may or may not be committed. */
export class WriterUnavailableError extends Error {
  constructor(why: string) {
    super(`${why}; retry the send with the same id`);
    this.name = 'WriterUnavailableError';
  }
}

/** Writer side: commits one request through the writer's group commit and answers it. */
export async function answerCommitRequest(batcher: CommitBatcher, r: CommitRequest): Promise<CommitReply> {
  try {
    return { type: 'committed', req: r.req, results: await Promise.all(r.sends.map((s) => batcher.submit(s))) };
  } catch (e) {
    return { type: 'commit-failed', req: r.req, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Options of a RemoteCommitter. */
export interface RemoteCommitterOptions {
  /** Writes a request to the writer; false when the channel is closed. */
  send: (r: CommitRequest) => boolean;
  /** How long a request may wait for its answer. @default 10000 */
  timeoutMs?: number;
  /** Called after every answered request with its size and round trip. */
  onBatch?: (size: number, ms: number) => void;
}

interface InFlight { waiters: Waiter[]; started: number; timer: NodeJS.Timeout }
interface Waiter { send: PendingSend; resolve: (r: CommitResult) => void; reject: (e: unknown) => void }

/** Worker side: group-commits through the writer, one request per event-loop turn. */
export class RemoteCommitter implements Committer {
  readonly #o: RemoteCommitterOptions;
  #queue: Waiter[] = [];
  #scheduled = false;
  #next = 0;
  readonly #inFlight = new Map<number, InFlight>();
  #idleWaiters: (() => void)[] = [];

  constructor(o: RemoteCommitterOptions) {
    this.#o = o;
  }

  submit(send: PendingSend): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ send, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    });
  }

  get pending(): number {
    let n = this.#queue.length;
    for (const f of this.#inFlight.values()) n += f.waiters.length;
    return n;
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Takes a message from the writer's channel: true when it was a commit answer (handled here). */
  onMessage(raw: unknown): boolean {
    const t = (raw as { type?: unknown } | null)?.type;
    if (t !== 'committed' && t !== 'commit-failed') return false;
    const m = CommitReply.safeParse(raw);
    const req = (raw as { req?: unknown }).req;
    const f = typeof req === 'number' ? this.#inFlight.get(req) : undefined;
    if (!f) return true; // answered after its timeout: the client's retry settles it
    this.#settle(req as number, f);
    if (!m.success) {
      for (const w of f.waiters) w.reject(new WriterUnavailableError(`the writer's answer was malformed (${m.error.issues[0]?.message ?? 'invalid'})`));
    } else if (m.data.type === 'commit-failed') {
      for (const w of f.waiters) w.reject(new Error(m.data.error));
    } else if (m.data.results.length !== f.waiters.length) {
      for (const w of f.waiters) w.reject(new WriterUnavailableError(`the writer answered ${m.data.results.length} outcomes for ${f.waiters.length} sends`));
    } else {
      const results = m.data.results;
      this.#o.onBatch?.(f.waiters.length, performance.now() - f.started);
      f.waiters.forEach((w, i) => w.resolve(results[i]!));
    }
    return true;
  }

  /** Fails everything queued or in flight (the channel to the writer is gone). */
  failAll(why: string): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const w of queued) w.reject(new WriterUnavailableError(why));
    for (const [req, f] of [...this.#inFlight]) {
      this.#settle(req, f);
      for (const w of f.waiters) w.reject(new WriterUnavailableError(why));
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const waiters = this.#queue;
    this.#queue = [];
    if (waiters.length === 0) return this.#maybeIdle();
    const req = this.#next++;
    const timeoutMs = this.#o.timeoutMs ?? 10_000;
    // Judged after the next poll: a worker resumed from a long pause (SIGSTOP) runs its timers before it
    // reads the answers already waiting in its channel.
    const timer = setTimeout(() => setImmediate(() => {
      const f = this.#inFlight.get(req);
      if (!f) return;
      this.#settle(req, f);
      for (const w of f.waiters) w.reject(new WriterUnavailableError(`the writer did not answer within ${timeoutMs} ms`));
    }), timeoutMs);
    this.#inFlight.set(req, { waiters, started: performance.now(), timer });
    if (!this.#o.send({ type: 'commit', req, sends: waiters.map((w) => w.send) })) this.failAll('the channel to the writer is closed');
  }

  #settle(req: number, f: InFlight): void {
    clearTimeout(f.timer);
    this.#inFlight.delete(req);
    queueMicrotask(() => this.#maybeIdle());
  }

  #maybeIdle(): void {
    if (this.pending === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }
}
