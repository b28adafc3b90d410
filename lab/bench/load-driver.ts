import SQLite from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl } from '../../src/protocol/node/db-location.js';
import { MAX_FETCH_LIMIT } from '../../src/protocol/index.js';
import type * as hdr from 'hdr-histogram-js';
import type { ClientFraming } from './client-framing.js';
import { RoomLedger, type RoomRows } from './delivery-ledger.js';
import { encodeHistogram, newLatencyHistogram } from './histogram.js';
import { LoadConnection, type ConnectionHandlers } from './load-connection.js';
import type { Dialect, LoadCommand, LoadReport, Verification } from './load-messages.js';
import { MessageIds } from './message-ids.js';
import { WireFraming } from './wire-framing.js';
import { SocketIoFraming } from './peer/socketio-framing.js';

type SetupCommand = Extract<LoadCommand, { type: 'setup' }>;
type RunCommand = Extract<LoadCommand, { type: 'run' }>;
type IdleCommand = Extract<LoadCommand, { type: 'idle' }>;
type RunResult = Extract<LoadReport, { type: 'result' }>;

/** Connections opened (and rooms joined) at once during setup. */
const CONNECT_CONCURRENCY = 100;
/** How often the drain checks whether everything arrived. */
const DRAIN_POLL_MS = 20;
/** Connections fetching at once during the catch-up. */
const FETCH_CONCURRENCY = 50;
/** Bound on one fetch answer. */
const FETCH_TIMEOUT_MS = 5000;
/** Open-loop scheduler tick. */
const TICK_MS = 1;

function framing(d: Dialect): ClientFraming {
  return d === 'wire' ? new WireFraming() : new SocketIoFraming();
}

