import { ERROR_CODES, SendFrame, ServerFrame, type ClientFrame, type ErrorFrame, type MsgFrame } from '../protocol/index.js';
import { backoffDelayMs } from './backoff.js';
import { CaughtUpWaiters } from './caught-up.js';
import { ClientClosedError, SendAbandonedError, SendError } from './errors.js';
import type { ClientEvent, DisconnectReason } from './events.js';
import { Heartbeat } from './heartbeat.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options.js';
import { Outbox, type Ack, type OutboxEntry } from './outbox.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { RoomState, type FetchRequest, type Incoming } from './room-state.js';
import { dropSocket, frameText, OPEN, type WebSocketLike } from './socket.js';
import { emptyStats, type ClientStats } from './stats.js';
import type { TimerHandle } from './timers.js';

/**
 * An at-least-once chat client that gives its application each message exactly once, in seq
 * order per room, without gaps: an outbox retried with the same id until acked, a cursor and a
 * reorder buffer per room, gap fetches, reconnects with backoff across workers and a heartbeat.
 * It starts connecting when constructed.
 */
export class DeliveryClient {
  readonly #o: ResolvedOptions;
  readonly #rooms = new Map<string, RoomState>();
  readonly #outbox = new Outbox();
  readonly #stats = emptyStats();
  readonly #waiters: CaughtUpWaiters;
  #socket: WebSocketLike | null = null;
  #worker: number | null = null;
  #heartbeat: Heartbeat | null = null;
  #urlIndex = 0;
  #connects = 0;
  #failures = 0;
  #connectTimer: TimerHandle | null = null;
  #retryTimer: TimerHandle | null = null;
  #reconnectTimer: TimerHandle | null = null;
  #closing: Promise<void> | null = null;
  #onClosed: (() => void) | null = null;

