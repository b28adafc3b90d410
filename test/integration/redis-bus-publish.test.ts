/**
 * How the bus publishes on a real redis-server: the messages one turn publishes leave in one script call
 * (one command, counted by Redis's own command stats), arrive on each room's channel in the order they
 * were published, and still arrive, one PUBLISH each, when the server's ACL refuses the script.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { roomChannel } from '../../src/protocol/index.js';
import { RedisBus } from '../../src/fanout/redis-bus.js';
import { generateBusKey } from '../../src/fanout/bus-mac.js';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const READY_TIMEOUT_MS = 10_000;
const ARRIVE_TIMEOUT_MS = 10_000;
/** Messages one turn publishes, over this many rooms (more than one script call carries). */
const MESSAGES = 600;
const ROOMS = 7;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function labRedis(): Promise<{ redis: RedisServerHandle; admin: Redis }> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const admin = new Redis(redis.url);
  cleanups.push(() => void admin.disconnect());
  return { redis, admin };
}

/** Redis's count of calls of one command (`INFO commandstats`), 0 before the first. */
async function calls(admin: Redis, command: string): Promise<number> {
  const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(await admin.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

/** Publishes MESSAGES frames over ROOMS rooms in one turn from bus `a` and waits until bus `b` received them all (`adminUrl` reads Redis's subscriber counts). */
async function publishOneTurn(url: string, adminUrl: string): Promise<Map<string, number[]>> {
  const key = generateBusKey();
  const received = new Map<string, number[]>();
  const make = (origin: string, onMessage = (_room: string, _frame: string) => undefined as void) => {
    const bus = new RedisBus({ url, key, origin, onMessage });
    cleanups.push(() => bus.close());
    return bus;
  };
  const a = make('w0:1');
  const b = make('w1:2', (room, frame) => {
    const list = received.get(room) ?? [];
    list.push((JSON.parse(frame) as { seq: number }).seq);
    received.set(room, list);
  });
  const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
  for (const r of rooms) b.join(r);
  await waitFor(() => expect([a.status.publisher, b.status.subscriber]).toEqual(['ready', 'ready']), READY_TIMEOUT_MS);
  // b is subscribed once Redis counts one subscriber on every room's channel.
  const probe = new Redis(adminUrl);
  cleanups.push(() => void probe.disconnect());
  await waitFor(async () => expect((await Promise.all(rooms.map((r) => probe.pubsub('NUMSUB', roomChannel(r)) as Promise<[string, number]>))).map((n) => Number(n[1]))).toEqual(rooms.map(() => 1)), READY_TIMEOUT_MS);
  for (let seq = 1; seq <= MESSAGES; seq++) {
    const room = rooms[seq % ROOMS]!;
    a.publish(room, JSON.stringify({ type: 'msg', id: `m${seq}`, room, seq, sender: 'alice', body: 'hi', ts: 0 }));
  }
  await waitFor(() => expect([...received.values()].reduce((n, l) => n + l.length, 0)).toBe(MESSAGES), ARRIVE_TIMEOUT_MS);
  expect(a.status.publishErrors).toBe(0);
  expect(b.status.rejected).toBe(0);
  return received;
}

describe('the bus publishes a turn at once', () => {
  it('sends one script call per 256 messages of a turn, in order per room, each message received once', async () => {
    const { redis, admin } = await labRedis();
    const before = { evalsha: await calls(admin, 'evalsha'), eval: await calls(admin, 'eval'), publish: await calls(admin, 'publish') };
    const received = await publishOneTurn(redis.url, redis.url);
    for (const [, seqs] of received) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect([...received.values()].flat().sort((x, y) => x - y)).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    // 600 messages: 3 calls (256 + 256 + 88), the first of them by EVAL once the server said NOSCRIPT.
    const scriptCalls = (await calls(admin, 'evalsha')) - before.evalsha + (await calls(admin, 'eval')) - before.eval;
    expect(scriptCalls).toBeGreaterThanOrEqual(3);
    expect(scriptCalls).toBeLessThanOrEqual(4);
    expect((await calls(admin, 'publish')) - before.publish).toBe(MESSAGES); // the script's own PUBLISHes
  });

  it('publishes one by one when the server refuses the script, and loses nothing', async () => {
    const { redis, admin } = await labRedis();
    await admin.call('ACL', 'SETUSER', 'noscript', 'on', '>pw', 'resetchannels', `&${roomChannel('*')}`, '-@all', '+publish', '+subscribe', '+unsubscribe', '+ping', '+info', '+client|setname');
    const url = `redis://noscript:pw@127.0.0.1:${redis.port}`;
    const received = await publishOneTurn(url, redis.url);
    expect([...received.values()].flat().length).toBe(MESSAGES);
  });
});
