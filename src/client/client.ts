import { ERROR_CODES, SendFrame, type AckFrame, type ClientFrame, type ErrorFrame, type MsgFrame, type ServerFrame } from '../protocol/index.js';
import { backoffDelayMs } from './backoff.js';
import { CaughtUpWaiters } from './caught-up.js';
import { Connection } from './connection.js';
import { ClientClosedError, SendAbandonedError, SendError } from './errors.js';
import type { ClientEvent, DisconnectReason } from './events.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options.js';
import { Outbox, type Ack, type OutboxEntry } from './outbox.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { RoomState, type Incoming } from './room-state.js';
import { emptyStats, type ClientStats } from './stats.js';
import type { TimerHandle } from './timers.js';

/**
 * An at-least-once chat client, connecting from construction on, that gives its application each
 * message exactly once, in seq order per room, without gaps (outbox retried with the same id until
 * acked, cursor and reorder buffer per room, gap fetches, heartbeat, reconnects across workers).
 */
export class DeliveryClient {
  readonly #o: ResolvedOptions;
  readonly #rooms = new Map<string, RoomState>();
  readonly #outbox = new Outbox();
  readonly #stats = emptyStats();
  readonly #waiters: CaughtUpWaiters;
  #conn: Connection | null = null;
  #worker: number | null = null;
  #urlIndex = 0;
  #connects = 0;
  #failures = 0;
  #nonces = 0;
  /** The core of this connection echoes send nonces (its welcome says so): an error without one is then never about a send. */
  #echoes = false;
  #tickTimer: TimerHandle | null = null;
  #gapTimers = new Map<RoomState, TimerHandle>();
  #reconnectTimer: TimerHandle | null = null;
  #closing: Promise<void> | null = null;
  #onClosed: () => void = () => {};

  constructor(options: ClientOptions) {
    this.#o = resolveOptions(options);
    const { dedup, replay, fetch, reorder } = this.#o.semantics;
    for (const name of this.#o.rooms) {
      const cursor = this.#o.cursors[name] ?? 0;
      this.#rooms.set(name, new RoomState(name, new ReorderBuffer<Incoming>({ cursor, dedup, skipGaps: !reorder || (!fetch && !replay) })));
    }
    this.#waiters = new CaughtUpWaiters(this.#o.timers, (room) => this.cursor(room));
    this.#connect();
  }

  /** The user name this client connects as. */
  get user(): string {
    return this.#o.user;
  }

