import {
  CLOSE_CODES, CLUSTER_QUERY_TIMEOUT_MS, CLUSTER_STATUS_INTERVAL_MS, MAX_BUFFERED_PER_CONNECTION, MAX_BUFFERED_PER_WORKER, MAX_FRAME_BYTES, PrimaryToWorker, serverFlags,
  type BusRejectReason, type ClusterTableReply, type ClusterWorker, type CommitResult, type HealthBody, type PendingSend, type ServerFrame, type WorkerStatusReport,
} from '../protocol/index.js';
import { GroupCommit, openStore, probe, type Writer } from '../store/index.js';
import { RedisBus, ShardedRedisBus, type Bus } from '../fanout/index.js';
import { Failpoints } from '../failpoints/index.js';
import { loadNativeUws } from './uws.js';
import { createMetrics } from './metrics.js';
import { ChatWorker, FRAME_RATE, newSession, type Session, type Socket } from './chat-worker.js';
import type * as UWS from 'uWebSockets.js';
import { mountAdminRoutes, mountHttpRoutes, writeHead, type ClusterProcesses } from './http-routes.js';
import { PrimaryWriter } from './primary-writer.js';
import { ConnectionGate } from './connection-gate.js';
import { SendBatcher } from './send-batcher.js';
import { traceCommits, Tracer } from './tracer.js';
import type { WorkerChannel } from './worker-channel.js';
import type { WorkerOptions } from './worker-options.js';
import { logger } from './logger.js';

/** Frames over this close the connection with 1009 (MAX_FRAME_BYTES < size ≤ this: a too_large error, the connection stays). */
const HARD_FRAME_BYTES = 4 * MAX_FRAME_BYTES;
/** uWS drops a connection whose frame is over this by itself (no close code): the memory one frame may take. */
const UWS_MAX_PAYLOAD = 16 * MAX_FRAME_BYTES;
/** How often the worker adds up its connections' send buffers. */
const BUFFER_CHECK_MS = 250;
/** How long a graceful stop waits for commits in flight. */
const STOP_DRAIN_MS = 2000;

/** A running worker. */
export interface RunningWorker {
  /** Drains the commits in flight, closes every connection and the store; resolves when done. */
  stop(why: string): Promise<void>;
}

