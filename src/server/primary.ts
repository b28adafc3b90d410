import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import {
  FAILPOINTS, redactRedisUrl, slotPort, adminPort, serverFlags, WorkerToPrimary,
  type CommitReply, type CommitRequest, type CommitResult, type ControlRequest, type CoreEvent, type PrimaryToWorker, type SemanticsName, type Synchronous, type WriterName,
} from '../protocol/index.js';
import { GroupCommit, migrate, openStore } from '../store/index.js';
import { logger } from './logger.js';
import { loadNativeUws } from './uws.js';
import { traceCommits, Tracer } from './tracer.js';
import { ClusterTable } from './cluster-table.js';

/** Options of the primary. */
export interface PrimaryOptions {
  /** Worker processes. */
  workers: number;
  /** The shared port every worker serves; worker k also serves `slotPort(port, k)`. */
  /** The slot of this node's first worker (`--slot-base`). @default 0 */
  slotBase?: number;
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where the admin ports (`adminPort`) bind. @default '127.0.0.1' */
  adminHost?: string;
  /** SQLite file (created and migrated if missing). */
  db: string;
  /** Redis URLs (or unix socket paths); worker k uses redisUrls[k % length] (the lab passes one fault proxy per worker). */
  redisUrls: string[];
  /** The redis URLs are the startup nodes of one Redis Cluster, every worker's. @default false */
  redisCluster?: boolean;
  /** The node's bus key (hex), handed to every worker in its environment. */
  busKey: string;
  /** @default 'effectively-once' */
  semantics?: SemanticsName;
  /** How often workers send database heads to their clients. @default 1000 */
  headIntervalMs?: number;
  /** SQLite synchronous setting. @default 'FULL' */
  synchronous?: Synchronous;
  /** Who runs the write transactions: this primary, for every worker, or each worker itself. @default 'primary' */
  writer?: WriterName;
  /** Emit trace events (the workers' and this primary's commits) as `trace` events. @default false */
  trace?: boolean;
  /** How connections say who they are (the token key's file, or `?user=` in the insecure teaching mode) and which browser origins may connect. */
  auth: { secretFile: string; insecureDevUsers: boolean; allowOrigin: string };
  /** Receives worker-up, worker-exit, ready, failpoint and trace events. */
  onEvent?: (e: CoreEvent) => void;
  /** Called once when the core cannot start: a worker slot died this many times in a row before it ever listened. */
  onFatal?: (why: string) => void;
}

/** A running primary. */
export interface Primary {
  /** Worker pids by slot (the current incarnation). */
  pids(): Map<number, number>;
  /** Applies a control request from the lab (arm, disarm; shutdown is the caller's `stop`). */
  control(req: Exclude<ControlRequest, { type: 'shutdown' }>): void;
  /** Stops every worker (SIGCONT, SIGTERM, then SIGKILL after a bound) and resolves when all exited. */
  stop(): Promise<void>;
}

const RESPAWN_DELAY_MAX_MS = 1000;
/** Quick deaths in a row of one slot, before the core was ever ready, after which it gives up starting. */
const START_FAILURES_MAX = 5;
const STOP_GRACE_MS = 5000;

