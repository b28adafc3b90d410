import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BUS_REDIS_USER, roomChannel } from '../protocol/index.js';
import { loadPublishAll } from './publish-all.js';

/** How long the embedded redis-server may take to answer. */
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3000;
/** The one Redis user of the embedded server: the workers' bus. */
export const EMBEDDED_REDIS_USER = BUS_REDIS_USER;
/**
 * What the bus may do, and nothing more: publish and subscribe on room channels (a turn's messages in
 * one FCALL of the bus's own function, loaded by the primary: the bus user may call functions, never
 * load one, nor run a script), PING (its probe), INFO (ioredis's ready check) and CLIENT SETNAME (each
 * connection names itself). No key but the rate counts, no CONFIG, no MONITOR, no other channel. AUTH
 * needs no permission.
 */
const BUS_COMMANDS = ['+publish', '+fcall', '+subscribe', '+unsubscribe', '+ping', '+info', '+client|setname', '+incrby', '+expire'];
/** The user the primary loads the bus's function library with, once, at start: that and nothing else. */
const LOADER_USER = 'deliverylab-loader';
/** The keys the bus may write: the per-user send counts (`UserRateLimit`), each expiring. */
const BUS_KEYS = 'dl:rate:*';

/** The redis-server a core starts for itself when it is given no Redis URL. */
export interface EmbeddedRedis {
  /** The unix socket the workers connect to. */
  readonly path: string;
  /**
   * What the workers connect with: `unix://deliverylab:<password>@<path>` (ioredis takes it as a
   * URL). It holds the password: show `path`, never this.
   */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after a bound; resolves once it exited and its directory is gone. */
  stop(): Promise<void>;
}

/** Thrown when redis-server is missing or does not answer; the message says what to do. */
export class EmbeddedRedisError extends Error {
  constructor(why: string) {
    super(`could not start the embedded redis-server: ${why}. Install Redis 7 (apt-get install -y redis-server) or pass --redis redis://host:port`);
    this.name = 'EmbeddedRedisError';
  }
}

/**
 * Starts a private redis-server for this core: no TCP port (a unix socket in a directory only this
 * user can enter), protected mode on, no persistence (the bus is ephemeral by design). Its default
 * user is off: the one user, `deliverylab`, has a random password and may run only the bus's
 * commands on room channels. The configuration (the password's hash) goes in on its stdin, never on
 * a command line. It dies with this process: on a clean exit it is stopped, and a watchdog (a shell
 * blocked reading a pipe from us) SIGKILLs it when this process dies any other way.
 */
export async function startEmbeddedRedis(): Promise<EmbeddedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'deliverylab-redis-'));
  const path = join(dir, 'redis.sock');
  const password = randomBytes(32).toString('hex');
  const url = `unix://${EMBEDDED_REDIS_USER}:${password}@${path}`;
  // Known to this process alone (never in a worker's environment).
  const loaderPassword = randomBytes(32).toString('hex');
  const config = [
    'port 0', `unixsocket ${quote(path)}`, 'unixsocketperm 700', 'protected-mode yes', 'save ""', 'appendonly no', `dir ${quote(dir)}`,
    'client-output-buffer-limit pubsub 256mb 128mb 60', 'loglevel warning',
    'user default off',
    `user ${EMBEDDED_REDIS_USER} on #${createHash('sha256').update(password).digest('hex')} resetkeys ~${BUS_KEYS} resetchannels &${roomChannel('*')} -@all ${BUS_COMMANDS.join(' ')}`,
    `user ${LOADER_USER} on #${createHash('sha256').update(loaderPassword).digest('hex')} resetkeys resetchannels -@all +function|load`,
  ].join('\n');
  // `redis-server -` reads its configuration from stdin until EOF, then starts.
  const child = spawn('redis-server', ['-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`${config}\n`);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  const spawned = await new Promise<Error | undefined>((resolve) => { child.once('spawn', () => resolve(undefined)); child.once('error', resolve); });
  if (spawned) {
    rmSync(dir, { recursive: true, force: true });
    throw new EmbeddedRedisError((spawned as NodeJS.ErrnoException).code === 'ENOENT' ? 'redis-server is not on PATH' : spawned.message);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const guard = watchdog(child);
  const onExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(t);
    }
    guard.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, disableClientInfo: true });
  probe.on('error', () => undefined);
  const deadline = performance.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new EmbeddedRedisError(`it exited (${stderr.trim() || `code ${child.exitCode}`})`);
      if (performance.now() > deadline) throw new EmbeddedRedisError(`it did not answer within ${START_TIMEOUT_MS} ms`);
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    // The bus's function, so that the workers may publish a turn's messages in one call (Redis 7: the
    // ACL lines above name FCALL and FUNCTION). Should the load fail, the workers publish one at a time.
    // No ready check: it would run INFO, which the loader may not.
    const loader = new Redis(`unix://${LOADER_USER}:${loaderPassword}@${path}`, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, enableReadyCheck: false, retryStrategy: () => null, disableClientInfo: true });
    loader.on('error', () => undefined);
    try {
      await loader.connect();
      await loadPublishAll(loader);
    } catch {
      // Not loaded: see above.
    } finally {
      loader.disconnect();
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    probe.disconnect();
  }
  return { path, url, pid: child.pid!, stop };
}

/** A value for a redis.conf line, double-quoted (the path of a temporary directory may hold spaces). */
function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** A shell that SIGKILLs `child` once the pipe from this process closes, i.e. once this process is gone, however it died. */
function watchdog(child: ChildProcess): ChildProcess {
  const dog = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  dog.on('error', () => undefined);
  dog.stdin?.on('error', () => undefined);
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}
