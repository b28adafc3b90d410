/**
 * Redis with a password and protected mode on: the lab's redis-server refuses whoever does not
 * authenticate, its fault proxy hands out URLs with the credentials and still tells a worker's
 * publisher from its subscriber when AUTH comes first; the core's embedded redis-server has its
 * default user off and one user that may run only the bus's commands on room channels.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { roomChannel } from '../../src/protocol/index.js';
import { startFaultProxy } from '../../lab/cluster/fault-proxy.js';
import { loadCoreProcess, waitBusReady, type Core } from '../support/dist-core.js';
import { RawSocket } from '../support/raw-socket.js';
import { waitFor } from '../support/wait-for.js';
import { PUBLISH_ALL_FUNCTION, PUBLISH_ALL_LIBRARY } from '../../src/fanout/publish-all.js';
import { cleanupsAfterEach, labRedisServer } from '../support/redis.js';

const READY_TIMEOUT_MS = 20_000;
const DELIVERY_TIMEOUT_MS = 10_000;

const { startCore } = await loadCoreProcess();
const cleanups = cleanupsAfterEach();

const labRedis = () => labRedisServer(cleanups);

function client(url: string, options: RedisOptions = {}): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, ...options });
  r.on('error', () => undefined);
  cleanups.push(() => void r.disconnect());
  return r;
}

/** `redis-cli` with these arguments and environment; resolves with what it printed. */
function redisCli(args: string[], auth?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['REDISCLI_AUTH'];
    if (auth !== undefined) env['REDISCLI_AUTH'] = auth;
    const child = spawn('redis-cli', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(out.trim()));
  });
}

describe("the lab's redis-server", () => {
  it('refuses a client without the password (NOAUTH) or with a wrong one (WRONGPASS), and runs protected', async () => {
    const redis = await labRedis();
    expect(redis.url).toBe(`redis://:${redis.password}@127.0.0.1:${redis.port}`);
    expect(redis.password).toMatch(/^[0-9a-f]{64}$/);
    expect(redis.displayUrl).toBe(`redis://:***@127.0.0.1:${redis.port}`);

    await expect(client(`redis://127.0.0.1:${redis.port}`).ping()).rejects.toThrow(/NOAUTH/);
    await expect(client(`redis://:wrong@127.0.0.1:${redis.port}`).ping()).rejects.toThrow(/WRONGPASS|invalid password/i);
    expect(await redisCli(['-p', String(redis.port), 'PUBLISH', roomChannel('lobby'), 'forged'])).toMatch(/NOAUTH/);

    const authed = client(redis.url);
    expect(await authed.ping()).toBe('PONG');
    expect(await authed.config('GET', 'protected-mode')).toEqual(['protected-mode', 'yes']);
    expect(await redisCli(['-p', String(redis.port), 'PING'], redis.password)).toBe('PONG');
    // The password is on no command line: not redis-server's.
    expect(readFileSync(`/proc/${redis.pid}/cmdline`, 'utf8')).not.toContain(redis.password);
  });

  it('keeps its password across a restart: a client reconnects by itself', async () => {
    const redis = await labRedis();
    const c = client(redis.url, { retryStrategy: () => 20 });
    await c.set('k', 'v');
    const ready = new Promise<void>((resolve) => c.once('ready', () => resolve()));
    await redis.restart();
    await ready;
    expect(await c.ping()).toBe('PONG');
  });
});

describe('the fault proxy with AUTH', () => {
  it('hands out the upstream credentials, and tells -pub from -sub when AUTH comes first', async () => {
    const redis = await labRedis();
    const proxy = await startFaultProxy({ upstreamPort: redis.port });
    cleanups.push(() => proxy.close());
    expect(proxy.url).toBe(`redis://:${redis.password}@127.0.0.1:${proxy.port}`);
    await expect(client(`redis://127.0.0.1:${proxy.port}`).ping()).rejects.toThrow(/NOAUTH/);

    // What a worker's bus sends first on each connection: AUTH <password>, then CLIENT SETNAME w0-pub / w0-sub.
    const pub = client(proxy.url, { connectionName: 'w0-pub' });
    const sub = client(proxy.url, { connectionName: 'w0-sub' });
    await Promise.all([pub.ping(), sub.ping()]);
    const subClosed = new Promise<void>((resolve) => sub.once('close', () => resolve()));
    proxy.addToxic({ kind: 'reset-peer', timeoutMs: 0, link: 'sub' }, 1);
    await subClosed;
    expect(await pub.ping()).toBe('PONG');
    expect(proxy.stats.connectionsCutByToxics).toBe(1);
  });
});

