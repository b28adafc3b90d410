/**
 * A real `redis-server` child process on a loopback port, which the harness can kill, restart and
 * stop. It runs with protected mode on and a random password (`requirepass`, given on its stdin,
 * never on a command line): whoever connects authenticates with the credentials `url` carries. Its
 * default user keeps every command: the lab's tests, probes and bench use more than the bus does.
 * Children never outlive the harness: they are SIGKILLed on process `exit`, SIGINT, SIGTERM
 * and SIGHUP, and each one has a watchdog (`sh` blocked reading a pipe from this process) that
 * SIGKILLs it when this process dies by any means, SIGKILL included. A supervisor that SIGKILLs the
 * harness should still kill its whole process group (`kill -KILL -<pgid>`), which also reaches
 * workers and anything else the harness started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';

/** Thrown when the `redis-server` executable cannot be found; the message says what to install. */
export class RedisServerNotFoundError extends Error {
  override readonly name = 'RedisServerNotFoundError';
  constructor(readonly command: string) {
    super(
      `\`${command}\` is not on PATH. Install Redis 7: \`apt-get install -y redis-server\` on ` +
        'Debian/Ubuntu, `brew install redis` on macOS; or set REDIS_URL to an external Redis.',
    );
  }
}

/** Thrown when a `redis-server` exits or stays silent before it answers on its port. */
export class RedisServerStartError extends Error {
  override readonly name = 'RedisServerStartError';
  constructor(
    readonly port: number,
    readonly reason: 'exited' | 'timeout',
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly logTail: string,
  ) {
    super(
      reason === 'timeout'
        ? `redis-server on port ${port} did not answer in time.\n${logTail}`
        : `redis-server on port ${port} exited before answering (code ${exitCode}, signal ${signal}).\n${logTail}`,
    );
  }

  /** Whether the server failed because its port was taken (another process won the bind race). */
  get addressInUse(): boolean {
    return /address already in use/i.test(this.logTail);
  }
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** TCP port on 127.0.0.1. @default a free port, chosen again if the bind races */
  port?: number;
  /** A second address to listen on besides 127.0.0.1 (a lab network's host address, for nodes in namespaces). @default none */
  alsoBind?: string;
  /** The server's working directory (`--dir`); persistence is off, so it writes nothing there. @default os.tmpdir() */
  dir?: string;
  /** File the server logs to (`--logfile`). @default none: the log is kept in memory and its tail goes into start errors */
  logFile?: string;
  /** The executable to run. @default 'redis-server' */
  command?: string;
  /** How long to wait for a started server to answer. @default 10_000 */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before it sends SIGKILL. @default 5_000 */
  stopTimeoutMs?: number;
}

/** A running `redis-server` child; `pid` changes on every restart, `port`, `password` and `url` never do. */
export interface RedisServerHandle {
  /** `redis://:<password>@127.0.0.1:<port>`: it holds the password, so show `displayUrl` instead. */
  readonly url: string;
  /** The URL without its password (`redis://:***@127.0.0.1:<port>`), fit for logs and reports. */
  readonly displayUrl: string;
  readonly port: number;
  /** The password every client must AUTH with (random, kept across restarts). */
  readonly password: string;
  readonly pid: number;
  readonly running: boolean;
  /** Sends a terminating signal and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a new process on the same port (stopping the old one first if it runs) and waits until it answers. */
  restart(): Promise<void>;
  /** Sends SIGTERM, waits for exit, and sends SIGKILL if it has not exited after `stopTimeoutMs`. */
  stop(): Promise<void>;
}

const BIND_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 25;
const PROBE_TIMEOUT_MS = 500;
const LOG_TAIL_LINES = 40;
const NON_TERMINATING = new Set<string>(['SIGSTOP', 'SIGTSTP', 'SIGCONT', 'SIGCHLD', 'SIGURG', 'SIGWINCH']);

const children = new Set<ChildProcess>();
let hooksInstalled = false;
/** The password of each running server this process started, by port (see {@link labRedisPassword}). */
const passwords = new Map<number, string>();

/**
 * The password of the redis-server this process started on `port`, while it runs (a fault proxy in
 * front of it gives its clients a URL with the same credentials); undefined for any other port.
 */
export function labRedisPassword(port: number): string | undefined {
  return passwords.get(port);
}

/** A redis:// URL of 127.0.0.1:`port` carrying `password`. */
export function redisUrlWithPassword(port: number, password: string, host = '127.0.0.1'): string {
  return `redis://:${encodeURIComponent(password)}@${host}:${port}`;
}

/** SIGKILLs every child process this module started (servers and watchdogs) and returns how many were signalled. */
export function killAllChildren(): number {
  let signalled = 0;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) signalled += 1;
  }
  return signalled;
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAllChildren());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllChildren();
      // Alone on this signal, we must keep its default meaning (terminate) by re-raising it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function unrefStream(stream: unknown): void {
  if (stream instanceof Socket) stream.unref();
}

