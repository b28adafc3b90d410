import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { signToken } from '../../src/protocol/auth.js';
import { loadAuthKey } from '../../src/protocol/node/auth-key.js';
import { dbSideDir } from '../../src/protocol/node/db-location.js';
import { processAlive } from './pids.js';
import { fileURLToPath } from 'node:url';
import { coreArgv, CoreEvent, HealthBody, adminPort, nodePortCount, slotPort, wsUrl, type ControlRequest, type SemanticsName, type Synchronous, type WriterName } from '../../src/protocol/index.js';
import { createServer } from 'node:net';

/** Options of `startCore`. */
export interface CoreOptions {
  workers: number;
  /** The slot of the node's first worker (`--slot-base`): several nodes number their workers apart. @default 0 */
  slotBase?: number;
  /** Run the node in this network namespace (`ip netns exec`), bound to `host`. @default the lab's own, on 127.0.0.1 */
  netns?: { name: string; host: string };
  db: string;
  /** One Redis URL per worker (fault proxies), or one for all; empty for local-only. */
  redisUrls: string[];
  /** The redis URLs are the startup nodes of one Redis Cluster (`--redis-cluster`): the bus is sharded pub/sub. @default false */
  redisCluster?: boolean;
  /** @default 'effectively-once' */
  semantics?: SemanticsName;
  /** @default 500 */
  headIntervalMs?: number;
  /** Who runs the write transactions (`serve --writer`). @default 'primary' */
  writer?: WriterName;
  /** SQLite synchronous setting (`serve --synchronous`). @default 'FULL' */
  synchronous?: Synchronous;
  /** One process serving as worker 0 and its own writer, no Redis (`--in-process`: the core's send path alone). @default false */
  inProcess?: boolean;
  /** The core emits its own trace events (`--trace`), delivered to `onEvent` as `trace` events. @default false */
  trace?: boolean;
  /** The file of the key its workers sign bus messages with (`--bus-key-file`), for cores that share one Redis. @default a random key per start */
  busKeyFile?: string;
  /** The token key's file (`--auth-secret-file`). @default auth.key beside the database, made if missing */
  authSecretFile?: string;
  /** Teaching only: `?user=` names the user, no token (`--insecure-dev-users`). @default false */
  insecureDevUsers?: boolean;
  /** Browser origins allowed besides the core's own host (`--allow-origin`). */
  allowOrigin?: string;
  /** The core's stdout+stderr go here. @default inherit nothing (discarded) */
  logFile?: string;
  /** Extra environment of the core's processes (the power-loss interposer's). @default none */
  env?: Record<string, string>;
  /** Called for every event the primary reports (worker-up, worker-exit, ready, trace, ...). */
  onEvent?: (e: CoreEvent) => void;
  /** How long to wait for every worker to listen. @default 30000 */
  startTimeoutMs?: number;
}

/** A running core (primary + workers) as the lab sees it: ports, pids and a control channel. */
export interface Core {
  readonly port: number;
  /** ws URL of the shared port. */
  readonly url: string;
  /** ws URL of worker `slot`'s own port. */
  slotUrl(slot: number): string;
  /** The current pid of a worker. */
  pid(slot: number): number | undefined;
  /** A token for `user`, signed with the core's key (valid for a day); clients connect with `?token=`. */
  token(user: string): Promise<string>;
  /** `?token=<token>` for `user`, or `?user=<user>` when the core runs with insecure dev users: what a client appends to a worker's URL. */
  credentials(user: string): Promise<string>;
  /** The primary's pid (of its latest start). */
  readonly primaryPid: number;
  /** False after powerOff or killPrimary, until restart. */
  readonly running: boolean;
  /** Power loss of the node: SIGKILL to every worker and the primary at once; resolves when all are gone. */
  powerOff(): Promise<void>;
  /** SIGKILL to the primary alone; resolves when it and (losing their channel to it) its workers are gone. */
  killPrimary(): Promise<void>;
  /** Starts the core again on the same ports and database (as a supervisor would), once it is down; resolves when every worker listens. */
  restart(): Promise<void>;
  /** Sends a control request (arm/disarm failpoints) through the primary. */
  control(req: ControlRequest): void;
  /** Sends a signal to a worker's current process; returns its pid, or undefined when none is alive. */
  signal(slot: number, signal: NodeJS.Signals): number | undefined;
  /** An http:// URL of `path` on worker `slot`'s admin port (`/health`, `/metrics`). */
  adminUrl(slot: number, path: string): string;
  /** Worker `slot`'s `GET /health` on its admin port; undefined when it does not answer within `timeoutMs`. */
  health(slot: number, timeoutMs?: number): Promise<HealthBody | undefined>;
  /** Resolves when worker `slot` is up with a pid other than `notPid`. */
  waitWorkerUp(slot: number, notPid?: number, timeoutMs?: number): Promise<number>;
  /** Stops the primary and its workers, and waits for them to exit (SIGKILL after a bound). */
  stop(): Promise<void>;
}

