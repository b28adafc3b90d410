/**
 * SIGKILL redis-server while clients on two workers send, then restart it: sends keep being
 * committed and acked meanwhile, no acked message is lost, and every client converges to the
 * database, recovering through database heads the messages whose publish Redis never carried.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readDbHeads, readDbSnapshot } from '../../lab/history/db-snapshot.js';
import { waitBusReady, type Core } from '../support/dist-core.js';
import { roomChannel } from '../../src/protocol/index.js';
import {
  expectAcksDurable, expectAllSendsAcked, expectDbConsistent, expectStreamsEqualDb, send, sendUntilAborted, startMember,
  waitCaughtUp, type ChatMember,
} from '../support/chat-members.js';
import { waitFor } from '../support/wait-for.js';
import { useCluster } from '../support/cluster-fixture.js';

const WORKERS = 2;
/** Acks each member must get before the kill, while Redis is down, and after the restart. */
const ACKS_BEFORE_KILL = 10;
const ACKS_WHILE_DOWN = 10;
const ACKS_AFTER_RESTART = 10;
const PROGRESS_TIMEOUT_MS = 20_000;
const REDIS_READY_TIMEOUT_MS = 20_000;
const SETTLE_TIMEOUT_MS = 20_000;
const CATCH_UP_TIMEOUT_MS = 20_000;
/** Bound for a worker to be subscribed to its rooms after Redis is back (ioredis reconnects within 1 s). */
const RESUBSCRIBE_TIMEOUT_MS = 10_000;

/** Two members per worker; every room has members on both workers. */
const PLACEMENT = [
  { name: 'w0a', home: 0, rooms: ['r1', 'r2'] },
  { name: 'w0b', home: 0, rooms: ['r2', 'r3'] },
  { name: 'w1a', home: 1, rooms: ['r1', 'r3'] },
  { name: 'w1b', home: 1, rooms: ['r1', 'r2', 'r3'] },
];

const fx = useCluster('core-redis-restart', WORKERS);

const acked = (m: ChatMember) => m.acks.length;

/** Waits until every member has at least `more` acks beyond `from`. */
async function progress(from: Map<ChatMember, number>, more: number): Promise<void> {
  await waitFor(() => {
    for (const [m, n] of from) expect(acked(m), m.name).toBeGreaterThanOrEqual(n + more);
  }, PROGRESS_TIMEOUT_MS);
}

/** Subscribers of a Redis channel, asked of Redis itself. */
async function channelSubscribers(url: string, channel: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const [, n] = (await r.pubsub('NUMSUB', channel)) as [string, number | string];
    return Number(n);
  } finally {
    r.disconnect();
  }
}

/** A Prometheus counter's value summed over its series, from worker `slot`'s /metrics. */
async function workerCounter(c: Core, slot: number, name: string): Promise<number> {
  const text = await (await fetch(c.adminUrl(slot, '/metrics'))).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('core under a Redis crash and restart', () => {
  it('loses no acked message and every client converges to the database', async () => {
    const c = fx.core;
    const r = fx.redis;
    for (const p of PLACEMENT) fx.members.push(startMember({ ...p, credentials: await c.credentials(p.name), urls: [c.slotUrl(p.home), c.slotUrl((p.home + 1) % WORKERS)] }));
    const sending = new AbortController();
    fx.stopSending.add(sending);
    const loops = fx.members.map((m) => sendUntilAborted(m, sending.signal));

    await progress(new Map(fx.members.map((m) => [m, 0])), ACKS_BEFORE_KILL);
    await r.kill('SIGKILL');
    // Commits and acks go on without Redis; only the cross-worker publishes are lost.
    const atKill = new Map(fx.members.map((m) => [m, acked(m)]));
    await progress(atKill, ACKS_WHILE_DOWN);
    // Acks received while Redis was down, of rooms with members on the other worker (no reconnects: home is the worker).
    const crossWorkerWhileDown = fx.members.flatMap((m) => m.acks.slice(atKill.get(m))
      .filter((a) => fx.members.some((o) => o.home !== m.home && o.rooms.includes(a.room))));

    await r.restart();
    await waitBusReady(c, WORKERS, REDIS_READY_TIMEOUT_MS);
    await progress(new Map(fx.members.map((m) => [m, acked(m)])), ACKS_AFTER_RESTART);
    sending.abort();
    const issued = (await Promise.all(loops)).reduce((a, b) => a + b, 0);
    expect(await expectAllSendsAcked(fx.members, SETTLE_TIMEOUT_MS)).toBe(issued);

    const dbFile = fx.dbFile;
    await waitCaughtUp(fx.members, readDbHeads(dbFile), CATCH_UP_TIMEOUT_MS);
    const db = readDbSnapshot(dbFile);
    expectDbConsistent(db);
    expectAcksDurable(fx.members, db);
    expect(db.messages).toHaveLength(issued);
    expectStreamsEqualDb(fx.members, db);

    // The workers never lost their clients: Redis is coordination, not transport.
    for (const m of fx.members) expect(m.client.stats.reconnects, `${m.name} reconnects`).toBe(0);
    // Messages acked on one worker while Redis was down reached the other worker's members
    // through database heads and gap fetches.
    expect(crossWorkerWhileDown.length).toBeGreaterThan(0);
    expect(fx.members.reduce((sum, m) => sum + m.client.stats.gapsFilled, 0), 'messages recovered by gap fetches').toBeGreaterThan(0);
  });

  // A room first joined while the subscriber was down must be subscribed once Redis is back
  // (the bus re-derives its subscriptions from its rooms on every ready).
  it('a room first joined while Redis is down is fanned out live once Redis is back', async () => {
    const c = fx.core;
    const r = fx.redis;
    const room = 'joined-in-outage';
    await r.kill('SIGKILL');
    const watcher = startMember({ name: 'watcher', credentials: await c.credentials('watcher'), home: 1, rooms: [room], urls: [c.slotUrl(1)] });
    fx.members.push(watcher);
    await waitFor(() => expect(watcher.events.some((e) => e.type === 'joined' && e.room === room)).toBe(true), PROGRESS_TIMEOUT_MS);
    await r.restart();
    await waitBusReady(c, WORKERS, REDIS_READY_TIMEOUT_MS);

    // Worker 1 has a member of the room, so it must be subscribed to the room's channel again.
    await waitFor(async () => expect(await channelSubscribers(r.url, roomChannel(room)), `subscribers of ${roomChannel(room)}`).toBe(1),
      RESUBSCRIBE_TIMEOUT_MS);

    // And a message committed on worker 0 reaches worker 1 through Redis, not only through a gap fetch.
    const sender = startMember({ name: 'sender', credentials: await c.credentials('sender'), home: 0, rooms: [room], urls: [c.slotUrl(0)] });
    fx.members.push(sender);
    const busBefore = await workerCounter(c, 1, 'dl_bus_messages_received_total');
    const ack = await send(sender, room, 'after the outage');
    await waitCaughtUp([watcher], new Map([[room, ack.seq]]), CATCH_UP_TIMEOUT_MS);
    await waitFor(async () => expect(await workerCounter(c, 1, 'dl_bus_messages_received_total')).toBeGreaterThan(busBefore),
      RESUBSCRIBE_TIMEOUT_MS);
  });
});