  /** A snapshot of the counters. */
  get stats(): ClientStats {
    return { ...this.#stats };
  }

  /** How many sends wait for an ack. */
  get pendingCount(): number {
    return this.#outbox.size;
  }

  /** The worker slot of the current connection (from its welcome), or null when not connected. */
  get connectedWorker(): number | null {
    return this.#worker;
  }

  /** The highest seq of this room delivered to the application contiguously (0 before the first). */
  cursor(room: string): number {
    return this.#rooms.get(room)?.buffer.cursor ?? this.#o.cursors[room] ?? 0;
  }

  /**
   * Send a message; resolves with its ack, resent with the same id until acked (see `semantics.retry`).
   * `options.id` is the message's id when the application makes it itself (an idempotency key it
   * already stored, say); reusing an id with other content is refused with `id_conflict`.
   * @default a new id from `idFactory`
   */
  send(room: string, body: string, options: { id?: string } = {}): Promise<Ack> {
    if (this.#closing !== null) return Promise.reject(new ClientClosedError(`send to room ${room}`));
    const id = options.id ?? this.#o.idFactory();
    if (this.#outbox.get(id) !== undefined) return Promise.reject(new SendError(id, room, 'bad_frame', 'a send with this id is already waiting for its ack'));
    const frame = SendFrame.safeParse({ type: 'send', id, room, body });
    if (!frame.success) {
      const message = frame.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return Promise.reject(new SendError(id, room, 'bad_frame', message));
    }
    return new Promise<Ack>((resolve, reject) => {
      const entry: OutboxEntry = { id, nonce: ++this.#nonces, room, body, attempts: 0, lastSentAt: 0, resolve, reject };
      this.#outbox.add(entry);
      if (this.#worker !== null) this.#transmit(entry);
    });
  }

  /** Resolve when every room's cursor is at least its given head; reject with `CaughtUpTimeoutError` after `timeoutMs`. */
  whenCaughtUp(heads: Record<string, number>, timeoutMs: number): Promise<void> {
    return this.#waiters.wait(heads, timeoutMs);
  }

  /** Stop for good: abandon unacked sends, close the socket, never reconnect; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closing = new Promise<void>((resolve) => (this.#onClosed = resolve));
    if (this.#reconnectTimer !== null) this.#o.timers.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    for (const entry of this.#outbox.entries()) this.#abandon(entry, 'client-close');
    this.#waiters.rejectAll(new ClientClosedError('whenCaughtUp'));
    if (this.#conn === null) this.#onClosed();
    else this.#conn.close();
    return this.#closing;
  }

  /** Resend every unacked send now, same ids, racing their acks (a client fault for the lab); returns how many were resent (0 when disconnected or `semantics.retry` is off). */
  retryUnacked(): number {
    if (this.#worker === null || !this.#o.semantics.retry) return 0;
    const entries = this.#outbox.entries();
    for (const entry of entries) this.#transmit(entry);
    return entries.length;
  }

  /** Drop the connection without a close handshake (a client fault for the lab) and let the client reconnect. */
  closeAbruptly(): void {
    if (this.#closing === null) this.#conn?.drop('fault');
  }

  #connect(): void {
    this.#reconnectTimer = null;
    if (this.#closing !== null) return;
    if (this.#connects++ > 0) this.#stats.reconnects++;
    const url = this.#o.urls[this.#urlIndex] ?? '';
    try {
      const conn: Connection = new Connection(url, this.#o, {
        onFrame: (frame) => this.#onFrame(frame),
        onBadFrame: () => this.#stats.badFrames++,
        onDown: (reason) => this.#onDown(conn, reason),
      });
      this.#conn = conn;
    } catch {
      this.#scheduleReconnect();
    }
  }

  #onDown(conn: Connection, reason: DisconnectReason): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    if (this.#tickTimer !== null) this.#o.timers.clearInterval(this.#tickTimer);
    this.#tickTimer = null;
    const worker = this.#worker;
    this.#worker = null;
    for (const room of this.#rooms.values()) room.reset();
    for (const t of this.#gapTimers.values()) this.#o.timers.clearTimeout(t);
    this.#gapTimers.clear();
    this.#emit({ type: 'disconnect', worker, reason });
    if (!this.#o.semantics.retry) {
      for (const entry of this.#outbox.entries()) if (entry.attempts > 0) this.#abandon(entry, 'disconnected');
    }
    if (this.#closing !== null) this.#onClosed();
    else this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#urlIndex = (this.#urlIndex + 1) % this.#o.urls.length;
    const delayMs = backoffDelayMs(this.#failures++, this.#o.backoff, this.#o.random);
    this.#reconnectTimer = this.#o.timers.setTimeout(() => this.#connect(), delayMs);
  }

  #onFrame(f: ServerFrame): void {
    if (f.type === 'welcome') return this.#worker === null ? this.#onWelcome(f.worker, f.pid, f.nonces === true) : undefined;
    if (this.#worker === null) return; // before the welcome nothing else is expected
    if (f.type === 'ack') return this.#onAck(f);
    if (f.type === 'error') return this.#onError(f);
    const room = 'room' in f ? this.#rooms.get(f.room) : undefined;
    if (room === undefined) return;
    switch (f.type) {
      case 'msg':
        return this.#onMsg(room, f);
      case 'joined':
        room.onJoinedHead(f.head);
        this.#emit({ type: 'joined', room: room.name, head: f.head, worker: this.#worker });
        // Catching up on join is the replay and, after it, a fetch of the tail up to the joined head.
        return this.#o.semantics.replay ? this.#fetch(room, 'gap-or-tail') : undefined;
      case 'head':
        return this.#fetch(room, room.onHead(f.seq) ? 'gap-or-tail' : 'gap');
      case 'fetched':
        if (!room.fetching) return;
        room.onFetched();
        // A fetch that found nothing is not repeated at once: the next head or msg tries again.
        if (f.count > 0) this.#fetch(room, f.more ? 'gap-or-tail' : 'gap');
        return;
    }
  }

  #onWelcome(worker: number, pid: number, nonces: boolean): void {
    this.#worker = worker;
    // A client that sends no nonce (the no-send-nonce ablation) gets none back: it pairs every answer by id.
    this.#echoes = nonces && this.#o.semantics.nonce;
    this.#failures = 0;
    this.#emit({ type: 'connect', worker, pid });
    for (const room of this.#rooms.values()) this.#join(room);
    for (const entry of this.#outbox.entries()) this.#transmit(entry);
    this.#tickTimer = this.#o.timers.setInterval(() => this.#tick(), this.#o.retryIntervalMs);
  }

  #join(room: RoomState): void {
    const after = room.buffer.cursor;
    room.onJoinSent(this.#o.now());
    this.#emit({ type: 'join', room: room.name, after, worker: this.#worker });
    this.#write({ type: 'join', room: room.name, after, replay: this.#o.semantics.replay });
  }

  /** While connected: resend unacked sends that are due, and repeat a join or fetch whose answer is overdue (lost or refused). */
  #tick(): void {
    const now = this.#o.now();
    if (this.#o.semantics.retry) {
      for (const entry of this.#outbox.entries()) if (now - entry.lastSentAt >= this.#o.retryIntervalMs) this.#transmit(entry);
    }
    for (const room of this.#rooms.values()) {
      const overdue = room.overdue(now, this.#o.heartbeatTimeoutMs);
      if (overdue === 'join') this.#join(room);
      else if (overdue === 'fetch') this.#fetch(room, 'gap-or-tail');
    }
  }

  #transmit(entry: OutboxEntry): void {
    entry.attempts++;
    entry.lastSentAt = this.#o.now();
    if (entry.attempts === 1) this.#stats.sent++;
    else this.#stats.retries++;
    const { id, nonce, room, body, attempts: attempt } = entry;
    this.#emit({ type: 'send', room, id, body, attempt, worker: this.#worker });
    this.#write(this.#o.semantics.nonce ? { type: 'send', id, room, body, nonce } : { type: 'send', id, room, body });
  }

  /**
   * The waiting send an answer (ack, or error about a message id) is for. None when another attempt's
   * answer already settled it; none either when the answer carries another nonce: it answers an earlier
   * send whose id this one reuses (a duplicate ack of its retry, still on the wire), not this send.
   */
  #answered(id: string, nonce: number | undefined): OutboxEntry | undefined {
    const entry = this.#outbox.get(id);
    if (entry === undefined || nonce === undefined || nonce === entry.nonce) return entry;
    this.#stats.staleAnswers++;
    return undefined;
  }

  #onAck(f: AckFrame): void {
    const { id, seq, duplicate } = f;
    const entry = this.#answered(id, f.nonce);
    if (entry === undefined) return;
    this.#outbox.take(id);
    this.#stats.acks++;
    this.#emit({ type: 'ack', room: entry.room, id, seq, duplicate, worker: this.#worker });
    entry.resolve({ id, room: entry.room, seq, duplicate });
  }

  #onError(f: ErrorFrame): void {
    // A core that echoes nonces sends none with an error about a room (whose name may be a message id too).
    // The errors-by-ref ablation takes it as being about the send of that id all the same.
    const aboutSend = f.ref !== undefined && (f.nonce !== undefined || !this.#echoes || !this.#o.semantics.roomErrors);
    const entry = aboutSend ? this.#answered(f.ref!, f.nonce) : undefined;
    if (entry === undefined) {
      if (f.nonce !== undefined) return; // about a send, settled or stale
      // About a room: a refused fetch (if joined) lets the next head or msg fetch again; a refused join is repeated by #tick.
      const room = f.ref === undefined ? undefined : this.#rooms.get(f.ref);
      if (room?.joined) room.onFetched();
      return;
    }
    const { definite } = ERROR_CODES[f.code];
    this.#emit({ type: 'send-error', room: entry.room, id: entry.id, code: f.code, definite });
    if (definite) {
      this.#outbox.take(entry.id);
      entry.reject(new SendError(entry.id, entry.room, f.code, f.message));
    } else if (!this.#o.semantics.retry) {
      this.#abandon(entry, `error:${f.code}`);
    }
  }

  #onMsg(room: RoomState, f: MsgFrame): void {
    if (!room.joined && this.#o.semantics.replay) this.#stats.replays++;
    const { type: _type, ...message } = f;
    const result = room.buffer.offer({ seq: f.seq, message, fetched: room.fromFetch(f.seq) });
    if (result.kind === 'deliver') {
      for (const item of result.items) this.#deliver(item);
      this.#waiters.check();
    } else if (result.kind === 'buffered') {
      this.#fetchGapSoon(room);
    } else if (result.redeliver) {
      this.#stats.duplicatesDelivered++;
      this.#deliver(result.item);
    } else {
      this.#stats.duplicatesDropped++;
      this.#emit({ type: 'duplicate-dropped', room: room.name, id: f.id, seq: f.seq, worker: this.#worker });
    }
  }

  #deliver(item: Incoming): void {
    const m = item.message;
    this.#stats.delivered++;
    if (item.fetched) this.#stats.gapsFilled++;
    this.#emit({ type: 'deliver', room: m.room, id: m.id, seq: m.seq, sender: m.sender, body: m.body, worker: this.#worker });
    this.#callback(() => this.#o.onMessage(m));
  }

  /** Fetch a gap after the grace period, unless it has filled by itself by then (one timer per room). */
  #fetchGapSoon(room: RoomState): void {
    if (this.#o.gapGraceMs <= 0) return this.#fetch(room, 'gap');
    if (this.#gapTimers.has(room)) return;
    this.#gapTimers.set(room, this.#o.timers.setTimeout(() => {
      this.#gapTimers.delete(room);
      this.#fetch(room, 'gap');
    }, this.#o.gapGraceMs));
  }

  /** Fetch the gap below the lowest buffered message or, for `gap-or-tail` when none, up to the announced head. */
  #fetch(room: RoomState, what: 'gap' | 'gap-or-tail'): void {
    if (!this.#o.semantics.fetch) return;
    const limit = this.#o.fetchLimit;
    const now = this.#o.now();
    const request = room.gapFetch(limit, now) ?? (what === 'gap-or-tail' ? room.tailFetch(limit, now) : null);
    if (request === null) return;
    this.#stats.fetches++;
    this.#emit({ type: 'gap-fetch', room: room.name, after: request.after, upto: request.upto, worker: this.#worker });
    this.#write({ type: 'fetch', room: room.name, after: request.after, limit: request.limit });
  }

  #abandon(entry: OutboxEntry, reason: string): void {
    this.#outbox.take(entry.id);
    this.#emit({ type: 'send-abandoned', room: entry.room, id: entry.id, reason });
    entry.reject(new SendAbandonedError(entry.id, entry.room, reason));
  }

  #write(frame: ClientFrame): void {
    this.#conn?.send(frame);
  }

  #emit(event: ClientEvent): void {
    this.#callback(() => this.#o.onEvent(event));
  }

  #callback(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      // A throwing application callback must not leave the client half-updated: rethrow it outside.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