describe("the core's embedded redis-server", () => {
  it('lets in only its bus user, which may publish and subscribe on room channels and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-embedded-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // No Redis URL: the core starts its own redis-server.
    const c: Core = await startCore({ workers: 2, db: join(dir, 'db.sqlite'), redisUrls: [], logFile: join(dir, 'core.log') });
    cleanups.push(() => c.stop());
    await waitBusReady(c, 2, READY_TIMEOUT_MS);

    // Its URL (password in it) reaches a worker in its environment alone; this test reads it from there.
    const env = readFileSync(`/proc/${c.pid(1)}/environ`, 'utf8').split('\0');
    const url = env.find((e) => e.startsWith('DL_REDIS_URL='))!.slice('DL_REDIS_URL='.length);
    const m = /^unix:\/\/deliverylab:([0-9a-f]{64})@(\/.+\/redis\.sock)$/.exec(url);
    expect(m, 'DL_REDIS_URL').not.toBeNull();
    const [, password, socketPath] = m!;

    await expect(client(socketPath!).ping()).rejects.toThrow(/NOAUTH/);
    expect(await redisCli(['-s', socketPath!, 'PUBLISH', roomChannel('lobby'), 'forged'])).toMatch(/NOAUTH/);
    expect(await redisCli(['-s', socketPath!, '--user', 'default', 'PING'], 'anything')).toMatch(/WRONGPASS|disabled/i);
    const bus = client(url);
    expect(await bus.ping()).toBe('PONG');
    expect(await bus.publish(roomChannel('nobody-here'), 'x')).toBe(0);
    await expect(bus.publish('elsewhere', 'x')).rejects.toThrow(/NOPERM/);
    await expect(bus.config('GET', 'dir')).rejects.toThrow(/NOPERM/);
    await expect(bus.set('k', 'v')).rejects.toThrow(/NOPERM/);
    await expect(bus.call('MONITOR')).rejects.toThrow(/NOPERM/);
    // It may call the bus's own function, which the primary loaded (a turn's publishes in one call), under
    // the same channel rules; it may not load a function nor run a script of its own (an endless one would
    // block every worker, and the bus user cannot kill it).
    expect(await bus.call('FCALL', PUBLISH_ALL_FUNCTION, '0', roomChannel('nobody-here'), 'x', roomChannel('nor-here'), 'y')).toBe(2);
    await expect(bus.call('FCALL', PUBLISH_ALL_FUNCTION, '0', 'elsewhere', 'x')).rejects.toThrow(/NOPERM|can't|not allowed/i);
    await expect(bus.call('FUNCTION', 'LOAD', 'REPLACE', PUBLISH_ALL_LIBRARY)).rejects.toThrow(/NOPERM/);
    await expect(bus.eval("return redis.call('PUBLISH', ARGV[1], ARGV[2])", 0, roomChannel('nobody-here'), 'x')).rejects.toThrow(/NOPERM/);
    for (const sub of [['LIST'], ['FLUSH'], ['DELETE', 'deliverylab_bus_v1'], ['RESTORE', 'x'], ['KILL']]) await expect(bus.call('FUNCTION', ...sub), sub[0]).rejects.toThrow(/NOPERM/);
    await expect(bus.call('FCALL_RO', PUBLISH_ALL_FUNCTION, '0')).rejects.toThrow(/NOPERM/);
    // The loader's password stays in the primary: no worker has it.
    expect(env.join('\n')).not.toMatch(/deliverylab-loader/);

    // The workers' bus works under that user: a message sent on worker 0 reaches worker 1 through Redis.
    const viewer = (await RawSocket.open(`${c.slotUrl(1)}${await c.credentials('viewer')}`)).socket;
    cleanups.push(() => viewer.close());
    viewer.send({ type: 'join', room: 'lobby', after: 0 });
    await viewer.take('joined');
    const sender = (await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('sender')}`)).socket;
    cleanups.push(() => sender.close());
    sender.send({ type: 'join', room: 'lobby', after: 0 });
    await sender.take('joined');
    const received = async () => {
      const text = await (await fetch(c.adminUrl(1, '/metrics'))).text();
      const line = text.split('\n').find((l) => l.startsWith('dl_bus_messages_received_total{'));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    // Worker 1's SUBSCRIBE may still be on its way: send until one arrives live.
    let n = 0;
    await waitFor(async () => {
      const id = `embedded-${++n}`;
      sender.send({ type: 'send', id, room: 'lobby', body: 'through the embedded redis' });
      await sender.take('ack', (a) => a.id === id);
      expect(await received()).toBeGreaterThan(0);
    }, DELIVERY_TIMEOUT_MS, 50);
    expect(await viewer.take('msg', (f) => f.body === 'through the embedded redis')).toMatchObject({ sender: 'sender' });

    // The banner shows the socket's path, never the URL with the password.
    await c.stop();
    const log = readFileSync(join(dir, 'core.log'), 'utf8');
    expect(log).toContain(`unix socket ${socketPath}`);
    expect(log).not.toContain(password!);
  });
});
