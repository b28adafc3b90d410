import type * as UWS from 'uWebSockets.js';
import { CLOSE_CODES, roomTopic, serverFlags, MAX_ANSWER_BYTES, MAX_FETCH_LIMIT, MAX_READS_IN_FLIGHT, MAX_ROOMS_PER_CONNECTION, MAX_SENDS_PER_USER_PER_SEC, type CoreTrace, type ErrorCode, type FetchFrame, type JoinFrame, type MsgFrame, type SendFrame, type ServerFrame } from '../protocol/index.js';
import { mayJoin, readAfterBounded, readHeads, type MessageRow, type Store } from '../store/index.js';
import type { Bus } from '../fanout/index.js';
import type { Failpoints } from '../failpoints/index.js';
import type { Metrics } from './metrics.js';
import { parseFrame } from './frame-parser.js';
import { fullBucket, takeToken, type BucketRate, type TokenBucket } from './rate-limiter.js';
import type { SendBatcher } from './send-batcher.js';
import type { WorkerOptions } from './worker-options.js';
import { traceClock, type Tracer } from './tracer.js';
import { UserRateLimit } from './user-rate.js';
import { HeadTurns } from './head-turns.js';

type AckTrace = Extract<CoreTrace, { what: 'ack' }>;
/** A bus origin, `w<slot>:<pid>`. */
const ORIGIN = /^w(\d+):(\d+)$/;

/** Frames per second a connection may send on average, and its burst. */
export const FRAME_RATE: BucketRate = { ratePerSec: 5000, burst: 10_000 };
/** Frames over the rate limit in one second before the connection is closed with 1008. */
const MAX_REFUSED_FRAMES = 1000;
/** Refusals in a second that are answered with an error frame; the rest are dropped in silence. */
const TOLD_REFUSALS = 10;

/** How long a crash point that follows an ack waits for the ack to reach the client before it fires. */
const CRASH_DRAIN_MS = 20;

/**
 * What a worker keeps per WebSocket connection: a plain object (uWS copies the properties of the user
 * data it is given at the upgrade). Its rooms and pending joins are made on first use (`roomsOf`,
 * `joiningOf`): an idle connection (welcomed, in no room) holds neither, and an empty Set and Map are
 * about 340 bytes of heap, a sixth of what an idle connection costs the worker.
 */
export interface Session extends TokenBucket {
  user: string;
  rooms: Set<string> | undefined;
  closed: boolean;
  /** Joins and fetches waiting for the database (at most MAX_READS_IN_FLIGHT). */
  reads: number;
  /** Frames refused by the rate limiter in the current second (past MAX_REFUSED_FRAMES the connection is closed). */
  refusedFrames: number;
  /** When the current second of refusals began (whole milliseconds of performance.now()). */
  refusedSince: number;
  /** Rooms whose join is being decided (a members-only check): a send or fetch that follows waits for the answer. */
  joining: Map<string, Promise<boolean>> | undefined;
}

/** A new connection's session: in no room, no join pending. */
export function newSession(user: string, rate: BucketRate): Session {
  // Every field written out (a spread would put the last ones out of line, 32 bytes more a session).
  const bucket = fullBucket(rate);
  return { user, rooms: undefined, closed: false, tokens: bucket.tokens, tokensAt: bucket.tokensAt, reads: 0, joining: undefined, refusedFrames: 0, refusedSince: 0 };
}

/** The rooms a connection is in, made on first use. */
function roomsOf(s: Session): Set<string> {
  return (s.rooms ??= new Set());
}

/** The joins of a connection being decided, made on first use. */
function joiningOf(s: Session): Map<string, Promise<boolean>> {
  return (s.joining ??= new Map());
}

/** A uWS socket carrying a session. */
export type Socket = UWS.WebSocket<Session>;

/** The msg frames of a room after `after`, in order, as many as fit in MAX_ANSWER_BYTES (at least one, so an answer always moves on); read no further. */
function readFrames(store: Store, room: string, after: number, limit: number): Promise<{ rows: string[]; more: boolean }> {
  return readAfterBounded(store, room, after, limit, MAX_ANSWER_BYTES, (r) => {
    const frame = msgFrame(r);
    return { bytes: frame.length, value: frame };
  });
}

