import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { RawCallback, RawGroupCommit, RawOutcome, RawSend } from './raw-group-commit.js';

/**
 * Commits through one writer process: the single-writer shape (no cross-process SQLite lock).
 * The writer serves a Unix socket; a client sends the sends of one event-loop turn as one line of
 * JSON (an array) and gets one line back (the outcomes, in order). Lines are answered in order.
 */

/** Serves commits of other processes through the writer's own group commit. */
export function serveRemoteCommit(path: string, writer: RawGroupCommit): Promise<Server> {
  const server = createServer((sock: Socket) => {
    sock.setNoDelay(true);
    let buf = '';
    // Answers go out in request order even though each batch resolves on its own.
    const queue: { outcomes: (RawOutcome | undefined)[]; left: number }[] = [];
    const drain = () => {
      while (queue.length && queue[0]!.left === 0) sock.write(`${JSON.stringify(queue.shift()!.outcomes)}\n`);
    };
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const sends = JSON.parse(buf.slice(0, nl)) as RawSend[];
        buf = buf.slice(nl + 1);
        const entry = { outcomes: new Array<RawOutcome | undefined>(sends.length), left: sends.length };
        queue.push(entry);
        sends.forEach((s, i) => writer.submit(s, (o) => {
          entry.outcomes[i] = o;
          entry.left -= 1;
          if (entry.left === 0) drain();
        }));
        if (sends.length === 0) drain();
      }
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

/** A client of a remote writer: `submit` has the same shape as RawGroupCommit's. */
export class RemoteCommit {
  readonly #sock: Socket;
  #queue: { send: RawSend; cb: RawCallback }[] = [];
  readonly #inFlight: RawCallback[][] = [];
  #scheduled = false;
  #buf = '';

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    sock.on('error', () => undefined);
  }

  /** Connects to a writer's socket. */
  static connect(path: string): Promise<RemoteCommit> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path, () => resolve(new RemoteCommit(sock)));
      sock.once('error', reject);
    });
  }

  /** Queues a send; the sends of one event-loop turn travel as one request. */
  submit(send: RawSend, cb: RawCallback): void {
    this.#queue.push({ send, cb });
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      this.#inFlight.push(batch.map((q) => q.cb));
      this.#sock.write(`${JSON.stringify(batch.map((q) => q.send))}\n`);
    });
  }

  #onData(chunk: Buffer): void {
    this.#buf += chunk.toString('utf8');
    for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
      const outcomes = JSON.parse(this.#buf.slice(0, nl)) as RawOutcome[];
      this.#buf = this.#buf.slice(nl + 1);
      const cbs = this.#inFlight.shift() ?? [];
      cbs.forEach((cb, i) => cb(outcomes[i] ?? { ok: false, reason: 'error', detail: 'no answer from the writer' }));
    }
  }
}
