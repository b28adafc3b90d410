import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { ControlRequest, FAILPOINTS, WorkerReport, type ControlEvent, type SemanticsName, type WriterName, serverFlags } from '../protocol/index.js';
import { answerCommitRequest, CommitBatcher, CommitRequest, migrate, openSqliteStore } from '../store/index.js';
import { logger } from './logger.js';
import { loadNativeUws } from './uws.js';

/** Options of the primary. */
export interface PrimaryOptions {
  /** Worker processes. */
  workers: number;
  /** The shared port every worker serves; worker k also serves port + 1 + k. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** SQLite file (created and migrated if missing). */
  db: string;
  /** Redis URLs; worker k uses redisUrls[k % length] (the lab passes one fault proxy per worker). */
  redisUrls: string[];
  /** @default 'effectively-once' */
  semantics?: SemanticsName;
  /** How often workers send database heads to their clients. @default 1000 */
  headIntervalMs?: number;
  /** SQLite synchronous setting. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** Who runs the write transactions: this primary, for every worker, or each worker itself. @default 'primary' */
  writer?: WriterName;
  /** Receives worker-up, worker-exit, ready and failpoint events. */
  onEvent?: (e: ControlEvent) => void;
}

/** A running primary. */
export interface Primary {
  /** Worker pids by slot (the current incarnation). */
  pids(): Map<number, number>;
  /** Applies a control request (arm, disarm, shutdown). */
  control(req: ControlRequest): void;
  /** Stops every worker (SIGCONT, SIGTERM, then SIGKILL after a bound) and resolves when all exited. */
  stop(): Promise<void>;
}

/** Worker k's own port. */
export function slotPort(port: number, slot: number): number {
  return port + 1 + slot;
}

const RESPAWN_DELAY_MAX_MS = 1000;
const STOP_GRACE_MS = 5000;

/** Migrates the database, forks the workers and re-forks any that dies, in the same slot. */
export async function startPrimary(opts: PrimaryOptions): Promise<Primary> {
  loadNativeUws(); // fail here, once, rather than in a storm of re-forked workers
  const log = logger.child({ role: 'primary', pid: process.pid });
  const semantics = opts.semantics ?? 'effectively-once';
  const writer = opts.writer ?? 'primary';
  const dedup = serverFlags(semantics).dedup;
  const store = openSqliteStore(opts.db, { synchronous: opts.synchronous ?? 'FULL' });
  try {
    const applied = await migrate(store.db, { dedup });
    if (applied.length) log.info({ applied, db: opts.db }, 'migrated');
  } catch (e) {
    await store.close();
    throw e;
  }
  if (writer === 'worker') await store.close();
  // The one writer: every worker's sends of a turn go into one group commit here.
  const batcher = writer === 'primary' ? new CommitBatcher(store, { dedup }) : undefined;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)) });
  const bySlot = new Map<number, Worker>();
  const upSince = new Map<number, number>();
  const failures = new Map<number, number>();
  /** Armed publish/redis failpoints per slot, re-sent to a re-forked worker (crash points fire once and are not). */
  const armed = new Map<number, Map<string, ControlRequest>>();
  const send = (w: Worker, req: ControlRequest) => { if (w.isConnected()) w.send(req, undefined, {}, () => undefined); };
  let stopping = false;
  let storeClosed = false;
  let announced = false;
  const emit = (e: ControlEvent) => opts.onEvent?.(e);

  const fork = (slot: number) => {
    const w = cluster.fork({
      DL_SLOT: String(slot), DL_PORT: String(opts.port), DL_SLOT_PORT: String(slotPort(opts.port, slot)), DL_DB: opts.db,
      DL_REDIS_URL: opts.redisUrls.length ? opts.redisUrls[slot % opts.redisUrls.length] : '', DL_SEMANTICS: semantics,
      DL_HEAD_INTERVAL_MS: String(opts.headIntervalMs ?? 1000), DL_SYNCHRONOUS: opts.synchronous ?? 'FULL', DL_HOST: opts.host ?? '127.0.0.1', DL_WRITER: writer,
    });
    bySlot.set(slot, w);
    const forkedAt = Date.now();
    const pid = w.process.pid!;
    w.on('error', () => undefined); // an IPC write to a worker that just died
    w.on('message', (raw) => {
      if (batcher && (raw as { type?: unknown } | null)?.type === 'commit') {
        const r = CommitRequest.safeParse(raw);
        if (!r.success) return log.warn({ slot, issue: r.error.issues[0]?.message }, 'ignored an invalid commit request');
        // A worker that died meanwhile loses the answer: its sends are committed, unacked, and a retry gets duplicate: true.
        return void answerCommitRequest(batcher, r.data).then((reply) => { if (w.isConnected()) w.send(reply, undefined, {}, () => undefined); });
      }
      const m = WorkerReport.safeParse(raw);
      if (!m.success) return;
      if (m.data.type === 'listening') {
        upSince.set(slot, Date.now());
        for (const req of armed.get(slot)?.values() ?? []) send(w, req);
        emit({ type: 'worker-up', slot, pid, port: m.data.port, slotPort: m.data.slotPort });
        if (!announced && [...bySlot.keys()].every((s) => upSince.has(s)) && bySlot.size === opts.workers) {
          announced = true;
          emit({ type: 'ready', port: opts.port, workers: opts.workers, redisUrl: opts.redisUrls.join(','), dbFile: opts.db, pid: process.pid });
        }
      } else emit(m.data);
    });
    w.on('exit', (code, signal) => {
      emit({ type: 'worker-exit', slot, pid, code, signal });
      if (bySlot.get(slot) === w) bySlot.delete(slot);
      if (stopping) return;
      // A worker that dies soon after it started is re-forked with a growing delay (no fork storm).
      const quick = Date.now() - (upSince.get(slot) ?? forkedAt) < 1000;
      const n = quick ? (failures.get(slot) ?? 0) + 1 : 0;
      failures.set(slot, n);
      upSince.delete(slot);
      log.warn({ slot, pid, code, signal }, 'worker exited; re-forking');
      setTimeout(() => { if (!stopping) fork(slot); }, Math.min(RESPAWN_DELAY_MAX_MS, n === 0 ? 0 : 25 * 2 ** n));
    });
  };
  for (let slot = 0; slot < opts.workers; slot++) fork(slot);

  const primary: Primary = {
    pids: () => new Map([...bySlot].map(([slot, w]) => [slot, w.process.pid!])),
    control: (req) => {
      if (req.type === 'shutdown') return void primary.stop();
      const table = armed.get(req.slot) ?? new Map<string, ControlRequest>();
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
      if (batcher && !storeClosed) {
        storeClosed = true;
        await batcher.idle();
        await store.close();
      }
    },
  };
  return primary;
}
