/**
 * How the bus publishes on a real redis-server: a turn's messages leave in one call of the bus's own
 * function where the server has it (one PUBLISH each where it does not), turns of every size arrive on
 * each room's channel in the order they were made, each exactly once; messages lost with their
 * connection are counted, one error per message, and nothing is thrown.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { roomChannel } from '../../src/protocol/index.js';
import { RedisBus } from '../../src/fanout/redis-bus.js';
import { generateBusKey } from '../../src/fanout/bus-mac.js';
import type { RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { cleanupsAfterEach, labRedisServer } from '../support/redis.js';

const READY_TIMEOUT_MS = 10_000;
const ARRIVE_TIMEOUT_MS = 10_000;
const ROOMS = 7;
/** Turns of these sizes, one after the other: big ones, single messages between, one of 256 + 1 (a call and a PUBLISH in one turn). */
const TURNS = [600, 1, 1, 37, 1, 257, 250];

const cleanups = cleanupsAfterEach();

const labRedis = () => labRedisServer(cleanups);

/** Redis's count of a command's calls (`INFO commandstats`), and of those that failed while running; 0 before the first. */
async function commandCalls(admin: Redis, command: string): Promise<{ calls: number; failed: number }> {
  const m = new RegExp(`^cmdstat_${command}:calls=(\\d+).*?failed_calls=(\\d+)`, 'm').exec(await admin.info('commandstats'));
  return { calls: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? 0) };
}
const calls = async (admin: Redis, command: string) => (await commandCalls(admin, command)).calls;

/** A publishing bus `a` and a subscribed bus `b` on every room; `received` collects b's seqs per room. */
async function twoBuses(redis: RedisServerHandle) {
  const key = generateBusKey();
  const received = new Map<string, number[]>();
  const make = (origin: string, onMessage: (room: string, frame: string) => void) => {
    const bus = new RedisBus({ url: redis.url, key, origin, onMessage });
    cleanups.push(() => bus.close());
    return bus;
  };
  const a = make('w0:1', () => undefined);
  const b = make('w1:2', (room, frame) => {
    const list = received.get(room) ?? [];
    list.push((JSON.parse(frame) as { seq: number }).seq);
    received.set(room, list);
  });
  const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
  for (const r of rooms) b.join(r);
  await waitFor(() => expect([a.status.publisher, b.status.subscriber]).toEqual(['ready', 'ready']), READY_TIMEOUT_MS);
  // b is subscribed once Redis counts one subscriber on every room's channel.
  const admin = new Redis(redis.url);
  admin.on('error', () => undefined);
  cleanups.push(() => void admin.disconnect());
  await waitFor(async () => expect((await Promise.all(rooms.map((r) => admin.pubsub('NUMSUB', roomChannel(r)) as Promise<[string, number]>))).map((n) => Number(n[1]))).toEqual(rooms.map(() => 1)), READY_TIMEOUT_MS);
  const publish = (seq: number) => {
    const room = rooms[seq % ROOMS]!;
    a.publish(room, JSON.stringify({ type: 'msg', id: `m${seq}`, room, seq, sender: 'alice', body: 'hi', ts: 0 }));
  };
  return { a, b, received, publish, admin };
}

