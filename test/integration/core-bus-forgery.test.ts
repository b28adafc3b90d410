/**
 * The bus no one else can write: a real core (2 workers, from dist) on the lab's password-protected
 * Redis. Someone who holds the Redis password and PUBLISHes on a room's channel (an unsigned msg in
 * the old envelope, one with a wrong MAC, garbage) reaches no client: each is dropped and counted on
 * the worker that received it, and a real message sent afterwards through the other worker arrives.
 * Nodes that share one Redis share a key through --bus-key-file; the password is never printed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { roomChannel, type CoreEvent, type MsgFrame } from '../../src/protocol/index.js';
import type { RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { DIST_CORE_MAIN_PATH, loadCoreProcess, waitBusReady, workerHealth, type Core } from '../support/dist-core.js';
import { RawSocket } from '../support/raw-socket.js';
import { waitFor } from '../support/wait-for.js';
import { cleanupsAfterEach, labRedisServer } from '../support/redis.js';

const ROOM = 'lobby';
const READY_TIMEOUT_MS = 20_000;
const SUBSCRIBED_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 20_000;

const { startCore } = await loadCoreProcess();
const cleanups = cleanupsAfterEach();

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dl-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const labRedis = () => labRedisServer(cleanups);

async function core(o: Parameters<typeof startCore>[0]): Promise<Core> {
  const c = await startCore(o);
  cleanups.push(() => c.stop());
  return c;
}

async function socket(c: Core, slot: number, user: string): Promise<RawSocket> {
  const { socket: s } = await RawSocket.open(`${c.slotUrl(slot)}${await c.credentials(user)}`);
  cleanups.push(() => s.close());
  return s;
}

/** A raw WebSocket to worker `slot` of `c` as `user`, joined to ROOM. */
async function member(c: Core, slot: number, user: string): Promise<RawSocket> {
  const s = await socket(c, slot, user);
  s.send({ type: 'join', room: ROOM, after: 0 });
  await s.take('joined', (f) => f.room === ROOM);
  return s;
}

/** A client of the lab's Redis authenticated with its password (from the URL). */
function redisClient(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  cleanups.push(() => void r.disconnect());
  return r;
}

