import type { CheckInput } from '../../../lab/checker/index.js';
import type { DbMessage, HistoryEvent, PhaseEvent } from '../../../lab/history/events.js';

/** A literal history and database built step by step; time advances 10 ms per event unless set with `at`. */
export class Lab {
  readonly events: HistoryEvent[] = [];
  readonly rows: DbMessage[] = [];
  #t = 0;
  #heads = new Map<string, number>();
  #integrity: string[] = ['ok'];
  #workers = new Map<string, number>();
  #faults = new Map<string, { kind: string; target: string }>();

  /** Sets the time of the next event. */
  at(t: number): this {
    this.#t = t;
    return this;
  }

  #push(e: HistoryEvent): this {
    this.events.push(e);
    this.#t += 10;
    return this;
  }

  /** Records an event at the current time without moving the clock (the first of a pair observed at one instant). */
  #same(e: HistoryEvent): void {
    this.events.push(e);
  }

  #w(client: string): number | null {
    return this.#workers.get(client) ?? null;
  }

  connect(client: string, worker: number): this {
    this.#workers.set(client, worker);
    return this.#push({ type: 'connect', t: this.#t, client, worker, pid: 1000 + worker });
  }

  disconnect(client: string, reason = 'closed'): this {
    const worker = this.#w(client);
    this.#workers.delete(client);
    return this.#push({ type: 'disconnect', t: this.#t, client, worker, reason });
  }

  join(client: string, room: string, after = 0): this {
    return this.#push({ type: 'join', t: this.#t, client, room, after, worker: this.#w(client) });
  }

  /** The application's send() with its id (attempt 1 on the wire follows unless `attempt` says otherwise). */
  invoke(client: string, room: string, id: string, body: string): this {
    return this.#push({ type: 'invoke', t: this.#t, client, room, id, body });
  }

  /** The application calls send() and the SDK writes attempt `attempt` (attempt 1 also records the invoke). */
  send(client: string, room: string, id: string, body: string, attempt = 1): this {
    if (attempt === 1) this.#same({ type: 'invoke', t: this.#t, client, room, id, body });
    return this.attempt(client, room, id, body, attempt);
  }

  /** The SDK writes one attempt of a send (no invoke). */
  attempt(client: string, room: string, id: string, body: string, attempt: number): this {
    return this.#push({ type: 'send', t: this.#t, client, room, id, body, attempt, worker: this.#w(client) });
  }

  /** The application's send() resolved with an ack; the SDK reported the same (sdk-ack) unless `sdk` is false. */
  ack(client: string, room: string, id: string, seq: number, duplicate = false, sdk = true): this {
    if (sdk) this.#same({ type: 'sdk-ack', t: this.#t, client, room, id, seq, duplicate, worker: this.#w(client) });
    return this.#push({ type: 'ack', t: this.#t, client, room, id, seq, duplicate, worker: this.#w(client) });
  }

  /** The application's send() rejected with a definite error. */
  sendFail(client: string, room: string, id: string, code: string): this {
    return this.#push({ type: 'send-fail', t: this.#t, client, room, id, code });
  }

  /** The application's send() rejected with its outcome unknown. */
  sendInfo(client: string, room: string, id: string, reason: string): this {
    return this.#push({ type: 'send-info', t: this.#t, client, room, id, reason });
  }

  /** A frame a client received on the wire. */
  frame(client: string, frame: string, fields: { room?: string; id?: string; seq?: number; code?: string } = {}): this {
    return this.#push({ type: 'frame', t: this.#t, client, worker: this.#w(client), frame, ...fields });
  }

  /** The SDK says it delivered a message (no application delivery). */
  sdkDeliver(client: string, room: string, id: string, seq: number, body: string, sender = 'c1'): this {
    return this.#push({ type: 'sdk-deliver', t: this.#t, client, room, id, seq, sender, body, worker: this.#w(client) });
  }

  /** The application's callback got a message the SDK did not report (no sdk-deliver). */
  appOnly(client: string, room: string, id: string, seq: number, body: string, sender = 'c1'): this {
    return this.#push({ type: 'deliver', t: this.#t, client, room, id, seq, sender, body, worker: this.#w(client), path: 'live' });
  }

  /** Adds a database row (no event). */
  commit(id: string, room: string, seq: number, body: string, sender = 'c1'): this {
    this.rows.push({ id, room, seq, sender, body, created_at: 1_700_000_000_000 + seq });
    return this;
  }

  /** Send, commit and ack in one go: the happy path of one message. */
  post(client: string, room: string, id: string, body: string, seq: number): this {
    return this.send(client, room, id, body).commit(id, room, seq, body, client).ack(client, room, id, seq);
  }

  /** The SDK delivers a message and the application's callback receives it. */
  deliver(client: string, room: string, id: string, seq: number, body: string, sender = 'c1'): this {
    this.#same({ type: 'sdk-deliver', t: this.#t, client, room, id, seq, sender, body, worker: this.#w(client) });
    return this.appOnly(client, room, id, seq, body, sender);
  }

  /** Delivers a committed row to each of the clients. */
  fanout(id: string, ...clients: string[]): this {
    const row = this.rows.find((r) => r.id === id);
    if (row === undefined) throw new Error(`fanout: no committed row ${id}; commit it first`);
    for (const c of clients) this.deliver(c, row.room, row.id, row.seq, row.body, row.sender);
    return this;
  }

  dropped(client: string, room: string, id: string, seq: number): this {
    return this.#push({ type: 'duplicate-dropped', t: this.#t, client, room, id, seq, worker: this.#w(client) });
  }

  gapFetch(client: string, room: string, after: number, upto: number | null = null): this {
    return this.#push({ type: 'gap-fetch', t: this.#t, client, room, after, upto, worker: this.#w(client) });
  }

  fault(fault: string, kind: string, target: string): this {
    this.#faults.set(fault, { kind, target });
    return this.#push({ type: 'fault-start', t: this.#t, fault, kind, target, params: {} });
  }

  heal(fault: string): this {
    const f = this.#faults.get(fault) ?? { kind: 'unknown', target: 'unknown' };
    return this.#push({ type: 'fault-heal', t: this.#t, fault, ...f });
  }

  phase(phase: PhaseEvent['phase']): this {
    return this.#push({ type: 'phase', t: this.#t, phase });
  }

  /** Overrides a room's head (default: its highest committed seq). */
  head(room: string, head: number): this {
    this.#heads.set(room, head);
    return this;
  }

  /** Sets the rows of PRAGMA integrity_check (default ['ok']). */
  integrity(...rows: string[]): this {
    this.#integrity = rows;
    return this;
  }

  /** The checker input: the events, the rows, rooms with their heads, the integrity rows. */
  input(): CheckInput {
    const heads = new Map<string, number>();
    for (const r of this.rows) heads.set(r.room, Math.max(heads.get(r.room) ?? 0, r.seq));
    for (const [room, head] of this.#heads) heads.set(room, head);
    return {
      history: [...this.events],
      db: { messages: [...this.rows], rooms: [...heads].map(([name, head]) => ({ name, head })), integrity: [...this.#integrity] },
    };
  }
}

/** A new, empty lab history. */
export function lab(): Lab {
  return new Lab();
}

/** Two clients on two workers in room r1; c1 posts m1 and m2 and both clients get both. */
export function happy(): Lab {
  return lab()
    .connect('c1', 0)
    .connect('c2', 1)
    .join('c1', 'r1')
    .join('c2', 'r1')
    .post('c1', 'r1', 'm1', 'hello', 1)
    .fanout('m1', 'c1', 'c2')
    .post('c1', 'r1', 'm2', 'world', 2)
    .fanout('m2', 'c1', 'c2');
}
