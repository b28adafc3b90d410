/**
 * The core as one unit: its flags, validated, and how it starts: a primary that forks the workers
 * (or, with --in-process, one process that is its own worker), with the embedded redis-server when
 * no Redis URL is given. `main.ts` is the program that runs it.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreOptions, coreFlag, isBooleanCoreOption, redactRedisUrl, serverFlags, slotPort, adminPort, type ControlRequest, type CoreEvent, type WorkerToPrimary } from '../protocol/index.js';
import { generateBusKey, readBusKeyFile, startEmbeddedRedis, type EmbeddedRedis } from '../fanout/index.js';
import { dbSideDir, migrate, openStore, resolveDb } from '../store/index.js';
import { loadAuthKey } from '../protocol/node/auth-key.js';
import { startPrimary } from './primary.js';
import { runWorker, type RunningWorker } from './worker.js';
import { ClusterTable } from './cluster-table.js';
import type { WorkerChannel } from './worker-channel.js';

/** Thrown for a bad flag: the message names it; the program exits 2. */
export class CoreUsageError extends Error {
  override readonly name = 'CoreUsageError';
}

/** Parses and validates the program's flags (the names come from `CoreOptions`, one list for both sides). */
export function parseCoreArgv(argv: string[]): CoreOptions {
  const keys = Object.keys(CoreOptions.shape) as (keyof CoreOptions)[];
  const flagOf = new Map(keys.map((k) => [coreFlag(k).slice(2), k]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, strict: true, options: Object.fromEntries([...flagOf].map(([flag, k]) => [flag, { type: isBooleanCoreOption(k) ? 'boolean' : 'string' }])) }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new CoreUsageError(e instanceof Error ? e.message : String(e));
  }
  const raw = Object.fromEntries(Object.entries(values).map(([flag, v]) => [flagOf.get(flag)!, v]));
  const r = CoreOptions.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const key = i.path[0] as keyof CoreOptions | undefined;
    throw new CoreUsageError(`${key ? coreFlag(key) : 'options'}: ${i.message}`);
  }
  const o = r.data;
  if (o.redisCluster && !o.redis) throw new CoreUsageError(`${coreFlag('redisCluster')}: needs ${coreFlag('redis')} with the cluster's nodes (the embedded Redis is one server)`);
  if (o.inProcess && o.redisCluster) throw new CoreUsageError(`${coreFlag('redisCluster')}: ${coreFlag('inProcess')} runs without Redis`);
  if (o.inProcess && o.slotBase !== 0) throw new CoreUsageError(`${coreFlag('slotBase')}: ${coreFlag('inProcess')} is one process, worker 0`);
  return o;
}

/** A running core: one primary and its workers, or one in-process worker, and the redis-server it started. */
export interface RunningCore {
  /** The embedded redis-server, when the core started one. */
  readonly redis: EmbeddedRedis | undefined;
  /** Arms or disarms a failpoint on a worker. */
  control(req: Exclude<ControlRequest, { type: 'shutdown' }>): void;
  /** Stops every worker (their commits in flight drain first), then the embedded redis-server. */
  stop(): Promise<void>;
}

interface Running {
  control(req: Exclude<ControlRequest, { type: 'shutdown' }>): void;
  stop(): Promise<void>;
}

/** Starts the core with validated options; `emit` receives its events (`ready` once every worker listens). */
export async function startCore(o: CoreOptions, emit: (e: CoreEvent, core: { redis: EmbeddedRedis | undefined }) => void, onFatal: (why: string) => void = () => undefined): Promise<RunningCore> {
  const db = resolveDb(o.db);
  mkdirSync(dbSideDir(db), { recursive: true });
  const workers = o.inProcess ? 1 : (o.workers ?? availableParallelism());
  // The key the workers sign and check bus messages with: shared by the nodes on one Redis, or this node's own.
  const busKey = o.busKeyFile ? readBusKeyFile(o.busKeyFile) : generateBusKey();
  let redis: EmbeddedRedis | undefined;
  let redisUrls = o.redis ? o.redis.split(',') : [];
  if (!o.redis && !o.inProcess && serverFlags(o.semantics).redis) {
    redis = await startEmbeddedRedis();
    redisUrls = [redis.url];
  }
  const onEvent = (e: CoreEvent) => emit(e, { redis });
  // The no-fsync ablation: commits reach the operating system, never the disk, whatever --synchronous says.
  const synchronous = serverFlags(o.semantics).durable ? o.synchronous : 'OFF';
  let running: Running;
  try {
    running = o.inProcess
      ? await startInProcess({ ...o, synchronous }, db, redisUrls, busKey, onEvent)
      : await startPrimary({
          workers, port: o.port, host: o.host, adminHost: o.adminHost, slotBase: o.slotBase, db, redisUrls, redisCluster: o.redisCluster, busKey, semantics: o.semantics,
          headIntervalMs: o.headIntervalMs, synchronous, writer: o.writer, trace: o.trace, onEvent, onFatal, auth: authOf(o, db),
        });
  } catch (e) {
    await redis?.stop();
    throw e;
  }
  return {
    redis,
    control: (req) => running.control(req),
    stop: async () => {
      await running.stop();
      await redis?.stop();
    },
  };
}