/** Runs `redis-cli` against the lab's Redis, authenticated through REDISCLI_AUTH (never on its command line); resolves with its stdout. */
function redisCli(redis: RedisServerHandle, args: string[], auth: string | undefined = redis.password): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['REDISCLI_AUTH'];
    if (auth !== undefined) env['REDISCLI_AUTH'] = auth;
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli exited ${code}: ${err}`))));
  });
}

/** The value of a Prometheus counter series on worker `slot` (0 when absent). */
async function metric(c: Core, slot: number, series: RegExp): Promise<number> {
  const text = await (await fetch(c.adminUrl(slot, '/metrics'))).text();
  const line = text.split('\n').find((l) => series.test(l));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function forgedMsg(seq: number): string {
  return JSON.stringify({ type: 'msg', id: `forged-${seq}`, room: ROOM, seq, sender: 'system', body: 'forged: reset your password at evil.example', ts: Date.now() } satisfies MsgFrame);
}

describe('the bus no one else can write', () => {
  it('forged publishes with the Redis password reach no client; they are counted; a real message gets through', async () => {
    const dir = tempDir('bus-forgery');
    const redis = await labRedis();
    const events: CoreEvent[] = [];
    const c = await core({ workers: 2, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], logFile: join(dir, 'core.log'), onEvent: (e) => events.push(e) });
    await waitBusReady(c, 2, READY_TIMEOUT_MS);

    const viewer = await member(c, 1, 'viewer');
    const sender = await member(c, 0, 'sender');
    // Both workers are subscribed to the room's channel at Redis (asked of Redis, with the password).
    const admin = redisClient(redis.url);
    await waitFor(async () => {
      const [, n] = (await admin.pubsub('NUMSUB', roomChannel(ROOM))) as [string, number | string];
      expect(Number(n)).toBe(2);
    }, SUBSCRIBED_TIMEOUT_MS);

    const worker0 = `w0:${c.pid(0)}`;
    const forgeries = [
      // (a) a well-formed msg in the old, unsigned envelope, as if from worker 0
      { what: 'unsigned', payload: `m ${worker0}\n${forgedMsg(999_999)}`, reason: 'bad_mac' },
      // (b) the new envelope with a MAC made with a key that is not the node's
      { what: 'wrong MAC', payload: `m ${worker0} ${randomBytes(32).toString('base64url')}\n${forgedMsg(999_998)}`, reason: 'bad_mac' },
      // (c) garbage
      { what: 'garbage', payload: 'this is not JSON {', reason: 'bad_schema' },
    ] as const;
    for (const f of forgeries) {
      // redis-cli answers with the number of subscribers that received it: both workers did.
      expect(await redisCli(redis, ['PUBLISH', roomChannel(ROOM), f.payload]), f.what).toBe('2');
    }
    // The same through ioredis with the password.
    expect(await admin.publish(roomChannel(ROOM), `m ${worker0}\n${forgedMsg(999_997)}`)).toBe(2);

    // A real message sent afterwards through worker 0 reaches the viewer on worker 1 through Redis.
    sender.send({ type: 'send', id: 'real-1', room: ROOM, body: 'a real message' });
    await sender.take('ack', (a) => a.id === 'real-1');
    const real = await viewer.take('msg', (m) => m.id === 'real-1');
    expect(real).toMatchObject({ room: ROOM, sender: 'sender', body: 'a real message', seq: 1 });
    // Redis delivers one subscriber's messages in order: the forged ones, published before, would have come first.
    await expect(viewer.take('msg', () => true, 0)).rejects.toThrow(/no matching msg frame/);
    expect(viewer.invalid).toEqual([]);
    // Nor did the sender's connection on worker 0: it has its own message (fanned out locally) and nothing else.
    expect(await sender.take('msg', (m) => m.id === 'real-1')).toMatchObject({ seq: 1 });
    await expect(sender.take('msg', () => true, 0)).rejects.toThrow(/no matching msg frame/);
    expect(sender.invalid).toEqual([]);

    expect(await metric(c, 1, /^dl_bus_rejected_total\{.*reason="bad_mac"/)).toBe(3);
    expect(await metric(c, 1, /^dl_bus_rejected_total\{.*reason="bad_schema"/)).toBe(1);
    expect(await metric(c, 1, /^dl_bus_messages_received_total\{/)).toBe(1);
    expect((await workerHealth(c, 1)).redis.rejected).toBe(4);
    // Worker 0 received the forgeries too (and its own echo, which is not a rejection), before that echo.
    await waitFor(async () => expect((await workerHealth(c, 0)).redis.rejected).toBe(4));
    expect(await metric(c, 0, /^dl_bus_rejected_total\{.*reason="bad_mac"/)).toBe(3);

    // The password is in no log, no /health, no event: where the URL is shown, it is redacted.
    const health = JSON.stringify([await workerHealth(c, 0), await workerHealth(c, 1)]);
    expect(health).not.toContain(redis.password);
    const ready = events.find((e) => e.type === 'ready');
    expect(ready).toMatchObject({ redisUrl: redis.displayUrl });
    await c.stop();
    const log = readFileSync(join(dir, 'core.log'), 'utf8');
    expect(log).toContain(`redis ${redis.displayUrl}`);
    expect(log).not.toContain(redis.password);
  });

  it('two nodes on one Redis with one --bus-key-file deliver to each other', async () => {
    const dir = tempDir('bus-key-file');
    const keyFile = join(dir, 'bus.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const redis = await labRedis();
    const a = await core({ workers: 1, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], busKeyFile: keyFile, logFile: join(dir, 'a.log') });
    const b = await core({ workers: 1, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], busKeyFile: keyFile, logFile: join(dir, 'b.log') });
    await waitBusReady(a, 1, READY_TIMEOUT_MS);
    await waitBusReady(b, 1, READY_TIMEOUT_MS);
    const viewer = await member(b, 0, 'viewer');
    await waitFor(async () => expect((await workerHealth(b, 0)).redis.rooms).toBe(1), SUBSCRIBED_TIMEOUT_MS);
    const sender = await member(a, 0, 'sender');
    // The viewer's SUBSCRIBE may still be on its way: send until one message arrives live through Redis.
    let n = 0;
    await waitFor(async () => {
      const id = `across-${++n}`;
      sender.send({ type: 'send', id, room: ROOM, body: 'from node a' });
      await sender.take('ack', (x) => x.id === id);
      expect(await metric(b, 0, /^dl_bus_messages_received_total\{/)).toBeGreaterThan(0);
    }, SUBSCRIBED_TIMEOUT_MS, 50);
    expect(await viewer.take('msg', (m) => m.body === 'from node a')).toMatchObject({ sender: 'sender' });
    expect((await workerHealth(b, 0)).redis.rejected).toBe(0);
  });

  it('a --bus-key-file others can read exits 2 naming the flag, without printing the key', async () => {
    const dir = tempDir('bus-key-file-bad');
    const key = randomBytes(32).toString('hex');
    const keyFile = join(dir, 'bus.key');
    writeFileSync(keyFile, key);
    chmodSync(keyFile, 0o644);
    const child = spawn(process.execPath, [DIST_CORE_MAIN_PATH, '--workers', '1', '--port', '1', '--db', join(dir, 'db.sqlite'), '--redis', 'redis://127.0.0.1:1', '--bus-key-file', keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the core did not exit within ${EXIT_TIMEOUT_MS} ms`)), EXIT_TIMEOUT_MS);
      child.once('exit', (c) => { clearTimeout(t); resolve(c); });
    });
    expect(code).toBe(2);
    expect(out).toContain('--bus-key-file');
    expect(out).toContain('chmod 600');
    expect(out).not.toContain(key);
  });
});