/** Serializes a committed row as a `msg` frame (once; the string is what every recipient gets). */
export function msgFrame(r: Pick<MessageRow, 'id' | 'room' | 'seq' | 'sender' | 'body' | 'created_at'>): string {
  const f: MsgFrame = { type: 'msg', id: r.id, room: r.room, seq: r.seq, sender: r.sender, body: r.body, ts: r.created_at };
  return JSON.stringify(f);
}

/**
 * The chat logic of one worker: frame dispatch, the send path in the order the semantics
 * variant says (commit → ack → publish by default), join replay, fetch, and local fan-out.
 */
export class ChatWorker {
  readonly flags: ReturnType<typeof serverFlags>;
  /** Stage 1 of the send path: this turn's sends, batched for the writer (the primary, or this worker). */
  readonly batcher: SendBatcher;
  #app: UWS.TemplatedApp;
  #store: Store;
  #bus: Bus | undefined;
  #fp: Failpoints;
  #metrics: Metrics;
  #trace: Tracer;
  #slot: number;
  #members = new Map<string, number>();
  /** The local rooms in parts, one part's heads a turn (`broadcastHeadsTurn`). */
  readonly #headTurns: HeadTurns;
  /** Whether a turn's heads are being read: one read at a time; turns that come meanwhile wait in #headsWaiting. */
  #headsBusy = false;
  #headsWaiting = new Set<string>();
  readonly #userRate: UserRateLimit;
  /** heads-from-live only: the highest seq seen live per room. */
  #liveHeads = new Map<string, number>();
  /** Acks waiting for the end of this microtask checkpoint, to be written corked, once per socket. */
  #pendingAcks = new Map<Socket, string[]>();
  /** Tracing only: the ack events of the acks in #pendingAcks, stamped when they are written. */
  #pendingAckTraces = new Map<Socket, AckTrace[]>();

  constructor(deps: { app: UWS.TemplatedApp; store: Store; batcher: SendBatcher; bus: Bus | undefined; failpoints: Failpoints; metrics: Metrics; tracer: Tracer; options: WorkerOptions }) {
    this.#app = deps.app;
    this.#store = deps.store;
    this.#bus = deps.bus;
    this.#fp = deps.failpoints;
    this.#metrics = deps.metrics;
    this.#trace = deps.tracer;
    this.#slot = deps.options.DL_SLOT;
    this.flags = serverFlags(deps.options.DL_SEMANTICS);
    this.batcher = deps.batcher;
    this.#userRate = new UserRateLimit({ shared: deps.bus });
    this.#headTurns = new HeadTurns(deps.options.DL_HEAD_INTERVAL_MS);
  }

  /** How many turns a head interval is cut into: the head timer fires every interval ÷ this. */
  get headTurns(): number {
    return this.#headTurns.turns;
  }