function spawnWatchdog(pid: number): ChildProcess | null {
  if (process.platform === 'win32') return null;
  // `read` returns at EOF, i.e. when this process has died and the pipe's write end is closed.
  const dog = spawn('sh', ['-c', 'read _; kill -9 "$1" 2>/dev/null', 'deliverylab-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.on('error', () => undefined);
  dog.stdin?.on('error', () => undefined);
  dog.unref();
  unrefStream(dog.stdin);
  track(dog);
  return dog;
}

/** Resolves a free TCP port on 127.0.0.1 (free when probed; a caller must still handle losing a bind race). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Authenticates to the server on `port`, asks it for INFO and returns its process id, or null if it did not answer. */
function probeServerPid(port: number, password: string): Promise<number | null> {
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (pid: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => finish(null), PROBE_TIMEOUT_MS);
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
    const pw = Buffer.from(password);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(`*2\r\n$4\r\nAUTH\r\n$${pw.length}\r\n`), pw, Buffer.from('\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n')])));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.startsWith('-')) return finish(null);
      const match = /process_id:(\d+)\r\n/.exec(text);
      if (match) finish(Number(match[1]));
    });
  });
}

interface Launched {
  child: ChildProcess;
  exited: Promise<void>;
  watchdog: ChildProcess | null;
}

type ResolvedOptions = Required<Omit<RedisServerOptions, 'port' | 'logFile' | 'alsoBind'>> & Pick<RedisServerOptions, 'logFile' | 'alsoBind'>;

function fileTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return `(no log at ${path})`;
  }
}

async function launch(port: number, password: string, opts: ResolvedOptions): Promise<Launched> {
  // `-`: the configuration is read from stdin (the password), then the flags are applied.
  const args = ['-', '--port', String(port), '--bind', '127.0.0.1', ...(opts.alsoBind ? [opts.alsoBind] : []), '--protected-mode', 'yes', '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--dir', opts.dir,
    // A busy subscriber (a worker under saturation) may lag: the default 32 MB pubsub buffer makes
    // Redis drop it, which the lab would then count against the system under test.
    '--client-output-buffer-limit', 'pubsub 256mb 128mb 60'];
  if (opts.logFile !== undefined) args.push('--logfile', opts.logFile);
  const child = spawn(opts.command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`requirepass ${password}\n`);
  const tail: string[] = [];
  const onOutput = (chunk: Buffer): void => {
    tail.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    tail.splice(0, Math.max(0, tail.length - LOG_TAIL_LINES));
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const logTail = (): string => (opts.logFile !== undefined ? fileTail(opts.logFile) : tail.join('\n'));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RedisServerNotFoundError(opts.command);
    throw error;
  }
  child.on('error', () => undefined);
  installExitHooks();
  track(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const pid = child.pid ?? -1;
  const watchdog = spawnWatchdog(pid);
  void exited.then(() => watchdog?.kill('SIGKILL'));

  const deadline = performance.now() + opts.startTimeoutMs;
  let isUp = false;
  while (!isUp) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await outputClosed;
      throw new RedisServerStartError(port, 'exited', child.exitCode, child.signalCode, logTail());
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new RedisServerStartError(port, 'timeout', null, null, logTail());
    }
    // A foreign server that won the bind race would answer too: only our own pid counts.
    isUp = (await probeServerPid(port, password)) === pid;
    if (!isUp) {
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))]);
    }
  }
  child.unref();
  unrefStream(child.stdout);
  unrefStream(child.stderr);
  return { child, exited, watchdog };
}

class RedisServer implements RedisServerHandle {
  readonly port: number;
  readonly url: string;
  readonly displayUrl: string;
  readonly password: string;
  #current: Launched;
  readonly #opts: ResolvedOptions;

  constructor(port: number, password: string, launched: Launched, opts: ResolvedOptions) {
    this.port = port;
    this.password = password;
    this.url = redisUrlWithPassword(port, password);
    this.displayUrl = `redis://:***@127.0.0.1:${port}`;
    this.#current = launched;
    this.#opts = opts;
    passwords.set(port, password);
  }

  get pid(): number {
    return this.#current.child.pid ?? -1;
  }

  get running(): boolean {
    const { child } = this.#current;
    return child.exitCode === null && child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (NON_TERMINATING.has(signal)) {
      throw new RangeError(`kill(${signal}) would never end the process; send it with process.kill(handle.pid, '${signal}')`);
    }
    if (!this.running) return;
    const { child, exited, watchdog } = this.#current;
    watchdog?.kill('SIGKILL');
    child.ref();
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    if (passwords.get(this.port) === this.password) passwords.delete(this.port);
    if (!this.running) return;
    const { child, exited, watchdog } = this.#current;
    watchdog?.kill('SIGKILL');
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#opts.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.#current = await launch(this.port, this.password, this.#opts);
    passwords.set(this.port, this.password);
  }
}

/** Starts a `redis-server` on 127.0.0.1 with persistence off and a random password, and resolves once it answers on its port. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const opts: ResolvedOptions = {
    dir: options.dir ?? tmpdir(),
    logFile: options.logFile,
    ...(options.alsoBind ? { alsoBind: options.alsoBind } : {}),
    command: options.command ?? 'redis-server',
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
  };
  const password = randomBytes(32).toString('hex');
  if (options.port !== undefined) {
    return new RedisServer(options.port, password, await launch(options.port, password, opts), opts);
  }
  for (let attempt = 1; ; attempt += 1) {
    const port = await findFreePort();
    try {
      return new RedisServer(port, password, await launch(port, password, opts), opts);
    } catch (error) {
      const lostRace = error instanceof RedisServerStartError && error.addressInUse;
      if (!lostRace || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}
