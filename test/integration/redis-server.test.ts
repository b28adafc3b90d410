import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  killAllChildren,
  RedisServerNotFoundError,
  RedisServerStartError,
  startRedisServer,
  type RedisServerHandle,
} from '../../lab/cluster/redis-server.js';
import { withRedis } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

/** Bound for a process to disappear after it was signalled. */
const GONE_TIMEOUT_MS = 5_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

/** Alive and not a zombie: an orphan's corpse waits for init to reap it, which may take a while or never happen in a container. */
function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) await server.stop();
});

describe('startRedisServer', () => {
  it('starts a server that answers PING, and stop leaves no process', async () => {
    const server = await startRedisServer();
    servers.push(server);
    expect(server.url).toBe(`redis://:${server.password}@127.0.0.1:${server.port}`);
    const client = new Redis(server.url);
    clients.push(client);
    expect(await client.ping()).toBe('PONG');
    expect(isAlive(server.pid)).toBe(true);
    await server.stop();
    expect(server.running).toBe(false);
    expect(isAlive(server.pid)).toBe(false);
  });

  it('restarts on the same port after SIGKILL, and a client reconnects', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const client = new Redis(server.url, { retryStrategy: () => 20 });
    clients.push(client);
    client.on('error', () => undefined);
    await client.set('before', 'crash');
    const { pid, port } = server;

    await server.kill();
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => expect(client.status).not.toBe('ready'));
    const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
    await server.restart();
    await ready;

    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    // Persistence is off: the new process starts empty.
    expect(await client.get('before')).toBeNull();
    await client.set('after', 'restart');
    expect(await client.get('after')).toBe('restart');
  });

  it('says what to install when redis-server is not on PATH', async () => {
    const started = startRedisServer({ command: 'redis-server-not-installed-here' });
    await expect(started).rejects.toBeInstanceOf(RedisServerNotFoundError);
    await expect(started).rejects.toThrow(/apt-get install -y redis-server.*brew install redis/s);
  });

  it('refuses a port another server holds, even though that server answers there', async () => {
    const holder = await startRedisServer();
    servers.push(holder);
    const error: unknown = await startRedisServer({ port: holder.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisServerStartError);
    expect(error).toMatchObject({ port: holder.port, reason: 'exited', addressInUse: true });
    expect(holder.running).toBe(true);
  });

  it('writes its log to logFile when given one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deliverylab-redis-'));
    try {
      const server = await startRedisServer({ dir, logFile: join(dir, 'redis.log') });
      servers.push(server);
      await server.stop();
      expect(await readFile(join(dir, 'redis.log'), 'utf8')).toMatch(/Ready to accept connections/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('withRedis', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('starts a redis-server when REDIS_URL is not set, and cleanup stops it', async () => {
    vi.stubEnv('REDIS_URL', '');
    const [url, cleanup] = await withRedis();
    const client = new Redis(url, { retryStrategy: () => null });
    client.on('error', () => undefined);
    clients.push(client);
    expect(await client.ping()).toBe('PONG');
    const closed = new Promise((resolve) => client.once('end', resolve));
    await cleanup();
    await closed;
  });

  it('uses REDIS_URL when it is set, and cleanup leaves it alone', async () => {
    vi.stubEnv('REDIS_URL', 'redis://127.0.0.1:1');
    const [url, cleanup] = await withRedis();
    expect(url).toBe('redis://127.0.0.1:1');
    await cleanup();
  });
});

describe('killAllChildren', () => {
  it('SIGKILLs every server this process started', async () => {
    const started = [await startRedisServer(), await startRedisServer()];
    servers.push(...started);
    expect(killAllChildren()).toBeGreaterThanOrEqual(started.length);
    await waitFor(() => expect(started.map((server) => server.running)).toEqual([false, false]));
    for (const server of started) expect(isAlive(server.pid)).toBe(false);
  });
});

describe('a redis-server does not outlive the process that started it', () => {
  const cases = [
    { name: 'parent SIGKILLed (the watchdog kills the server)', signal: 'SIGKILL' as const },
    { name: 'parent SIGTERMed (exit hooks kill the server, then the parent dies of SIGTERM)', signal: 'SIGTERM' as const },
  ];

  it.each(cases)('$name', async ({ signal }) => {
    const dir = await mkdtemp(join(tmpdir(), 'deliverylab-parent-'));
    try {
      // The parent is plain Node: give it this module transpiled to JavaScript (it imports only node:*).
      const source = await readFile(new URL('../../lab/cluster/redis-server.ts', import.meta.url), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(join(dir, 'redis-server.mjs'), outputText);
      await writeFile(
        join(dir, 'parent.mjs'),
        "import { startRedisServer } from './redis-server.mjs';\n" +
          'const server = await startRedisServer();\n' +
          'console.log(server.pid);\n' +
          'setInterval(() => undefined, 60_000);\n',
      );
      const parent = spawn(process.execPath, [join(dir, 'parent.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => parent.once('exit', (_code, sig) => resolve(sig)));
      const redisPid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        parent.once('exit', (code) => reject(new Error(`parent exited early with code ${code}`)));
      });
      expect(isRunning(redisPid)).toBe(true);

      parent.kill(signal);
      expect(await exited).toBe(signal);
      await waitFor(() => expect(isRunning(redisPid)).toBe(false), GONE_TIMEOUT_MS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
