/**
 * Chat members for integration tests: `DeliveryClient`s over real WebSockets whose application
 * stream, acks and send promises are recorded, a closed-loop sender that stops on an
 * `AbortSignal`, and the comparisons of what each member saw against the database truth.
 */
import WebSocket from 'ws';
import { expect } from 'vitest';
import { DeliveryClient, type Ack, type ClientEvent, type ClientOptions, type Message } from '../../src/client/index.js';
import type { DbSnapshot } from '../../lab/history/events.js';

/** A client under test and everything it observed. */
export interface ChatMember {
  readonly name: string;
  /** The worker slot it connects to first. */
  readonly home: number;
  readonly rooms: string[];
  readonly client: DeliveryClient;
  /** The application stream: what `onMessage` received, in order. */
  readonly delivered: Message[];
  /** Every ack its sends received. */
  readonly acks: Ack[];
  /** Every send promise it made (to await them all settled). */
  readonly sends: Promise<Ack>[];
  /** Every client event. */
  readonly events: ClientEvent[];
}

/** Client timings for tests: quick retries and reconnects, a heartbeat loose enough for a busy 2-core machine. */
const TEST_TUNING = {
  retryIntervalMs: 500,
  heartbeatIntervalMs: 500,
  heartbeatTimeoutMs: 3000,
  connectTimeoutMs: 3000,
  backoff: { initialMs: 25, maxMs: 500 },
} satisfies Partial<ClientOptions>;

/** Starts a member connecting to `urls` in order (the first is its home worker) as user `name`, with `credentials` (`core.credentials(name)`). */
export function startMember(o: { name: string; home: number; rooms: string[]; urls: string[]; credentials: string }): ChatMember {
  const delivered: Message[] = [];
  const acks: Ack[] = [];
  const events: ClientEvent[] = [];
  const client = new DeliveryClient({
    urls: o.urls.map((u) => `${u}${o.credentials}`),
    user: o.name,
    rooms: o.rooms,
    WebSocket: WebSocket as unknown as NonNullable<ClientOptions['WebSocket']>,
    ...TEST_TUNING,
    onMessage: (m) => delivered.push(m),
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'ack') acks.push({ id: e.id, room: e.room, seq: e.seq, duplicate: e.duplicate });
    },
  });
  return { name: o.name, home: o.home, rooms: o.rooms, client, delivered, acks, sends: [], events };
}

/** Sends through the member (recording the promise) and returns it. */
export function send(m: ChatMember, room: string, body: string): Promise<Ack> {
  const p = m.client.send(room, body);
  p.catch(() => undefined); // outcomes are judged from m.sends; a send abandoned at cleanup is not an unhandled rejection
  m.sends.push(p);
  return p;
}

/** Options of {@link sendUntilAborted}. */
export interface SendLoopOptions {
  /** Sends in flight at most (closed loop: the next waits for one to settle). @default 2 */
  window?: number;
  /** Hard bound on sends, so a broken abort cannot run forever. @default 20_000 */
  maxSends?: number;
}

/**
 * Sends to the member's rooms in turn, keeping at most `window` sends unacked, until `signal`
 * aborts (or `maxSends`); resolves with how many sends it issued. Outcomes are in `m.sends`.
 */
export async function sendUntilAborted(m: ChatMember, signal: AbortSignal, o: SendLoopOptions = {}): Promise<number> {
  const window = o.window ?? 2;
  const maxSends = o.maxSends ?? 20_000;
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const inFlight = new Set<Promise<void>>();
  let issued = 0;
  while (issued < maxSends && !signal.aborted) {
    const room = m.rooms[issued % m.rooms.length]!;
    issued += 1;
    const settled: Promise<void> = send(m, room, `${m.name}#${issued}`).then(
      () => void inFlight.delete(settled),
      () => void inFlight.delete(settled),
    );
    inFlight.add(settled);
    if (inFlight.size >= window) await Promise.race([...inFlight, aborted]);
  }
  return issued;
}

/** Resolves with `promise`, or rejects with a message naming `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Awaits every send of every member settled (bounded) and asserts each one was acked. */
export async function expectAllSendsAcked(members: readonly ChatMember[], timeoutMs: number): Promise<number> {
  const outcomes = await within(Promise.allSettled(members.flatMap((m) => m.sends)), timeoutMs,
    `settling the sends (${members.map((m) => `${m.name}: ${m.client.pendingCount} unacked`).join(', ')})`);
  const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
  expect(failed, 'sends that were not acked').toEqual([]);
  return outcomes.length;
}

/** Waits until every member's cursor reached the given heads of its rooms (heads read from the database). */
export async function waitCaughtUp(members: readonly ChatMember[], heads: ReadonlyMap<string, number>, timeoutMs: number): Promise<void> {
  await Promise.all(members.map((m) =>
    m.client.whenCaughtUp(Object.fromEntries(m.rooms.map((r) => [r, heads.get(r) ?? 0])), timeoutMs)));
}

/** The index of the first difference between two lists, or null when they are equal. */
function firstDifference(got: readonly string[], want: readonly string[]): { index: number; got: string | undefined; want: string | undefined } | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) return { index: i, got: got[i], want: want[i] };
  }
  return null;
}

/**
 * Asserts that each member's application stream, room by room, is exactly the database rows of
 * that room in seq order (same ids, same order: every message once, none missing, none extra).
 */
export function expectStreamsEqualDb(members: readonly ChatMember[], db: DbSnapshot): void {
  for (const m of members) {
    for (const room of m.rooms) {
      const want = db.messages.filter((r) => r.room === room).map((r) => r.id);
      const stream = m.delivered.filter((d) => d.room === room);
      const got = stream.map((d) => d.id);
      expect(
        { member: m.name, room, count: got.length, firstDifference: firstDifference(got, want) },
        `${m.name}'s stream of room ${room} against the database`,
      ).toEqual({ member: m.name, room, count: want.length, firstDifference: null });
      expect(stream.map((d) => d.seq)).toEqual(want.map((_, i) => i + 1));
    }
    const otherRooms = m.delivered.filter((d) => !m.rooms.includes(d.room)).map((d) => d.room);
    expect(otherRooms, `${m.name} got messages of rooms it did not join`).toEqual([]);
  }
}

/** Asserts the database has one row per id, a gapless seq per room ending at its head, and passes integrity_check. */
export function expectDbConsistent(db: DbSnapshot): void {
  const ids = db.messages.map((r) => r.id);
  expect(new Set(ids).size, 'distinct ids against rows').toBe(ids.length);
  for (const { name, head } of db.rooms) {
    const seqs = db.messages.filter((r) => r.room === name).map((r) => r.seq);
    expect(seqs, `seqs of room ${name}`).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  }
  expect(db.integrity).toEqual(['ok']);
}

/** Asserts every ack names a database row of the same room with the acked seq. */
export function expectAcksDurable(members: readonly ChatMember[], db: DbSnapshot): void {
  const rows = new Map(db.messages.map((r) => [r.id, r]));
  const lost = members.flatMap((m) => m.acks.filter((a) => {
    const row = rows.get(a.id);
    return row === undefined || row.room !== a.room || row.seq !== a.seq;
  }).map((a) => ({ member: m.name, ...a, row: rows.get(a.id) ?? null })));
  expect(lost, 'acks without their database row (or with another seq)').toEqual([]);
}

/** Closes every member, bounded, ignoring errors (for afterEach). */
export async function closeMembers(members: ChatMember[]): Promise<void> {
  await Promise.allSettled(members.splice(0).map((m) => within(m.client.close(), 10_000, `closing ${m.name}`)));
}
