import WebSocket from 'ws';
import type { ClientFraming, Incoming } from './client-framing.js';

/** Handlers a load connection calls for the frames that matter to the bench. */
export interface ConnectionHandlers {
  onAck(conn: LoadConnection, id: string, seq: number): void;
  onMsg(conn: LoadConnection, id: string, seq: number, sender: string, body: string): void;
  onError(conn: LoadConnection, message: string, ref?: string): void;
}

/** One WebSocket of a load client: a user, its room, its window of unacked sends. */
export class LoadConnection {
  readonly user: string;
  readonly room: string;
  /** This connection's index among its room's members. */
  readonly member: number;
  /** Sends not yet acked. */
  inflight = 0;
  readonly #framing: ClientFraming;
  readonly #ws: WebSocket;
  readonly #handlers: ConnectionHandlers;
  #welcomed: () => void = () => undefined;
  #joined: () => void = () => undefined;
  #fetched: () => void = () => undefined;
  readonly welcomed: Promise<void>;
  readonly #failed: Promise<never>;

  constructor(o: { baseUrl: string; user: string; room: string; member: number; framing: ClientFraming; handlers: ConnectionHandlers }) {
    this.user = o.user;
    this.room = o.room;
    this.member = o.member;
    this.#framing = o.framing;
    this.#handlers = o.handlers;
    // The load clients' CPU is CPU the systems under test do not get (2 cores): frames go out with an all-zero
    // mask key (valid; ws then skips masking) and text is not re-validated as UTF-8. Same for every system.
    this.#ws = new WebSocket(o.framing.url(o.baseUrl, o.user), { perMessageDeflate: false, skipUTF8Validation: true, generateMask: () => undefined });
    this.welcomed = new Promise((resolve) => { this.#welcomed = resolve; });
    this.#failed = new Promise((_, reject) => {
      this.#ws.once('error', (e) => reject(new Error(`${o.user}: ${e.message}`)));
      this.#ws.once('close', (code) => reject(new Error(`${o.user}: connection closed (${code})`)));
    });
    this.#failed.catch(() => undefined);
    this.#ws.on('message', (data, isBinary) => {
      if (!isBinary) this.#onText((data as Buffer).toString());
    });
  }

  /** Resolves once the server welcomed this connection; rejects if it failed first. */
  open(): Promise<void> {
    return Promise.race([this.welcomed, this.#failed]);
  }

  /** Joins the connection's room and resolves when the server says it joined. */
  join(): Promise<void> {
    const joined = new Promise<void>((resolve) => { this.#joined = resolve; });
    this.#ws.send(this.#framing.joinFrame(this.room));
    return Promise.race([joined, this.#failed]);
  }

  /** Whether the protocol can fetch committed messages from the database. */
  get canFetch(): boolean {
    return this.#framing.fetchFrame !== undefined;
  }

  /** Fetches up to `limit` committed messages of the room after `after`; resolves when the answer has ended (its msgs go to onMsg). */
  fetch(after: number, limit: number): Promise<void> {
    const frame = this.#framing.fetchFrame?.(this.room, after, limit);
    if (frame === undefined) return Promise.resolve();
    const done = new Promise<void>((resolve) => { this.#fetched = resolve; });
    this.#ws.send(frame);
    return Promise.race([done, this.#failed]);
  }

  /** Sends one message to the connection's room. */
  send(id: string, body: string): void {
    this.inflight += 1;
    this.#ws.send(this.#framing.sendFrame(id, this.room, body));
  }

  /** Closes the socket (no close handshake wait). */
  close(): void {
    this.#ws.removeAllListeners('message');
    this.#ws.on('error', () => undefined);
    this.#ws.terminate();
  }

  #onText(text: string): void {
    let f: Incoming;
    try {
      f = this.#framing.parse(text);
    } catch (e) {
      return this.#handlers.onError(this, `unparsable frame: ${String(e)}`);
    }
    switch (f.kind) {
      case 'msg': return this.#handlers.onMsg(this, f.id, f.seq, f.sender, f.body);
      case 'ack': return this.#handlers.onAck(this, f.id, f.seq);
      case 'reply': return void this.#ws.send(f.frame);
      case 'welcome': return this.#welcomed();
      case 'joined': return this.#joined();
      case 'fetched': return this.#fetched();
      case 'error': return this.#handlers.onError(this, f.message, f.ref);
      case 'ignore': return;
    }
  }
}