  constructor(options: ClientOptions) {
    this.#o = resolveOptions(options);
    for (const url of this.#o.urls) new URL(url); // throws a TypeError naming a malformed URL now, not on a reconnect
    const { dedup, replay, fetch } = this.#o.semantics;
    for (const name of this.#o.rooms) {
      const cursor = this.#o.cursors[name] ?? 0;
      this.#rooms.set(name, new RoomState(name, new ReorderBuffer<Incoming>({ cursor, dedup, skipGaps: !fetch && !replay })));
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

  /** Send a message; resolves with the ack, retrying with the same id across reconnects (see `semantics.retry`). */
  send(room: string, body: string): Promise<Ack> {
    if (this.#closing !== null) return Promise.reject(new ClientClosedError(`send to room ${room}`));
    const id = this.#o.idFactory();
    const frame = SendFrame.safeParse({ type: 'send', id, room, body });
    if (!frame.success) {
      const message = frame.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return Promise.reject(new SendError(id, room, 'bad_frame', message));
    }
    return new Promise<Ack>((resolve, reject) => {
      const entry: OutboxEntry = { id, room, body, attempts: 0, lastSentAt: 0, resolve, reject };
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
    this.#clear('reconnect');
    for (const entry of this.#outbox.entries()) this.#abandon(entry, 'client-close');
    this.#waiters.rejectAll(new ClientClosedError('whenCaughtUp'));
    const socket = this.#socket;
    if (socket === null || socket.readyState !== OPEN) {
      this.#disconnected('client-close');
    } else {
      socket.close(1000, 'client closing');
      this.#connectTimer = this.#o.timers.setTimeout(() => this.#disconnected('client-close'), this.#o.connectTimeoutMs);
    }
    return this.#closing;
  }

  /** Drop the connection without a close handshake (a client fault for the lab) and let the client reconnect. */
  closeAbruptly(): void {
    if (this.#socket !== null && this.#closing === null) this.#disconnected('fault');
  }

  #connect(): void {
    this.#reconnectTimer = null;
    if (this.#closing !== null) return;
    if (this.#connects++ > 0) this.#stats.reconnects++;
    const url = this.#o.urls[this.#urlIndex % this.#o.urls.length] ?? '';
    let socket: WebSocketLike;
    try {
      socket = new this.#o.WebSocket(url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onmessage = (event: { data: unknown }) => {
      if (this.#socket === socket) this.#onData(event.data);
    };
    socket.onclose = () => {
      if (this.#socket === socket) this.#disconnected(this.#closing !== null ? 'client-close' : 'closed');
    };
    socket.onerror = () => {
      if (this.#socket === socket) this.#disconnected(this.#closing !== null ? 'client-close' : 'error');
    };
    this.#connectTimer = this.#o.timers.setTimeout(() => this.#disconnected('connect-timeout'), this.#o.connectTimeoutMs);
  }

  #disconnected(reason: DisconnectReason): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#clear('connect', 'retry');
    this.#heartbeat?.stop();
    this.#heartbeat = null;
    if (socket !== null) {
      if (reason !== 'closed') dropSocket(socket);
      const worker = this.#worker;
      this.#worker = null;
      for (const room of this.#rooms.values()) room.reset();
      this.#emit({ type: 'disconnect', worker, reason });
      if (!this.#o.semantics.retry) {
        for (const entry of this.#outbox.entries()) if (entry.attempts > 0) this.#abandon(entry, 'disconnected');
      }
    }
    if (this.#closing !== null) {
      this.#onClosed?.();
      this.#onClosed = null;
    } else {
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect(): void {
    this.#urlIndex = (this.#urlIndex + 1) % this.#o.urls.length;
    const delayMs = backoffDelayMs(this.#failures++, this.#o.backoff, this.#o.random);
    this.#reconnectTimer = this.#o.timers.setTimeout(() => this.#connect(), delayMs);
  }

  #clear(...which: ('connect' | 'retry' | 'reconnect')[]): void {
    const t = this.#o.timers;
    if (which.includes('connect') && this.#connectTimer !== null) t.clearTimeout(this.#connectTimer);
    if (which.includes('retry') && this.#retryTimer !== null) t.clearInterval(this.#retryTimer);
    if (which.includes('reconnect') && this.#reconnectTimer !== null) t.clearTimeout(this.#reconnectTimer);
    if (which.includes('connect')) this.#connectTimer = null;
    if (which.includes('retry')) this.#retryTimer = null;
    if (which.includes('reconnect')) this.#reconnectTimer = null;
  }

  #onData(data: unknown): void {
    const text = frameText(data);
    let json: unknown;
    try {
      json = text === undefined ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) {
      this.#stats.badFrames++;
      return;
    }
    const f = parsed.data;
    if (f.type === 'welcome') {
      if (this.#worker === null) this.#onWelcome(f.worker, f.pid);
      return;
    }
    if (this.#worker === null) return; // nothing but a welcome is expected before the welcome
    const room = 'room' in f ? this.#rooms.get(f.room) : undefined;
    switch (f.type) {
      case 'ack': return this.#onAck(f.id, f.seq, f.duplicate);
      case 'error': return this.#onError(f);
      case 'pong': return this.#heartbeat?.onPong(f.nonce);
      case 'left': return;
      case 'msg': return room && this.#onMsg(room, f);
      case 'joined':
        if (room === undefined) return;
        room.onJoinedHead(f.head);
        this.#emit({ type: 'joined', room: room.name, head: f.head, worker: this.#worker });
        return void (this.#fetch(room, room.gapFetch(this.#o.fetchLimit)) || this.#fetch(room, room.tailFetch(this.#o.fetchLimit)));
      case 'head':
        if (room === undefined || !room.onHead(f.seq)) return void (room && this.#fetch(room, room.gapFetch(this.#o.fetchLimit)));
        return void (this.#fetch(room, room.gapFetch(this.#o.fetchLimit)) || this.#fetch(room, room.tailFetch(this.#o.fetchLimit)));
      case 'fetched':
        if (room === undefined || !room.fetching) return;
        room.onFetched();
        // A fetch that found nothing is not repeated at once; the next head or msg tries again.
        if (f.count > 0) void (this.#fetch(room, room.gapFetch(this.#o.fetchLimit)) || (f.more && this.#fetch(room, room.tailFetch(this.#o.fetchLimit))));
        return;
    }
  }

  #onWelcome(worker: number, pid: number): void {
    this.#clear('connect');
    this.#worker = worker;
    this.#failures = 0;
    this.#emit({ type: 'connect', worker, pid });
    this.#heartbeat = new Heartbeat({
      intervalMs: this.#o.heartbeatIntervalMs,
      timeoutMs: this.#o.heartbeatTimeoutMs,
      timers: this.#o.timers,
      now: this.#o.now,
      sendPing: (nonce) => this.#write({ type: 'ping', nonce }),
      onTimeout: () => this.#disconnected('heartbeat'),
    });
    this.#heartbeat.start();
    const replay = this.#o.semantics.replay;
    for (const room of this.#rooms.values()) {
      const after = room.buffer.cursor;
      this.#emit({ type: 'join', room: room.name, after, worker });
      this.#write({ type: 'join', room: room.name, after, replay });
    }
    for (const entry of this.#outbox.entries()) this.#transmit(entry);
    if (this.#o.semantics.retry) this.#retryTimer = this.#o.timers.setInterval(() => this.#retryDue(), this.#o.retryIntervalMs);
  }

  #retryDue(): void {
    const now = this.#o.now();
    for (const entry of this.#outbox.entries()) if (now - entry.lastSentAt >= this.#o.retryIntervalMs) this.#transmit(entry);
  }

  #transmit(entry: OutboxEntry): void {
    if (entry.attempts > 0 && !this.#o.semantics.retry) return;
    entry.attempts++;
    entry.lastSentAt = this.#o.now();
    if (entry.attempts === 1) this.#stats.sent++;
    else this.#stats.retries++;
    const { id, room, body, attempts: attempt } = entry;
    this.#emit({ type: 'send', room, id, body, attempt, worker: this.#worker });
    this.#write({ type: 'send', id, room, body });
  }

  #onAck(id: string, seq: number, duplicate: boolean): void {
    const entry = this.#outbox.take(id);
    if (entry === undefined) return; // an ack of an earlier attempt already settled it
    this.#stats.acks++;
    this.#emit({ type: 'ack', room: entry.room, id, seq, duplicate, worker: this.#worker });
    entry.resolve({ id, room: entry.room, seq, duplicate });
  }

  #onError(f: ErrorFrame): void {
    const entry = f.ref === undefined ? undefined : this.#outbox.get(f.ref);
    if (entry === undefined) {
      // An error about a room (a failed fetch): let the next head or msg fetch again.
      if (f.ref !== undefined) this.#rooms.get(f.ref)?.onFetched();
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
    } else if (result.kind === 'duplicate' && result.redeliver) {
      this.#stats.duplicatesDelivered++;
      this.#deliver(result.item);
    } else if (result.kind === 'duplicate') {
      this.#stats.duplicatesDropped++;
      this.#emit({ type: 'duplicate-dropped', room: room.name, id: f.id, seq: f.seq, worker: this.#worker });
    } else if (this.#o.semantics.fetch) {
      this.#fetch(room, room.gapFetch(this.#o.fetchLimit));
    }
  }

  #deliver(item: Incoming): void {
    const m = item.message;
    this.#stats.delivered++;
    if (item.fetched) this.#stats.gapsFilled++;
    this.#emit({ type: 'deliver', room: m.room, id: m.id, seq: m.seq, sender: m.sender, body: m.body, worker: this.#worker });
    this.#callback(() => this.#o.onMessage(m));
  }

  /** Send a fetch when `request` is not null and gap fill is on; true when one was sent. */
  #fetch(room: RoomState, request: FetchRequest | null): boolean {
    if (request === null) return false;
    if (!this.#o.semantics.fetch) {
      room.onFetched();
      return false;
    }
    this.#stats.fetches++;
    this.#emit({ type: 'gap-fetch', room: room.name, after: request.after, upto: request.upto, worker: this.#worker });
    this.#write({ type: 'fetch', room: room.name, after: request.after, limit: request.limit });
    return true;
  }

  #abandon(entry: OutboxEntry, reason: string): void {
    this.#outbox.take(entry.id);
    this.#emit({ type: 'send-abandoned', room: entry.room, id: entry.id, reason });
    entry.reject(new SendAbandonedError(entry.id, entry.room, reason));
  }

  #write(frame: ClientFrame): void {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== OPEN) return;
    try {
      socket.send(JSON.stringify(frame));
    } catch {
      // The socket is failing; its close event starts the reconnect.
    }
  }

  #emit(event: ClientEvent): void {
    this.#callback(() => this.#o.onEvent(event));
  }

  #callback(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      // An application callback that throws must not corrupt the client's state: rethrow it outside.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