async function inBatches<T>(items: readonly T[], size: number, each: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

/**
 * How many sends of an open loop at `ratePerSec` are due `elapsedMs` after it started: send k (from 0) is
 * due at k / rate, and its deliveries are timed from then. Counting only the sends whose due time had
 * passed a whole interval ago (`floor(elapsed × rate)`) held every send back one interval: 125 ms at the
 * 8 msgs/s of the rooms of 1,000, all of it counted as latency (NOTES.md).
 */
export function sendsDue(elapsedMs: number, ratePerSec: number): number {
  if (!(elapsedMs >= 0) || !(ratePerSec > 0)) return 0;
  return Math.floor((elapsedMs * ratePerSec) / 1000) + 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * The load of one load-client process: its connections and rooms, a closed- or open-loop sender,
 * the counters and latency histogram of the measured window, and the end-of-round verification.
 */
export class LoadDriver implements ConnectionHandlers {
  #conns: LoadConnection[] = [];
  readonly #ledgers = new Map<string, RoomLedger>();
  #ids = new MessageIds('x');
  #pad = '';
  #hist: hdr.Histogram = newLatencyHistogram();
  #closedLoop = false;
  #sending = false;
  #mStart = 0;
  #mEnd = 0;
  #sent = 0;
  #acked = 0;
  #ackedInWindow = 0;
  #deliveries = 0;
  #deliveriesInWindow = 0;
  #errors = 0;
  #firstError: string | undefined;
  #fetching = false;
  #missedLive = 0;
  #recoveredByFetch = 0;

  /** Opens the connections, groups them in rooms and joins them. */
  async setup(c: SetupCommand): Promise<number> {
    this.#ids = new MessageIds(c.idTag);
    this.#pad = 'x'.repeat(c.bodyBytes);
    const conns: LoadConnection[] = [];
    for (let r = 0; r < c.rooms; r++) {
      const room = `${c.roomPrefix}${r}`;
      this.#ledgers.set(room, new RoomLedger(room, c.roomSize));
      for (let m = 0; m < c.roomSize; m++) {
        const i = r * c.roomSize + m;
        const baseUrl = c.urls[(c.firstConnection + i) % c.urls.length]!;
        conns.push(new LoadConnection({ baseUrl, user: `u${c.idTag}${i}`, room, member: m, framing: framing(c.dialect), handlers: this }));
      }
    }
    this.#conns = conns;
    await inBatches(conns, CONNECT_CONCURRENCY, async (conn) => {
      await conn.open();
      await conn.join();
    });
    return conns.length;
  }

  /** Runs warm-up, the measured window and the drain, then verifies everything since setup. */
  async run(c: RunCommand): Promise<RunResult> {
    this.#resetCounters();
    const t0 = performance.now();
    this.#mStart = t0 + c.warmupMs;
    this.#mEnd = this.#mStart + c.durationMs;
    this.#sending = true;
    this.#closedLoop = c.mode.kind === 'closed';
    if (c.mode.kind === 'closed') {
      for (let k = 0; k < c.mode.window; k++) for (const conn of this.#conns) this.#sendOne(conn, performance.now());
    } else {
      this.#openLoop(t0, c.mode.ratePerSec);
    }
    await sleep(this.#mEnd - performance.now());
    this.#sending = false;
    const drainUntil = performance.now() + c.drainMs;
    while (performance.now() < drainUntil && !this.#drained()) await sleep(DRAIN_POLL_MS);
    await this.#catchUp();
    const verification = await this.#verify(c.dbFile);
    return {
      type: 'result',
      windowMs: c.durationMs,
      ackedInWindow: this.#ackedInWindow,
      deliveriesInWindow: this.#deliveriesInWindow,
      sent: this.#sent,
      acked: this.#acked,
      deliveries: this.#deliveries,
      errors: this.#errors,
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
      histogram: encodeHistogram(this.#hist),
      verification,
    };
  }

  #resetCounters(): void {
    this.#hist.destroy();
    this.#hist = newLatencyHistogram();
    this.#sent = 0;
    this.#acked = 0;
    this.#ackedInWindow = 0;
    this.#deliveries = 0;
    this.#deliveriesInWindow = 0;
    this.#errors = 0;
    this.#firstError = undefined;
    this.#missedLive = 0;
    this.#recoveredByFetch = 0;
  }

  /** Opens idle connections (no room) and keeps them open. */
  async idle(c: IdleCommand): Promise<Extract<LoadReport, { type: 'idle-opened' }>> {
    let opened = 0;
    let failed = 0;
    let firstError: string | undefined;
    const conns = Array.from({ length: c.count }, (_, i) => i);
    await inBatches(conns, c.concurrency, async (i) => {
      const conn = new LoadConnection({ baseUrl: c.url, user: `idle${i}`, room: '', member: 0, framing: framing(c.dialect), handlers: this });
      this.#conns.push(conn);
      try {
        await conn.open();
        opened += 1;
      } catch (e) {
        failed += 1;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    });
    return { type: 'idle-opened', opened, failed, ...(firstError === undefined ? {} : { firstError }) };
  }

  /** Closes every connection. */
  close(): void {
    for (const c of this.#conns) c.close();
    this.#conns = [];
  }

  onAck(conn: LoadConnection, id: string, seq: number): void {
    this.#ledgers.get(conn.room)?.onAck(id, seq);
    conn.inflight -= 1;
    this.#acked += 1;
    const now = performance.now();
    if (now >= this.#mStart && now < this.#mEnd) this.#ackedInWindow += 1;
    if (this.#closedLoop && this.#sending) this.#sendOne(conn, now);
  }

  onMsg(conn: LoadConnection, id: string, seq: number, sender: string, body: string): void {
    const ledger = this.#ledgers.get(conn.room);
    if (ledger === undefined || !ledger.onDeliver(conn.member, id, seq, this.#fetching) || this.#fetching) return;
    this.#deliveries += 1;
    const now = performance.now();
    if (now >= this.#mStart && now < this.#mEnd) this.#deliveriesInWindow += 1;
    if (sender === conn.user) return;
    const sentAt = Number.parseFloat(body);
    if (sentAt >= this.#mStart && sentAt < this.#mEnd) this.#hist.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
  }

  onError(conn: LoadConnection, message: string, ref?: string): void {
    this.#errors += 1;
    this.#firstError ??= message;
    // A failed send frees its window slot; the bench does not retry it (it is counted, never acked).
    if (ref !== undefined && ref !== conn.room && conn.inflight > 0) {
      conn.inflight -= 1;
      if (this.#closedLoop && this.#sending) this.#sendOne(conn, performance.now());
    }
  }

  /** Sends one message; its body starts with the time it was due, for the latency of its deliveries. */
  #sendOne(conn: LoadConnection, dueAt: number): void {
    const stamp = dueAt.toFixed(3);
    conn.send(this.#ids.next(), `${stamp} ${this.#pad.slice(stamp.length + 1)}`);
    this.#sent += 1;
  }

  /** Sends at a fixed rate whatever the answers (open loop), spreading sends over the connections. */
  #openLoop(t0: number, ratePerSec: number): void {
    const perMs = ratePerSec / 1000;
    let k = 0;
    const tick = () => {
      if (!this.#sending) return;
      const due = sendsDue(performance.now() - t0, ratePerSec);
      for (; k < due; k++) this.#sendOne(this.#conns[k % this.#conns.length]!, t0 + k / perMs);
      setTimeout(tick, TICK_MS);
    };
    tick();
  }

  /**
   * What the client SDK does on a gap or a `head` above its cursor: every member still missing acked
   * messages after the drain fetches them from the database (protocols without fetch cannot).
   */
  async #catchUp(): Promise<void> {
    const behind = this.#conns.filter((c) => this.#ledgers.get(c.room)!.missing(c.member).length > 0);
    const missed = behind.reduce((n, c) => n + this.#ledgers.get(c.room)!.missing(c.member).length, 0);
    if (missed === 0) return;
    this.#fetching = true;
    try {
      await inBatches(behind.filter((c) => c.canFetch), FETCH_CONCURRENCY, async (conn) => {
        const ledger = this.#ledgers.get(conn.room)!;
        for (let left = ledger.missing(conn.member); left.length > 0;) {
          await Promise.race([conn.fetch(left[0]! - 1, MAX_FETCH_LIMIT), sleep(FETCH_TIMEOUT_MS)]).catch(() => undefined);
          const now = ledger.missing(conn.member);
          if (now.length >= left.length) break;
          left = now;
        }
      });
    } finally {
      this.#fetching = false;
    }
    const still = behind.reduce((n, c) => n + this.#ledgers.get(c.room)!.missing(c.member).length, 0);
    this.#missedLive = missed;
    this.#recoveredByFetch = missed - still;
  }

  #drained(): boolean {
    if (this.#conns.some((c) => c.inflight > 0)) return false;
    for (const l of this.#ledgers.values()) if (!l.caughtUp) return false;
    return true;
  }

  /** Every room's committed rows, from the SQLite file or the PostgreSQL database `db` names. */
  async #readRooms(db: string, rooms: readonly string[]): Promise<Map<string, RoomRows>> {
    const out = new Map<string, RoomRows>();
    if (isPostgresUrl(db)) {
      const byRoom = new Map<string, Map<number, string>>(rooms.map((r) => [r, new Map()]));
      const client = new pg.Client({ connectionString: db });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; room: string; seq: number }>('select id, room, seq from messages where room = any($1::text[])', [rooms]);
        for (const r of rows) byRoom.get(r.room)?.set(r.seq, r.id);
      } finally {
        await client.end();
      }
      return byRoom;
    }
    const sqlite = new SQLite(db, { readonly: true, fileMustExist: true });
    try {
      sqlite.pragma('busy_timeout = 10000');
      const rowsOf = sqlite.prepare<[string], { id: string; seq: number }>('SELECT id, seq FROM messages WHERE room = ?');
      for (const room of rooms) out.set(room, new Map(rowsOf.all(room).map((r) => [r.seq, r.id])));
    } finally {
      sqlite.close();
    }
    return out;
  }

  async #verify(dbFile: string | undefined): Promise<Verification> {
    const unacked = this.#conns.reduce((n, c) => n + Math.max(0, c.inflight), 0);
    const total: Verification = {
      lost: 0, lostFromDb: 0, missingDeliveries: 0, missedLive: this.#missedLive, recoveredByFetch: this.#recoveredByFetch, phantoms: 0, unacked, duplicates: 0, checkedDb: dbFile !== undefined,
    };
    const rooms = dbFile === undefined ? undefined : await this.#readRooms(dbFile, [...this.#ledgers.values()].map((l) => l.room));
    for (const ledger of this.#ledgers.values()) {
      const v = ledger.verify(rooms?.get(ledger.room));
      total.lost += v.lost;
      total.lostFromDb += v.lostFromDb;
      total.missingDeliveries += v.missingDeliveries;
      total.phantoms += v.phantoms;
      total.duplicates += v.duplicates;
    }
    return total;
  }
}