/** Migrates the database, forks the workers and re-forks any that dies, in the same slot. */
export async function startPrimary(opts: PrimaryOptions): Promise<Primary> {
  loadNativeUws(); // fail here, once, rather than in a storm of re-forked workers
  const log = logger.child({ role: 'primary', pid: process.pid });
  const semantics = opts.semantics ?? 'effectively-once';
  const writer = opts.writer ?? 'primary';
  const dedup = serverFlags(semantics).dedup;
  const store = openStore(opts.db, { synchronous: opts.synchronous ?? 'FULL' });
  try {
    const applied = await migrate(store.db, { dedup });
    if (applied.length) log.info({ applied, db: redactRedisUrl(opts.db) }, 'migrated');
  } catch (e) {
    await store.close();
    throw e;
  }
  if (writer === 'worker') await store.close();
  const emit = (e: CoreEvent) => opts.onEvent?.(e);
  const tracer = new Tracer(opts.trace ?? false, null, (traces) => emit({ type: 'trace', traces }));
  /** The size of the transaction that just committed (read by the commits it answers, before the next one ends). */
  let txSends = 0;
  // The one writer (stage 2 of the send path): the batches of every worker go into one group commit here.
  const groupCommit = writer === 'primary' ? new GroupCommit(store, { dedup, conflicts: serverFlags(semantics).conflicts, ...(tracer.on ? { onCommit: (n: number) => { txSends = n; } } : {}) }) : undefined;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)) });
  const bySlot = new Map<number, Worker>();
  /** Every slot as the workers report it (`GET /cluster`, answered by any worker through this table). */
  const base = opts.slotBase ?? 0;
  const table = new ClusterTable(0);
  const upSince = new Map<number, number>();
  const failures = new Map<number, number>();
  /** Armed publish/redis failpoints per slot, re-sent to a re-forked worker (crash points fire once and are not). */
  const armed = new Map<number, Map<string, PrimaryToWorker>>();
  const send = (w: Worker, m: PrimaryToWorker) => { if (w.isConnected()) w.send(m, undefined, {}, () => undefined); };
  let stopping = false;
  let storeClosed = false;
  let announced = false;

  const fork = (slot: number) => {
    const w = cluster.fork({
      DL_SLOT: String(slot), DL_WORKERS: String(opts.workers), DL_PORT: String(opts.port), DL_SLOT_PORT: String(slotPort(opts.port, slot - base)), DL_DB: opts.db,
      DL_REDIS_URL: opts.redisCluster ? opts.redisUrls.join(',') : opts.redisUrls.length ? opts.redisUrls[(slot - base) % opts.redisUrls.length] : '', DL_REDIS_CLUSTER: String(opts.redisCluster ?? false), DL_BUS_KEY: opts.busKey, DL_SEMANTICS: semantics,
      DL_HEAD_INTERVAL_MS: String(opts.headIntervalMs ?? 1000), DL_SYNCHRONOUS: opts.synchronous ?? 'FULL', DL_HOST: opts.host ?? '127.0.0.1', DL_WRITER: writer,
      DL_ADMIN_PORT: String(adminPort(opts.port, opts.workers, slot - base)), DL_ADMIN_HOST: opts.adminHost ?? '127.0.0.1',
      DL_TRACE: String(tracer.on),
      DL_AUTH_SECRET_FILE: opts.auth.secretFile, DL_INSECURE_DEV_USERS: String(opts.auth.insecureDevUsers), DL_ALLOW_ORIGIN: opts.auth.allowOrigin,
    });
    bySlot.set(slot, w);
    const pid = w.process.pid!;
    table.forked(slot, pid);
    w.on('error', () => undefined); // an IPC write to a worker that just died
    w.on('message', (raw) => {
      const m = WorkerToPrimary.safeParse(raw);
      if (!m.success) return log.warn({ slot, issue: m.error.issues[0]?.message }, 'ignored an invalid message from a worker');
      switch (m.data.type) {
        case 'commit': return void commit(m.data, slot).then((reply) => send(w, reply)); // a worker that died meanwhile loses the answer: its sends are committed, unacked, and a retry gets duplicate: true
        case 'failpoint-fired': return emit(m.data);
        case 'trace': return emit(m.data);
        case 'status': return table.report(m.data);
        case 'cluster-query': return send(w, { type: 'cluster-table', req: m.data.req, primaryPid: process.pid, workers: table.view() });
        case 'listening': {
          upSince.set(slot, Date.now());
          table.listening(slot, pid);
          for (const req of armed.get(slot)?.values() ?? []) send(w, req);
          emit({ type: 'worker-up', slot, pid, port: m.data.port, slotPort: m.data.slotPort });
          if (!announced && [...bySlot.keys()].every((s) => upSince.has(s)) && bySlot.size === opts.workers) {
            announced = true;
            emit({ type: 'ready', port: opts.port, workers: opts.workers, redisUrl: redactRedisUrl(opts.redisUrls.join(',')), dbFile: redactRedisUrl(opts.db), pid: process.pid });
          }
        }
      }
    });
    w.on('exit', (code, signal) => {
      emit({ type: 'worker-exit', slot, pid, code, signal });
      table.exited(slot, pid, code, signal);
      if (bySlot.get(slot) === w) bySlot.delete(slot);
      if (stopping) return;
      // A worker that dies soon after it started is re-forked with a growing delay (no fork storm).
      // A worker that never listened counts as a quick death however long its start took.
      const up = upSince.get(slot);
      const quick = up === undefined || Date.now() - up < 1000;
      const n = quick ? (failures.get(slot) ?? 0) + 1 : 0;
      failures.set(slot, n);
      if (!announced && n >= START_FAILURES_MAX) {
        stopping = true;
        return opts.onFatal?.(`worker ${slot} exited ${n} times before it ever listened on ${opts.host ?? '127.0.0.1'}:${slotPort(opts.port, slot - base)} (port in use? see its output above)`);
      }
      upSince.delete(slot);
      log.warn({ slot, pid, code, signal }, 'worker exited; re-forking');
      setTimeout(() => { if (!stopping) fork(slot); }, Math.min(RESPAWN_DELAY_MAX_MS, n === 0 ? 0 : 25 * 2 ** n));
    });
  };
  for (let slot = base; slot < base + opts.workers; slot++) fork(slot);

  /** Answers a worker's commit request through the group commit. */
  const commit = async (r: CommitRequest, slot: number): Promise<CommitReply> => {
    if (!groupCommit) return { type: 'commit-failed', req: r.req, error: 'this primary is not the writer (--writer worker)' };
    let results: CommitResult[];
    try {
      results = await groupCommit.commit(r.sends);
    } catch (e) {
      return { type: 'commit-failed', req: r.req, error: e instanceof Error ? e.message : String(e) };
    }
    // The first microtask after the transaction's onCommit: txSends is still its size. Outside the try: the batch is committed.
    if (tracer.on) {
      try { traceCommits(tracer, r.sends, results, { writer: 'primary', batch: txSends, forWorker: slot }); } catch { /* tracing never fails a commit */ }
    }
    return { type: 'committed', req: r.req, results };
  };

  const primary: Primary = {
    pids: () => new Map([...bySlot].map(([slot, w]) => [slot, w.process.pid!])),
    control: (req) => {
      const table = armed.get(req.slot) ?? new Map<string, PrimaryToWorker>();
      armed.set(req.slot, table);
      if (req.type === 'arm' && FAILPOINTS[req.failpoint].kind !== 'crash') table.set(req.failpoint, req);
      if (req.type === 'disarm') {
        if (req.failpoint) table.delete(req.failpoint);
        else table.clear();
      }
      const w = bySlot.get(req.slot);
      if (w) send(w, req); // a worker dying meanwhile is not an error
    },
    stop: async () => {
      stopping = true;
      const live = [...bySlot.values()].filter((w) => !w.isDead());
      await Promise.all(live.map(async (w) => {
        const pid = w.process.pid!;
        const exited = once(w, 'exit');
        try {
          process.kill(pid, 'SIGCONT'); // a paused worker cannot act on SIGTERM
          process.kill(pid, 'SIGTERM');
        } catch { return; }
        const t = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, STOP_GRACE_MS);
        await exited;
        clearTimeout(t);
      }));
      if (groupCommit && !storeClosed) {
        storeClosed = true;
        await groupCommit.idle();
        await store.close();
      }
      tracer.flush();
    },
  };
  return primary;
}