/** One process, its own worker 0 and its own writer: the core's send path with no IPC and no cluster. */
async function startInProcess(o: CoreOptions, db: string, redisUrls: string[], busKey: string, emit: (e: CoreEvent) => void): Promise<Running> {
  const store = openStore(db, { synchronous: o.synchronous });
  try {
    await migrate(store.db, { dedup: serverFlags(o.semantics).dedup });
  } finally {
    await store.close();
  }
  const handlers: ((raw: unknown) => void)[] = [];
  // This process is its own primary: it keeps the cluster's table (one slot) and answers its own queries.
  const table = new ClusterTable(1);
  table.forked(0, process.pid);
  const channel: WorkerChannel = {
    send: (m: WorkerToPrimary) => {
      switch (m.type) {
        case 'status': table.report(m); return true;
        case 'cluster-query': {
          const reply = { type: 'cluster-table', req: m.req, primaryPid: process.pid, workers: table.view() } as const;
          queueMicrotask(() => { for (const h of handlers) h(reply); });
          return true;
        }
        case 'listening':
          table.listening(0, process.pid);
          emit({ type: 'worker-up', slot: 0, pid: process.pid, port: m.port, slotPort: m.slotPort });
          emit({ type: 'ready', port: o.port, workers: 1, redisUrl: redactRedisUrl(redisUrls.join(',')), dbFile: redactRedisUrl(db), pid: process.pid });
          return true;
        case 'failpoint-fired':
        case 'trace': emit(m); return true;
        case 'commit': return false; // this process is its own writer
      }
    },
    onMessage: (h) => void handlers.push(h),
    onGone: () => undefined,
    connected: true,
  };
  const worker: RunningWorker = await runWorker({
    DL_SLOT: 0, DL_WORKERS: 1, DL_PORT: o.port, DL_SLOT_PORT: slotPort(o.port, 0), DL_DB: db, DL_REDIS_URL: redisUrls[0] ?? '', DL_REDIS_CLUSTER: false, DL_BUS_KEY: busKey, DL_SEMANTICS: o.semantics,
    DL_HEAD_INTERVAL_MS: o.headIntervalMs, DL_SYNCHRONOUS: o.synchronous, DL_WRITER: 'worker', DL_HOST: o.host, DL_TRACE: o.trace,
    DL_ADMIN_PORT: adminPort(o.port, 1, 0), DL_ADMIN_HOST: o.adminHost,
    ...((a) => ({ DL_AUTH_SECRET_FILE: a.secretFile, DL_INSECURE_DEV_USERS: a.insecureDevUsers, DL_ALLOW_ORIGIN: a.allowOrigin }))(authOf(o, db)),
  }, channel);
  return {
    control: (req) => { for (const h of handlers) h(req); },
    stop: () => worker.stop('stop'),
  };
}

/**
 * How the core's connections say who they are: the token key's file (made here, once, before any
 * worker starts, when it does not exist yet), or `?user=` in the insecure teaching mode.
 */
function authOf(o: CoreOptions, db: string): { secretFile: string; insecureDevUsers: boolean; allowOrigin: string } {
  const secretFile = resolve(o.authSecretFile ?? join(dbSideDir(db), 'auth.key'));
  if (!o.insecureDevUsers) loadAuthKey(secretFile, true);
  return { secretFile, insecureDevUsers: o.insecureDevUsers, allowOrigin: o.allowOrigin ?? '' };
}