/** The core's program: the lab runs it as a deployment would and sees it only through the contract in src/protocol. */
const CORE_MAIN = fileURLToPath(new URL('../../src/server/main.js', import.meta.url));

/** Lowest port the kernel hands out for outgoing connections (ports above it can be taken at any moment). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * Finds a base port p such that p .. p+workers are all free, below the ephemeral range: a port the
 * OS picked for us lies inside it, where the workers' own outgoing connections may take p+1 first.
 */
async function freePortRange(n: number): Promise<number> {
  const high = Math.min(ephemeralLow(), 65000) - n - 1;
  const low = Math.min(20000, high - 1000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const free = await Promise.all(Array.from({ length: n + 1 }, (_, i) => canListen(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no range of ${n + 1} free ports found on 127.0.0.1 between ${low} and ${high + n}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Thrown when the core could not be started; `output` is the tail of what it printed. */
export class CoreStartError extends Error {
  constructor(message: string, readonly output: string, readonly crashLoop: boolean) {
    super(output ? `${message}; its last output:\n${output}` : message);
    this.name = 'CoreStartError';
  }
}

const START_ATTEMPTS = 3;
const OUTPUT_TAIL_LINES = 15;

/**
 * Starts the core's program as a child with an IPC channel and waits until every worker listens.
 * Workers that die before the core is ready (another process took a port between our probe and
 * their bind) make it try again on other ports, a bounded number of times.
 */
export async function startCore(opts: CoreOptions): Promise<Core> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A namespace of its own has every port free.
      return await startCoreOnce(opts, opts.netns ? NODE_PORT : await freePortRange(nodePortCount(opts.workers) - 1));
    } catch (err) {
      if (!(err instanceof CoreStartError && err.crashLoop) || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

/** The port of a node in a network namespace of its own (every node has its own address). */
const NODE_PORT = 8080;

/** How long the lab's tokens last: longer than any run or session. */
const TOKEN_TTL_S = 24 * 3600;

async function startCoreOnce(opts: CoreOptions, port: number): Promise<Core> {
  const authSecretFile = resolve(opts.authSecretFile ?? join(dbSideDir(opts.db), 'auth.key'));
  const args = coreArgv({
    // A node in a namespace binds its admin ports to its own address too: the lab reaches it from outside.
    workers: opts.workers, port, ...(opts.netns ? { host: opts.netns.host, adminHost: opts.netns.host } : {}), ...(opts.slotBase ? { slotBase: opts.slotBase } : {}), db: opts.db, semantics: opts.semantics ?? 'effectively-once', headIntervalMs: opts.headIntervalMs ?? 500,
    ...(opts.redisUrls.length ? { redis: opts.redisUrls.join(',') } : {}), redisCluster: opts.redisCluster, writer: opts.writer, synchronous: opts.synchronous, inProcess: opts.inProcess, trace: opts.trace,
    busKeyFile: opts.busKeyFile, authSecretFile, insecureDevUsers: opts.insecureDevUsers, allowOrigin: opts.allowOrigin,
  });
  const key = opts.insecureDevUsers ? undefined : loadAuthKey(authSecretFile, true);
  const token = (user: string) => {
    if (key === undefined) throw new Error('this core runs with insecure dev users: it takes no tokens');
    return signToken(key, user, TOKEN_TTL_S);
  };
  const pids = new Map<number, number>();
  const upWaiters = new Set<() => void>();
  let current: Launched = await launch(opts, args, port, pids, upWaiters);
  const stop = async () => {
    const { child } = current;
    if (current.exited) return;
    if (child.connected) child.send({ type: 'shutdown' } satisfies ControlRequest, undefined, {}, () => undefined);
    else child.kill('SIGTERM');
    const t = setTimeout(() => {
      // Last resort: the primary did not stop its workers in time.
      for (const pid of pids.values()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      child.kill('SIGKILL');
    }, 10_000);
    await current.exit;
    clearTimeout(t);
  };
  /** Waits until every worker of the dead primary is gone, reporting each exit as the primary would have. */
  const reapWorkers = async (signal: string | null) => {
    const left = [...pids];
    pids.clear();
    await Promise.all(left.map(async ([slot, pid]) => {
      await waitGone(pid, 30_000);
      opts.onEvent?.({ type: 'worker-exit', slot, pid, code: null, signal });
    }));
  };
  const host = opts.netns?.host ?? '127.0.0.1';
  const base = opts.slotBase ?? 0;
  const core: Core = {
    port,
    url: wsUrl(host, port),
    slotUrl: (slot) => wsUrl(host, slotPort(port, slot - base)),
    pid: (slot) => pids.get(slot),
    // The in-process core is one worker whatever `workers` says (src/server/core.ts lays its ports out for 1).
    adminUrl: (slot, path) => `http://${host}:${adminPort(port, opts.inProcess ? 1 : opts.workers, slot - base)}${path}`,
    health: async (slot, waitMs = 1000) => {
      try {
        const r = await fetch(core.adminUrl(slot, '/health'), { signal: AbortSignal.timeout(waitMs) });
        const body = HealthBody.safeParse(await r.json());
        return body.success ? body.data : undefined;
      } catch {
        return undefined;
      }
    },
    token,
    credentials: async (user) => (key === undefined ? `?user=${encodeURIComponent(user)}` : `?token=${await token(user)}`),
    get primaryPid() { return current.child.pid!; },
    get running() { return !current.exited; },
    control: (req) => { if (current.child.connected) current.child.send(req, undefined, {}, () => undefined); },
    signal: (slot, signal) => {
      const pid = pids.get(slot);
      if (pid === undefined) return undefined;
      try {
        process.kill(pid, signal);
        return pid;
      } catch {
        return undefined; // it died an instant ago; its worker-exit event is on its way
      }
    },
    waitWorkerUp: (slot, notPid, waitMs = 30_000) => new Promise((resolve, reject) => {
      const check = () => {
        const pid = pids.get(slot);
        if (pid !== undefined && pid !== notPid) { cleanup(); resolve(pid); }
      };
      const t = setTimeout(() => { cleanup(); reject(new Error(`worker ${slot} did not come back within ${waitMs} ms`)); }, waitMs);
      const cleanup = () => { clearTimeout(t); upWaiters.delete(check); };
      upWaiters.add(check);
      check();
    }),
    powerOff: async () => {
      // Every process of the node at once: the workers and the primary, no goodbye.
      const all = [...pids.values(), current.child.pid!];
      for (const pid of all) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      await current.exit;
      await reapWorkers('SIGKILL');
    },
    killPrimary: async () => {
      current.child.kill('SIGKILL');
      await current.exit;
      // Its workers lose their channel to it and exit by themselves.
      await reapWorkers(null);
    },
    restart: async () => {
      if (!current.exited) throw new Error('the core is still running');
      current = await launch(opts, args, port, pids, upWaiters);
    },
    stop,
  };
  return core;
}

/** One run of the core's primary (its workers report through it). */
interface Launched {
  child: ChildProcess;
  exit: Promise<void>;
  readonly exited: boolean;
}

/** Forks the core's program and waits until every worker listens; a core that does not is stopped and reported. */
async function launch(opts: CoreOptions, args: string[], port: number, pids: Map<number, number>, upWaiters: Set<() => void>): Promise<Launched> {
  const child: ChildProcess = fork(CORE_MAIN, args, { ...(opts.netns ? { execPath: 'ip', execArgv: ['netns', 'exec', opts.netns.name, process.execPath] } : {}), stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, DL_LOG_LEVEL: process.env.DL_LOG_LEVEL ?? 'warn', ...opts.env } });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (d: Buffer) => {
      tail.push(...d.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - OUTPUT_TAIL_LINES));
    });
  }
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    const out = createWriteStream(opts.logFile, { flags: 'a' });
    out.on('error', () => undefined);
    // Two sources into one file: neither may end it while the other still writes.
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once('close', () => out.end());
  }
  child.on('error', () => undefined); // an IPC write after the core exited
  let earlyExits = 0;
  const launched = { child, exited: false, exit: Promise.resolve() };
  launched.exit = new Promise<void>((resolve) => child.once('exit', () => { launched.exited = true; resolve(); }));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (raw) => {
      const m = CoreEvent.safeParse(raw);
      if (!m.success) return;
      const e = m.data;
      if (e.type === 'worker-up') pids.set(e.slot, e.pid);
      if (e.type === 'worker-exit' && pids.get(e.slot) === e.pid) pids.delete(e.slot);
      if (e.type === 'ready') resolve();
      if (e.type === 'worker-exit' && ++earlyExits >= 2 * opts.workers) reject(new CoreStartError(`workers of the core keep exiting before it is ready (ports ${port}-${port + opts.workers})`, tail.join('\n'), true));
      for (const w of [...upWaiters]) w();
      opts.onEvent?.(e);
    });
    void launched.exit.then(() => reject(new CoreStartError('the core exited before it was ready', tail.join('\n'), false)));
  });
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([ready, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new CoreStartError(`the core did not become ready in ${timeoutMs} ms`, tail.join('\n'), false)), timeoutMs); })]);
  } catch (err) {
    if (!launched.exited) {
      if (child.connected) child.send({ type: 'shutdown' } satisfies ControlRequest, undefined, {}, () => undefined);
      const t = setTimeout(() => {
        for (const pid of pids.values()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        child.kill('SIGKILL');
      }, 10_000);
      await launched.exit;
      clearTimeout(t);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return launched;
}

async function waitGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (processAlive(pid)) {
    if (performance.now() > deadline) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