/** Runs one worker: a uWS app on the shared port and on its slot port, reporting to its primary over `channel`. */
export async function runWorker(opts: WorkerOptions, channel: WorkerChannel, hooks: { onStopped?: () => void } = {}): Promise<RunningWorker> {
  const uws = loadNativeUws();
  const slot = opts.DL_SLOT;
  const origin = `w${slot}:${process.pid}`;
  const log = logger.child({ worker: slot, pid: process.pid });
  const metrics = createMetrics(slot);
  const store = openStore(opts.DL_DB, { synchronous: opts.DL_SYNCHRONOUS });
  let bus: Bus | undefined;
  const tracer = new Tracer(opts.DL_TRACE, slot, (traces) => channel.send({ type: 'trace', traces }));
  const failpoints = new Failpoints(`worker ${slot} (pid ${process.pid})`, {
    onChange: (name, armed) => log.info({ failpoint: name, armed }, 'failpoint'),
    onFire: (failpoint, detail) => {
      // A crash point kills the process next: what it traced this turn goes out first.
      tracer.flush();
      channel.send({ type: 'failpoint-fired', slot, pid: process.pid, failpoint, detail });
    },
  }, { silenceBus: (on) => bus?.silence(on) });
  /** The size of this worker's last transaction (its own writer), read by the batches it answers before the next one ends. */
  let txSends = 0;
  const onCommit = (size: number, ms: number) => {
    txSends = size;
    metrics.batchSize.observe(size);
    metrics.commitSeconds.observe(ms / 1000);
  };
  // Stage 2 of the send path: the primary (the one writer) over IPC, or this worker's own group commit.
  const primaryWriter = opts.DL_WRITER === 'primary' ? new PrimaryWriter({ send: (r) => channel.send(r) }) : undefined;
  const ownWriter = primaryWriter ? undefined : new GroupCommit(store, { dedup: serverFlags(opts.DL_SEMANTICS).dedup, conflicts: serverFlags(opts.DL_SEMANTICS).conflicts, onCommit });
  const writer: Writer = primaryWriter ?? ownWriter!;
  const batcher = new SendBatcher(primaryWriter ? timed(writer, onCommit)
    : tracer.on ? tracedCommits(writer, (sends, results) => traceCommits(tracer, sends, results, { writer: 'worker', batch: txSends, forWorker: slot })) : writer);
  const app = uws.App();
  let chat: ChatWorker | undefined;
  const onBus = {
    origin,
    onRejected: (reason: BusRejectReason) => metrics.busRejected.inc({ reason }),
    onMessage: (room: string, frame: string, from: string) => {
      metrics.busReceived.inc();
      chat?.fromBus(room, frame, from);
    },
    onResubscribed: () => void chat?.broadcastHeads().catch(() => undefined),
  };
  bus = opts.DL_SEMANTICS === 'local-only' || !opts.DL_REDIS_URL ? undefined
    : opts.DL_REDIS_CLUSTER ? new ShardedRedisBus({ urls: opts.DL_REDIS_URL.split(','), key: opts.DL_BUS_KEY, ...onBus })
    : new RedisBus({ url: opts.DL_REDIS_URL, key: opts.DL_BUS_KEY, ...onBus });
  chat = new ChatWorker({ app, store, batcher, bus, failpoints, metrics, tracer, options: opts });
  const worker = chat;
  const sockets = new Set<Socket>();
  const gate = new ConnectionGate({ secretFile: opts.DL_AUTH_SECRET_FILE, insecureDevUsers: opts.DL_INSECURE_DEV_USERS, allowOrigin: opts.DL_ALLOW_ORIGIN, port: opts.DL_PORT, workers: opts.DL_WORKERS, host: opts.DL_HOST });

  app.ws<Session>('/ws', {
    // Frames up to MAX_FRAME_BYTES are read; larger ones up to HARD_FRAME_BYTES get too_large; larger still
    // close the connection with 1009 and a reason; beyond uWS's own bound it drops the connection itself.
    maxPayloadLength: UWS_MAX_PAYLOAD,
    // A slow client is disconnected (and replays on reconnect) rather than silently skipped.
    // The worker closes a connection over MAX_BUFFERED_PER_CONNECTION itself, with a reason; uWS's own
    // limit (a close without one) is the backstop for a connection that outgrows it between two checks.
    maxBackpressure: 4 * MAX_BUFFERED_PER_CONNECTION,
    closeOnBackpressureLimit: 1,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      // Decided at once (no await): the token's signature and claims are checked synchronously.
      const d = gate.decide({ query: req.getQuery() ?? '', authorization: req.getHeader('authorization'), origin: req.getHeader('origin'), host: req.getHeader('host') });
      if (!d.ok) {
        metrics.refusedUpgrades.inc({ status: d.status.slice(0, 3) });
        writeHead(res, d.status, { 'content-type': 'text/plain; charset=utf-8' }).end(d.why);
        return;
      }
      const session = newSession(d.user, FRAME_RATE);
      res.upgrade(session, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      gate.opened(ws.getUserData().user);
      sockets.add(ws);
      metrics.connections.set(sockets.size);
      ws.send(JSON.stringify({ type: 'welcome', worker: slot, pid: process.pid, user: ws.getUserData().user, nonces: true } satisfies ServerFrame), false);
    },
    message: (ws, data, isBinary) => {
      if (data.byteLength > HARD_FRAME_BYTES) return void ws.end(CLOSE_CODES.tooBig, `frame of ${data.byteLength} bytes is over the hard limit of ${HARD_FRAME_BYTES}`);
      worker.onFrame(ws, data, isBinary);
    },
    close: (ws) => {
      gate.closed(ws.getUserData().user);
      sockets.delete(ws);
      metrics.connections.set(sockets.size);
      worker.onClose(ws);
    },
  });
  /** When this process started listening (its `upForMs` in the cluster's view). */
  let listeningAt: number | null = null;
  const statusReport = (): WorkerStatusReport => {
    const redis = bus?.status ?? { publisher: 'disabled', subscriber: 'disabled' };
    return { type: 'status', slot, pid: process.pid, connections: sockets.size, rooms: worker.localRooms.length, redis: { publisher: redis.publisher, subscriber: redis.subscriber }, failpoints: failpoints.armed };
  };
  /** `GET /cluster`: the primary's table of every slot, this worker's own entry fresh; its own status alone when the primary does not answer in time. */
  const clusterQueries = new Map<number, (reply: ClusterTableReply | null) => void>();
  let nextClusterQuery = 0;
  const askPrimary = () => new Promise<ClusterTableReply | null>((resolve) => {
    const req = nextClusterQuery++;
    const timer = setTimeout(() => settle(null), CLUSTER_QUERY_TIMEOUT_MS);
    const settle = (reply: ClusterTableReply | null) => {
      clearTimeout(timer);
      clusterQueries.delete(req);
      resolve(reply);
    };
    clusterQueries.set(req, settle);
    if (!channel.send({ type: 'cluster-query', req })) settle(null);
  });
  const cluster = async (): Promise<ClusterProcesses> => {
    const reply = await askPrimary();
    const r = statusReport();
    const own = (prior: ClusterWorker | undefined): ClusterWorker => ({
      slot, pid: process.pid, state: 'up', lastSeenMs: 0, upForMs: listeningAt === null ? null : Math.max(0, Math.round(performance.now() - listeningAt)),
      connections: r.connections, rooms: r.rooms, redis: r.redis, failpoints: r.failpoints, exits: prior?.exits ?? 0, lastExit: prior?.lastExit ?? null,
    });
    const workers = reply ? reply.workers.map((w) => (w.slot === slot ? own(w) : w)) : [own(undefined)];
    return { answeredBy: { worker: slot, pid: process.pid }, port: opts.DL_PORT, primary: { pid: reply?.primaryPid ?? null, answered: reply !== null }, semantics: opts.DL_SEMANTICS, writer: opts.DL_WRITER, workers };
  };
  const adminApp = uws.App();
  mountAdminRoutes(adminApp, {
    metrics,
    health: async (): Promise<HealthBody> => {
      let db = 'ok';
      try { await probe(store); } catch (e) { db = `error: ${String(e)}`; }
      const redis = bus?.status ?? { publisher: 'disabled', subscriber: 'disabled' };
      return { ok: db === 'ok', worker: slot, pid: process.pid, connections: sockets.size, semantics: opts.DL_SEMANTICS, writer: opts.DL_WRITER, db, redis, failpoints: failpoints.armed, rooms: worker.localRooms.length };
    },
  });
  mountHttpRoutes(app, {
    store,
    cluster,
    userOf: (query, authorization) => gate.userOf(query, authorization),
  });

  // Handlers first: a primary gone (or a failpoint armed) while the ports are still opening must not be missed.
  channel.onMessage((raw) => {
    const m = PrimaryToWorker.safeParse(raw);
    if (!m.success) return log.warn({ issue: m.error.issues[0]?.message }, 'ignored an invalid message from the primary');
    const c = m.data;
    switch (c.type) {
      case 'committed':
      case 'commit-failed': return primaryWriter?.onReply(c);
      case 'arm': return failpoints.arm(c.failpoint, c.params);
      case 'disarm': return failpoints.disarm(c.failpoint);
      case 'cluster-table': return clusterQueries.get(c.req)?.(c);
    }
  });

  let listenSockets: unknown[] = [];
  let headTimer: NodeJS.Timeout | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let bufferTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    stopping ??= (async () => {
      log.info({ why }, 'worker stopping');
      if (headTimer) clearInterval(headTimer);
      headTimer = undefined;
      if (statusTimer) clearInterval(statusTimer);
      statusTimer = undefined;
      if (bufferTimer) clearInterval(bufferTimer);
      bufferTimer = undefined;
      for (const s of listenSockets) uws.us_listen_socket_close(s as never);
      // Commits in flight finish and are acked before the sockets close (bounded: a stop must not hang).
      await Promise.race([batcher.idle(), new Promise((r) => setTimeout(r, STOP_DRAIN_MS))]);
      for (const ws of [...sockets]) ws.end(1001, 'worker stopping');
      await bus?.close();
      await ownWriter?.idle();
      await store.close();
      tracer.flush();
      hooks.onStopped?.();
    })();
    return stopping;
  };
  channel.onGone(() => {
    primaryWriter?.failAll('the primary (the writer) is gone');
    for (const settle of [...clusterQueries.values()]) settle(null);
    void stop('primary gone');
  });
  if (!channel.connected) {
    await stop('primary gone before start');
    return { stop };
  }
  const listens: [UWS.TemplatedApp, string, number][] = [[app, opts.DL_HOST, opts.DL_PORT], [app, opts.DL_HOST, opts.DL_SLOT_PORT], [adminApp, opts.DL_ADMIN_HOST, opts.DL_ADMIN_PORT]];
  const listening = await Promise.allSettled(listens.map(([a, host, port]) => new Promise<unknown>((resolve, reject) => {
    a.listen(host, port, (s) => (s ? resolve(s) : reject(new Error(`worker ${slot} could not listen on ${host}:${port} (port in use?)`))));
  })));
  listenSockets = listening.flatMap((l) => (l.status === 'fulfilled' ? [l.value] : []));
  const failed = listening.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) {
    for (const s of listenSockets) uws.us_listen_socket_close(s as never);
    throw failed.reason;
  }
  if (stopping) return { stop };
  bufferTimer = setInterval(() => shedBufferedBytes(sockets, MAX_BUFFERED_PER_CONNECTION, MAX_BUFFERED_PER_WORKER), BUFFER_CHECK_MS);
  // Every room its head once an interval, a part of the rooms a turn (the turns are counted on the clock: a late firing catches up).
  if (worker.flags.heads) headTimer = setInterval(() => void worker.broadcastHeadsTurn().catch((e) => log.warn({ err: String(e) }, 'head broadcast failed')), Math.max(1, Math.floor(opts.DL_HEAD_INTERVAL_MS / worker.headTurns)));
  channel.send({ type: 'listening', slot, pid: process.pid, port: opts.DL_PORT, slotPort: opts.DL_SLOT_PORT });
  listeningAt = performance.now();
  // The cluster's view of this worker is what it reports: a worker that stops (paused, wedged) goes stale there.
  channel.send(statusReport());
  statusTimer = setInterval(() => channel.send(statusReport()), CLUSTER_STATUS_INTERVAL_MS);
  log.info({ port: opts.DL_PORT, slotPort: opts.DL_SLOT_PORT, admin: `${opts.DL_ADMIN_HOST}:${opts.DL_ADMIN_PORT}`, semantics: opts.DL_SEMANTICS, writer: opts.DL_WRITER }, 'worker listening');
  return { stop };
}

