/**
 * Fan-out across workers: members of several rooms on two workers each get every message of
 * their rooms once, in seq order, equal to the database; and a send retried with one id is one row.
 * Both with the one writer (the primary commits for every worker, the default) and with every
 * worker committing on its own connection (contending for SQLite's write lock).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDbHeads, readDbSnapshot } from '../../lab/history/db-snapshot.js';
import type { AckFrame } from '../../src/protocol/index.js';
import {
  expectAcksDurable, expectDbConsistent, expectStreamsEqualDb, send, startMember, waitCaughtUp, within, type ChatMember,
} from '../support/chat-members.js';
import { RawSocket } from '../support/raw-socket.js';
import { waitFor } from '../support/wait-for.js';
import { useCluster } from '../support/cluster-fixture.js';

const WORKERS = 2;
/** Messages each member sends to each of its rooms. */
const SENDS_PER_ROOM = 15;
const JOIN_TIMEOUT_MS = 15_000;
const ACK_TIMEOUT_MS = 20_000;
const CATCH_UP_TIMEOUT_MS = 20_000;

/** Who is where: members of overlapping rooms spread over both workers. */
const PLACEMENT = [
  { name: 'ana', home: 0, rooms: ['alpha', 'beta'] },
  { name: 'bo', home: 1, rooms: ['alpha', 'gamma'] },
  { name: 'cy', home: 0, rooms: ['beta', 'gamma'] },
  { name: 'di', home: 1, rooms: ['alpha', 'beta', 'gamma'] },
  { name: 'ed', home: 1, rooms: ['beta'] },
];

const sockets: RawSocket[] = [];
afterEach(() => { for (const s of sockets.splice(0)) s.close(); });

/** Resolves once every member has a `joined` for each of its rooms. */
async function allJoined(ms: readonly ChatMember[]): Promise<void> {
  await waitFor(() => {
    for (const m of ms) {
      const joined = new Set(m.events.flatMap((e) => (e.type === 'joined' ? [e.room] : [])));
      expect(m.rooms.filter((r) => !joined.has(r)), `${m.name} not yet joined`).toEqual([]);
    }
  }, JOIN_TIMEOUT_MS);
}

/** A Prometheus counter's value summed over its series in a /metrics text. */
function counter(text: string, name: string): number {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe.each(['primary', 'worker'] as const)('core fan-out across two workers (writer: %s)', (writer) => {
  const fx = useCluster(`core-fanout-${writer}`, WORKERS, { writer });

  it('every member gets every message of its rooms once, in seq order, equal to the database', async () => {
    const c = fx.core;
    for (const p of PLACEMENT) fx.members.push(startMember({ ...p, credentials: await c.credentials(p.name), urls: [c.slotUrl(p.home)] }));
    await allJoined(fx.members);

    const acks = await within(Promise.all(fx.members.flatMap((m) => m.rooms.flatMap((room) =>
      Array.from({ length: SENDS_PER_ROOM }, (_, i) => send(m, room, `${m.name}#${room}#${i}`))))), ACK_TIMEOUT_MS, 'acking every send');
    expect(acks.every((a) => !a.duplicate)).toBe(true);

    const dbFile = fx.dbFile;
    await waitCaughtUp(fx.members, readDbHeads(dbFile), CATCH_UP_TIMEOUT_MS);
    const db = readDbSnapshot(dbFile);
    expectDbConsistent(db);
    expectAcksDurable(fx.members, db);
    expect(db.messages).toHaveLength(acks.length);
    for (const row of db.messages) expect(row.body.startsWith(`${row.sender}#${row.room}#`), `row ${row.id}`).toBe(true);
    expectStreamsEqualDb(fx.members, db);

    // Placement held (no reconnects), and both workers received messages from the other through Redis.
    for (const m of fx.members) {
      expect(m.events.filter((e) => e.type === 'connect').map((e) => e.type === 'connect' && e.worker), m.name).toEqual([m.home]);
    }
    for (let slot = 0; slot < WORKERS; slot++) {
      const text = await (await fetch(c.adminUrl(slot, '/metrics'))).text();
      expect(counter(text, 'dl_bus_messages_received_total'), `worker ${slot} bus messages`).toBeGreaterThan(0);
    }
  });

  it('a send retried five times with one id is one row, and every ack carries its seq', async () => {
    const c = fx.core;
    const room = 'retry';
    const watcher = startMember({ name: 'watcher', credentials: await c.credentials('watcher'), home: 1, rooms: [room], urls: [c.slotUrl(1)] });
    fx.members.push(watcher);
    await allJoined([watcher]);
    // An earlier message, so the retried one's seq is not trivially 1.
    await send(watcher, room, 'before');

    const frame = { type: 'send', id: '01JRETRIEDSENDSAMEID00000', room, body: 'once, whatever the retries' };
    const isOurs = (a: AckFrame) => a.id === frame.id;
    const { socket: first } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('retrier')}`);
    sockets.push(first);
    first.send({ type: 'join', room, replay: false });
    await first.take('joined');
    // Three attempts in one tick (they race into one group commit or consecutive ones)...
    first.send(frame);
    first.send(frame);
    first.send(frame);
    const racing = [await first.take('ack', isOurs), await first.take('ack', isOurs), await first.take('ack', isOurs)];
    // ...one after the acks on the same connection, and one from another worker (a retry after a reconnect).
    first.send(frame);
    const late = await first.take('ack', isOurs);
    const { socket: second } = await RawSocket.open(`${c.slotUrl(1)}${await c.credentials('retrier')}`);
    sockets.push(second);
    second.send({ type: 'join', room, replay: false });
    await second.take('joined');
    second.send(frame);
    const elsewhere = await second.take('ack', isOurs);

    const all = [...racing, late, elsewhere];
    expect(new Set(all.map((a) => a.seq))).toEqual(new Set([2]));
    expect(all.map((a) => a.room)).toEqual(Array(5).fill(room));
    expect(all.filter((a) => !a.duplicate), 'acks with duplicate: false').toHaveLength(1);
    expect(late.duplicate && elsewhere.duplicate).toBe(true);
    expect(first.invalid.concat(second.invalid)).toEqual([]);

    const dbFile = fx.dbFile;
    await waitCaughtUp([watcher], readDbHeads(dbFile), CATCH_UP_TIMEOUT_MS);
    const db = readDbSnapshot(dbFile);
    expect(db.messages.filter((r) => r.id === frame.id)).toEqual([
      expect.objectContaining({ id: frame.id, room, seq: 2, sender: 'retrier', body: frame.body }),
    ]);
    expect(db.rooms).toEqual([{ name: room, head: 2 }]);
    expectDbConsistent(db);
    // Each attempt is published again; the watcher's application still sees the message once.
    await waitFor(() => expect(watcher.client.stats.duplicatesDropped).toBeGreaterThanOrEqual(4), CATCH_UP_TIMEOUT_MS);
    expectStreamsEqualDb([watcher], db);
  });
});