describe('the bus publishes', () => {
  it('one PUBLISH a message where the server has no function of the bus\'s, in order, each once', async () => {
    const redis = await labRedis();
    const admin = new Redis(redis.url);
    admin.on('error', () => undefined);
    cleanups.push(() => void admin.disconnect());
    // A server that refuses the library (as Redis 6 has no functions): the ACL lets no one load it.
    await admin.call('ACL', 'SETUSER', 'default', '-function|load');
    const { a, received, publish } = await twoBuses(redis);
    const publishesBefore = await calls(admin, 'publish');
    for (let s = 1; s <= 40; s++) publish(s);
    await waitFor(() => expect([...received.values()].reduce((n, l) => n + l.length, 0)).toBe(40), ARRIVE_TIMEOUT_MS);
    expect((await calls(admin, 'publish')) - publishesBefore).toBe(40);
    for (const [room, seqs] of received) expect(seqs, room).toEqual([...seqs].sort((x, y) => x - y));
    // No FCALL went through: the bus's probe is the only one, and it failed (the function is not there).
    const fcall = await commandCalls(admin, 'fcall');
    expect(fcall.calls - fcall.failed).toBe(0);
    expect(a.status.publishErrors).toBe(0);
  });


  it('turns of many messages and of one arrive in the order they were made, per room, each once', async () => {
    const redis = await labRedis();
    const { a, b, received, publish, admin } = await twoBuses(redis);
    // The bus found (loaded) its function once it was connected.
    await waitFor(async () => expect(await calls(admin, 'fcall')).toBeGreaterThanOrEqual(1), READY_TIMEOUT_MS);
    const [publishesBefore, fcallsBefore] = [await calls(admin, 'publish'), await calls(admin, 'fcall')];
    let seq = 0;
    for (const size of TURNS) {
      for (let i = 0; i < size; i++) publish(++seq);
      // The next turn starts after this one's microtasks and an I/O poll (ioredis sends a turn's commands together).
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => expect([...received.values()].reduce((n, l) => n + l.length, 0)).toBe(seq), ARRIVE_TIMEOUT_MS);
    for (const [room, seqs] of received) expect(seqs, room).toEqual([...seqs].sort((x, y) => x - y));
    expect([...received.values()].flat().sort((x, y) => x - y)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    // Every message is one PUBLISH (run by the function for the big turns); each big turn one FCALL per 256.
    expect((await calls(admin, 'publish')) - publishesBefore).toBe(seq);
    expect((await calls(admin, 'fcall')) - fcallsBefore).toBe(TURNS.reduce((k, n) => k + Math.floor(n / 256) + (n % 256 > 1 ? 1 : 0), 0));
    expect(a.status.publishErrors).toBe(0);
    expect(b.status.rejected).toBe(0);
  });

  it('counts each message whose connection dies before Redis answers as a publish error, and throws nothing', async () => {
    const redis = await labRedis();
    const { a, publish, admin } = await twoBuses(redis);
    await waitFor(async () => expect(await calls(admin, 'fcall')).toBeGreaterThanOrEqual(1), READY_TIMEOUT_MS);
    // Stopped, Redis still looks connected: the turn is written and never answered; then the connection dies.
    process.kill(redis.pid, 'SIGSTOP');
    for (let s = 1; s <= 5; s++) publish(s);
    await new Promise((r) => setImmediate(r));
    expect(a.status.publishErrors).toBe(0);
    await redis.kill('SIGKILL');
    await waitFor(() => expect(a.status.publishErrors).toBe(5), READY_TIMEOUT_MS);
  });

  it('a call that fails (the function flushed) is counted per message and never resent; the next turns go one by one, in order', async () => {
    const redis = await labRedis();
    const { a, received, publish, admin } = await twoBuses(redis);
    await waitFor(async () => expect(await calls(admin, 'fcall')).toBeGreaterThanOrEqual(1), READY_TIMEOUT_MS);
    const total = () => [...received.values()].reduce((n, l) => n + l.length, 0);
    for (let s = 1; s <= 10; s++) publish(s);
    await waitFor(() => expect(total()).toBe(10), ARRIVE_TIMEOUT_MS);
    await admin.call('FUNCTION', 'FLUSH');
    for (let s = 11; s <= 20; s++) publish(s);
    await waitFor(() => expect(a.status.publishErrors).toBe(10), ARRIVE_TIMEOUT_MS);
    for (let s = 21; s <= 30; s++) publish(s);
    await waitFor(() => expect(total()).toBe(20), ARRIVE_TIMEOUT_MS);
    const all = [...received.values()].flat().sort((x, y) => x - y);
    expect(all).toEqual([...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 21)]);
    for (const [room, seqs] of received) expect(seqs, room).toEqual([...seqs].sort((x, y) => x - y));
    expect(a.status.publishErrors).toBe(10);
  });
});