  /** Rooms with at least one member on this worker. */
  get localRooms(): string[] {
    return [...this.#members.keys()];
  }

  /** Handles one raw frame from a connection (text or binary: both count against its rate). */
  onFrame(ws: Socket, data: ArrayBuffer, isBinary = false): void {
    const s = ws.getUserData();
    if (!takeToken(s, FRAME_RATE)) {
      // Refusals are counted per second: a client that goes on after being told to slow down is
      // disconnected, and is told only the first few times (each refusal would be a write of ours).
      const now = Math.floor(performance.now());
      if (now - s.refusedSince > 1000) { s.refusedSince = now; s.refusedFrames = 0; }
      if (++s.refusedFrames > MAX_REFUSED_FRAMES) return void ws.end(CLOSE_CODES.policy, `more than ${MAX_REFUSED_FRAMES} frames in a second over the rate limit: disconnected`);
      if (s.refusedFrames <= TOLD_REFUSALS) this.#error(ws, 'rate_limited', 'too many frames; slow down');
      return;
    }
    if (isBinary) return this.#error(ws, 'bad_frame', 'frames are JSON text, not binary');
    const p = parseFrame(data);
    if (!p.ok) return this.#error(ws, p.code, p.message, p.ref, p.nonce);
    const f = p.frame;
    this.#metrics.framesReceived.inc({ type: f.type });
    switch (f.type) {
      case 'join': return void this.#join(ws, f).catch((e) => this.#error(ws, 'internal', String(e), f.room));
      case 'send': return void this.#send(ws, f).catch((e) => this.#error(ws, 'unavailable', `commit failed: ${String(e)}`, f.id, f.nonce));
      case 'fetch': return void this.#fetch(ws, f).catch((e) => this.#error(ws, 'internal', String(e), f.room));
      case 'leave': return this.#leave(ws, f.room);
      case 'ping': return this.#reply(ws, { type: 'pong', ...(f.nonce === undefined ? {} : { nonce: f.nonce }) });
    }
  }

  /** Forgets a closed connection's memberships. */
  onClose(ws: Socket): void {
    const s = ws.getUserData();
    s.closed = true;
    for (const room of s.rooms ?? []) this.#dropMember(room);
    s.rooms?.clear();
  }

  /** Fans a serialized msg or head frame out to this worker's members of the room. */
  fanOut(room: string, frame: string): void {
    if (this.flags.headsFrom === 'live') this.#sawLive(room, frame);
    this.#app.publish(roomTopic(room), frame, false);
  }

  /** Fans out a msg frame another worker published, received from Redis (`origin` is that worker's `w<slot>:<pid>`). */
  fromBus(room: string, frame: string, origin: string): void {
    if (!this.#trace.on) return this.fanOut(room, frame);
    // The bus validated the frame; tracing reads its id and seq again rather than burden the untraced path.
    const m = JSON.parse(frame) as MsgFrame;
    const o = ORIGIN.exec(origin);
    this.#trace.emit({ what: 'bus-receive', at: traceClock(), worker: this.#slot, id: m.id, room, seq: m.seq, origin: Number(o?.[1] ?? 0), originPid: Number(o?.[2] ?? 1) });
    this.fanOut(room, frame);
    this.#trace.emit({ what: 'fanout', at: traceClock(), worker: this.#slot, id: m.id, room, seq: m.seq, source: 'bus', members: this.#members.get(room) ?? 0 });
  }

  /** Sends every local room its committed head at once (after the bus's subscriber reconnected: anything may have been missed meanwhile). */
  broadcastHeads(): Promise<void> {
    return this.#sendHeads(this.localRooms);
  }

  /**
   * One firing of the head timer: the heads of the rooms whose turn has come (every room gets its head once an
   * interval). One read at a time: rooms whose turn comes while one is in flight (a slow database) go in the next.
   */
  async broadcastHeadsTurn(now = performance.now()): Promise<void> {
    for (const r of this.#headTurns.due(now)) this.#headsWaiting.add(r);
    if (this.#headsBusy) return;
    this.#headsBusy = true;
    try {
      while (this.#headsWaiting.size > 0) {
        const rooms = [...this.#headsWaiting];
        this.#headsWaiting.clear();
        await this.#sendHeads(rooms);
      }
    } finally {
      this.#headsBusy = false;
    }
  }

  /** Sends each room its committed head, read from the database (never from Redis; the heads-from-live ablation excepted). */
  async #sendHeads(rooms: string[]): Promise<void> {
    if (rooms.length === 0) return;
    const heads = this.flags.headsFrom === 'live' ? new Map(rooms.flatMap((r) => (this.#liveHeads.has(r) ? [[r, this.#liveHeads.get(r)!] as const] : []))) : await readHeads(this.#store, rooms);
    for (const [room, seq] of heads) {
      this.fanOut(room, JSON.stringify({ type: 'head', room, seq } satisfies ServerFrame));
      if (this.#trace.on) this.#trace.emit({ what: 'head', at: traceClock(), worker: this.#slot, room, seq, from: this.flags.headsFrom });
    }
  }

  /** The heads-from-live ablation: the highest seq this worker has seen go by, per room. */
  #sawLive(room: string, frame: string): void {
    const f = JSON.parse(frame) as { type?: string; seq?: number };
    if (f.type === 'msg' && typeof f.seq === 'number' && f.seq > (this.#liveHeads.get(room) ?? 0)) this.#liveHeads.set(room, f.seq);
  }

  async #join(ws: Socket, f: JoinFrame): Promise<void> {
    const s = ws.getUserData();
    if (!s.rooms?.has(f.room) && (s.rooms?.size ?? 0) >= MAX_ROOMS_PER_CONNECTION) return this.#error(ws, 'too_many_rooms', `a connection may join at most ${MAX_ROOMS_PER_CONNECTION} rooms; leave one first`, f.room);
    const read = this.#startRead(ws, f.room);
    if (!read) return;
    try {
      await this.#joinRoom(ws, s, f);
    } finally {
      s.reads -= 1;
    }
  }

  /**
   * Counts a read in flight, or refuses it: too many waiting for the database, or the answers already
   * given have not been read yet (more than MAX_ANSWER_BYTES still wait in the connection's buffer), or
   * the connection is gone (nothing is read for it).
   */
  #startRead(ws: Socket, room: string): boolean {
    const s = ws.getUserData();
    if (s.closed) return false;
    if (s.reads >= MAX_READS_IN_FLIGHT || ws.getBufferedAmount() > MAX_ANSWER_BYTES) {
      this.#error(ws, 'too_many_reads', `at most ${MAX_READS_IN_FLIGHT} joins and fetches may wait for their answers, and ${MAX_ANSWER_BYTES} bytes of answers for the client to read, at once`, room);
      return false;
    }
    s.reads += 1;
    return true;
  }

  async #joinRoom(ws: Socket, s: Session, f: JoinFrame): Promise<void> {
    if (!s.rooms?.has(f.room)) {
      // A members-only room admits its members alone; membership is checked once, when the connection joins.
      // Frames that follow the join (the SDK's sends, right behind it) wait for the decision.
      let decided = s.joining?.get(f.room);
      if (decided === undefined) {
        decided = mayJoin(this.#store, f.room, s.user);
        joiningOf(s).set(f.room, decided);
        void decided.catch(() => false).finally(() => { if (s.joining?.get(f.room) === decided) s.joining?.delete(f.room); });
      }
      if (!(await decided)) return this.#error(ws, 'forbidden', `room ${f.room} is members-only and ${s.user} is not a member`, f.room);
      if (s.closed) return;
    }
    if (!s.rooms?.has(f.room)) {
      roomsOf(s).add(f.room);
      ws.subscribe(roomTopic(f.room));
      const n = (this.#members.get(f.room) ?? 0) + 1;
      this.#members.set(f.room, n);
      if (n === 1) {
        this.#bus?.join(f.room);
        this.#headTurns.add(f.room);
      }
    }
    // Subscribed before the replay is read: a message committed meanwhile arrives live or in the replay, or both.
    // At most MAX_ANSWER_BYTES of replay (read no further): the client fetches the rest up to the joined head.
    const frames = f.replay && !s.closed ? (await readFrames(this.#store, f.room, f.after, MAX_FETCH_LIMIT)).rows : [];
    const head = (await readHeads(this.#store, [f.room])).get(f.room) ?? 0;
    if (s.closed) return;
    ws.cork(() => {
      for (const frame of frames) ws.send(frame, false);
      ws.send(JSON.stringify({ type: 'joined', room: f.room, head } satisfies ServerFrame), false);
    });
    if (this.#trace.on) this.#trace.emit({ what: 'replay', at: traceClock(), worker: this.#slot, user: s.user, room: f.room, after: f.after, rows: frames.length, head });
  }

  #leave(ws: Socket, room: string): void {
    const s = ws.getUserData();
    if (!s.rooms?.delete(room)) return this.#error(ws, 'not_joined', `not joined to ${room}`, room);
    ws.unsubscribe(roomTopic(room));
    this.#dropMember(room);
    this.#reply(ws, { type: 'left', room });
  }

  #dropMember(room: string): void {
    const n = (this.#members.get(room) ?? 1) - 1;
    if (n > 0) return void this.#members.set(room, n);
    this.#members.delete(room);
    this.#headTurns.delete(room);
    this.#bus?.leave(room);
  }

  /** Whether the connection is in `room`, once a join of it still being decided is decided. */
  async #member(s: Session, room: string): Promise<boolean> {
    if (s.rooms?.has(room)) return true;
    const decided = s.joining?.get(room);
    return decided !== undefined && (await decided.catch(() => false)) && s.rooms?.has(room) === true;
  }

  async #fetch(ws: Socket, f: FetchFrame): Promise<void> {
    const s = ws.getUserData();
    if (!(await this.#member(s, f.room))) return this.#error(ws, 'not_joined', `join ${f.room} before fetching from it`, f.room);
    if (!this.#startRead(ws, f.room)) return;
    let answer: { rows: string[]; more: boolean };
    try {
      // At most MAX_ANSWER_BYTES per answer (read no further): `more` tells the client to fetch again from where it ends.
      answer = await readFrames(this.#store, f.room, f.after, f.limit);
    } finally {
      s.reads -= 1;
    }
    if (s.closed) return;
    const frames = answer.rows;
    const more = answer.more;
    ws.cork(() => {
      for (const frame of frames) ws.send(frame, false);
      ws.send(JSON.stringify({ type: 'fetched', room: f.room, after: f.after, count: frames.length, more } satisfies ServerFrame), false);
    });
    if (this.#trace.on) this.#trace.emit({ what: 'fetch', at: traceClock(), worker: this.#slot, user: s.user, room: f.room, after: f.after, count: frames.length, more });
  }

  async #send(ws: Socket, f: SendFrame): Promise<void> {
    const s = ws.getUserData();
    if (!s.rooms?.has(f.room) && !(await this.#member(s, f.room))) return this.#error(ws, 'not_joined', `join ${f.room} before sending to it`, f.id, f.nonce);
    // Sends per second per user, across connections and workers (the retry of a send counts too).
    if (!this.#userRate.take(s.user)) return this.#error(ws, 'rate_limited', `${s.user} sent more than ${MAX_SENDS_PER_USER_PER_SEC} messages this second (all connections and workers together); slow down`, f.id, f.nonce);
    const sender = s.user;
    const what = `id ${f.id} room ${f.room}`;
    if (this.flags.order !== 'commit-ack-publish') return this.#sendSeededBug(ws, f, sender, what);
    this.#fp.reach('before-commit', what);
    const r = await this.batcher.submit({ id: f.id, room: f.room, sender, body: f.body });
    // Where the id lives is not said: the room may be one this user may not see.
    if (r.kind === 'conflict') return this.#error(ws, 'id_conflict', `id ${f.id} is already taken by another message: make a new id for a new message`, f.id, f.nonce);
    this.#fp.reach('after-commit-before-ack', what);
    this.#ack(ws, f, r.seq, r.duplicate);
    if (this.#fp.isArmed('after-ack-before-publish')) await this.#flushBeforeCrash(ws);
    this.#fp.reach('after-ack-before-publish', what);
    // A retry is published again: its first publish may have died with a crashed worker.
    this.#publish(msgFrame({ id: f.id, room: f.room, seq: r.seq, sender, body: f.body, created_at: r.createdAt }), f.room, f.id, r.seq, r.duplicate);
  }

  /** The seeded bugs: publish or ack with a guessed seq before the commit makes it true. */
  async #sendSeededBug(ws: Socket, f: SendFrame, sender: string, what: string): Promise<void> {
    const guess = ((await readHeads(this.#store, [f.room])).get(f.room) ?? 0) + 1 + this.batcher.pending;
    const frame = msgFrame({ id: f.id, room: f.room, seq: guess, sender, body: f.body, created_at: Date.now() });
    if (this.flags.order === 'publish-commit-ack') {
      this.#publish(frame, f.room, f.id, guess, false);
      // The publish must have left for Redis before the crash point kills the process, or no phantom is shown.
      if (this.#fp.isArmed('before-commit')) await new Promise((r) => setTimeout(r, CRASH_DRAIN_MS));
    } else {
      this.#ack(ws, f, guess, false);
      if (this.#fp.isArmed('before-commit')) await this.#flushBeforeCrash(ws);
    }
    this.#fp.reach('before-commit', what);
    const r = await this.batcher.submit({ id: f.id, room: f.room, sender, body: f.body });
    if (r.kind === 'conflict') return this.#error(ws, 'id_conflict', `id ${f.id} conflicts`, f.id, f.nonce);
    if (this.flags.order === 'publish-commit-ack') this.#ack(ws, f, r.seq, r.duplicate);
    else this.#publish(msgFrame({ id: f.id, room: f.room, seq: r.seq, sender, body: f.body, created_at: r.createdAt }), f.room, f.id, r.seq, r.duplicate);
  }

  #ack(ws: Socket, f: SendFrame, seq: number, duplicate: boolean): void {
    if (duplicate) this.#metrics.duplicates.inc();
    else this.#metrics.committed.inc();
    // The sends of one group commit resume in one microtask checkpoint: their acks are collected and
    // written with one corked write per socket (an ack sent outside a uWS handler is a write() each).
    const frame = JSON.stringify((f.nonce === undefined ? { type: 'ack', id: f.id, room: f.room, seq, duplicate } : { type: 'ack', id: f.id, room: f.room, seq, duplicate, nonce: f.nonce }) satisfies ServerFrame);
    if (this.#trace.on) this.#traceAck(ws, { what: 'ack', at: 0, worker: this.#slot, id: f.id, room: f.room, seq, duplicate });
    const list = this.#pendingAcks.get(ws);
    if (list) return void list.push(frame);
    this.#pendingAcks.set(ws, [frame]);
    if (this.#pendingAcks.size === 1) queueMicrotask(() => this.#flushAcks());
  }

  /**
   * Before a crash point that comes after an ack: writes the acks now and lets them reach the client
   * before the process dies. A SIGKILL with unread input on the socket makes the kernel reset the
   * connection, discarding what it had not yet sent; "after the ack" must mean the client has it.
   */
  async #flushBeforeCrash(ws: Socket): Promise<void> {
    this.#flushAcks();
    for (let i = 0; i < 50 && !ws.getUserData().closed && ws.getBufferedAmount() > 0; i++) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, CRASH_DRAIN_MS));
  }

  /** Writes the collected acks (also called right before a crash point, so "after the ack" means it was written). */
  #flushAcks(): void {
    const pending = this.#pendingAcks;
    this.#pendingAcks = new Map();
    const traces = this.#pendingAckTraces;
    if (this.#trace.on) this.#pendingAckTraces = new Map();
    for (const [ws, frames] of pending) {
      try {
        if (ws.getUserData().closed) continue;
        ws.cork(() => { for (const fr of frames) ws.send(fr, false); });
        if (this.#trace.on) this.#emitAcks(traces.get(ws));
      } catch {
        // The socket closed under us: the client resends and gets duplicate: true.
      }
    }
  }

  /** Tracing: holds an ack's event until its frame is written. */
  #traceAck(ws: Socket, t: AckTrace): void {
    const list = this.#pendingAckTraces.get(ws);
    if (list) list.push(t);
    else this.#pendingAckTraces.set(ws, [t]);
  }

  /** Tracing: emits the events of acks just written, stamped now. */
  #emitAcks(list: AckTrace[] | undefined): void {
    const at = traceClock();
    for (const t of list ?? []) {
      t.at = at;
      this.#trace.emit(t);
    }
  }

  /** Fans a committed message out locally and publishes it; `republish` says its commit was a retry's (duplicate). */
  #publish(frame: string, room: string, id: string, seq: number, republish: boolean): void {
    this.fanOut(room, frame);
    if (this.#trace.on) this.#trace.emit({ what: 'fanout', at: traceClock(), worker: this.#slot, id, room, seq, source: 'local', members: this.#members.get(room) ?? 0, republish });
    const bus = this.#bus;
    if (!bus) return;
    const copies = this.#fp.publishCopies();
    const delayMs = this.#fp.publishDelayMs();
    const go = () => {
      for (let i = 0; i < copies; i++) bus.publish(room, frame);
      this.#metrics.published.inc(copies);
      if (this.#trace.on) this.#trace.emit({ what: 'publish', at: traceClock(), worker: this.#slot, id, room, seq, copies, republish, ...(delayMs > 0 ? { delayMs } : {}) });
    };
    if (delayMs > 0) setTimeout(go, delayMs);
    else go();
  }

  #reply(ws: Socket, f: ServerFrame): void {
    if (!ws.getUserData().closed) ws.send(JSON.stringify(f), false);
  }

  /** Sends an error frame; `ref` is the id or room it concerns, `nonce` the refused send's (echoed so a reused id's answers are told apart). */
  #error(ws: Socket, code: ErrorCode, message: string, ref?: string, nonce?: number): void {
    this.#metrics.errorsSent.inc({ code });
    this.#reply(ws, { type: 'error', code, message, ...(ref === undefined ? {} : { ref }), ...(nonce === undefined ? {} : { nonce }) });
  }
}