/**
 * Bounds what connections have waiting in their send buffers: one over `perConnection` (a reader too
 * slow for what it asked) is closed with 1008; beyond `max` over all, the fullest are closed with 1013
 * (try again later) until the rest fit. Each replays on reconnect.
 */
function shedBufferedBytes(sockets: ReadonlySet<Socket>, perConnection: number, max: number): void {
  let total = 0;
  for (const ws of [...sockets]) {
    const bytes = ws.getBufferedAmount();
    if (bytes > perConnection) {
      ws.end(CLOSE_CODES.policy, `${bytes} bytes wait to be read on this connection (at most ${perConnection}): read faster, or ask for less`);
      continue;
    }
    total += bytes;
  }
  if (total <= max) return;
  const fullest = [...sockets].map((ws) => ({ ws, bytes: ws.getBufferedAmount() })).sort((a, b) => b.bytes - a.bytes);
  for (const { ws, bytes } of fullest) {
    if (total <= max) break;
    total -= bytes;
    ws.end(CLOSE_CODES.overloaded, `this worker's send buffers are full (${max} bytes); reconnect later`);
  }
}

/** A writer whose every answered batch is reported to `onResults` (in the first microtask after its transaction's `onCommit`). */
function tracedCommits(writer: Writer, onResults: (sends: readonly PendingSend[], results: CommitResult[]) => void): Writer {
  return {
    commit: async (sends) => {
      const r = await writer.commit(sends);
      onResults(sends, r);
      return r;
    },
  };
}

/** A writer whose every batch is reported to `onCommit` with its round trip (the worker's view of a remote writer). */
function timed(writer: Writer, onCommit: (size: number, ms: number) => void): Writer {
  return {
    commit: async (sends) => {
      const started = performance.now();
      const r = await writer.commit(sends);
      onCommit(sends.length, performance.now() - started);
      return r;
    },
  };
}
