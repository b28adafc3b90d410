import { ControlRequest, MAX_FRAME_BYTES, serverFlags, type ServerFrame, type WorkerReport } from '../protocol/index.js';
import { CommitBatcher, openSqliteStore, RemoteCommitter, type Committer } from '../store/index.js';
import { RedisBus } from '../fanout/index.js';
import { Failpoints } from '../failpoints/index.js';
import { loadNativeUws } from './uws.js';
import { createMetrics } from './metrics.js';
import { ChatWorker, type Session } from './chat-worker.js';
import { mountHttpRoutes } from './http-routes.js';
import { RateLimiter } from './rate-limiter.js';
import { WorkerOptions } from './worker-options.js';
import { logger } from './logger.js';

/** Frames per second a connection may send on average, and its burst. */
const RATE_PER_SEC = 5000;
const RATE_BURST = 10_000;
/** How long a graceful stop waits for commits in flight. */
const STOP_DRAIN_MS = 2000;

function report(msg: WorkerReport): void {
  process.send?.(msg);
}

/** Runs one cluster worker: a uWS app on the shared port and on its slot port. */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const opts = WorkerOptions.parse(env);
  const uws = loadNativeUws();
  const slot = opts.DL_SLOT;
  const origin = `w${slot}:${process.pid}`;
  const log = logger.child({ worker: slot, pid: process.pid });
  const metrics = createMetrics(slot);
  const store = openSqliteStore(opts.DL_DB, { synchronous: opts.DL_SYNCHRONOUS });
  const failpoints = new Failpoints(`worker ${slot} (pid ${process.pid})`, {
    onChange: (name, armed) => log.info({ failpoint: name, armed }, 'failpoint'),
    onFire: (failpoint, detail) => report({ type: 'failpoint-fired', slot, pid: process.pid, failpoint, detail }),
  });
  const onBatch = (size: number, ms: number) => {
    metrics.batchSize.observe(size);
    metrics.commitSeconds.observe(ms / 1000);
  };
  const remote = opts.DL_WRITER === 'primary'
    ? new RemoteCommitter({ send: (r) => process.connected && (process.send?.(r, undefined, {}, () => undefined), true), onBatch })
    : undefined;
  const dedup = serverFlags(opts.DL_SEMANTICS).dedup;
  const committer: Committer = remote ?? new CommitBatcher(store, { dedup, onBatch });
  const app = uws.App();
  let chat: ChatWorker | undefined;
  const bus = opts.DL_SEMANTICS !== 'local-only' && opts.DL_REDIS_URL
    ? new RedisBus({
        url: opts.DL_REDIS_URL,
        origin,
        onMessage: (room, frame) => {
          metrics.busReceived.inc();
          chat?.fanOut(room, frame);
        },
        onResubscribed: () => void chat?.broadcastHeads().catch(() => undefined),
      })
    : undefined;
  chat = new ChatWorker({ app, store, committer, bus, failpoints, metrics, options: opts });
  const worker = chat;
  const sockets = new Set<import('./chat-worker.js').Socket>();

  app.ws<Session>('/ws', {
    maxPayloadLength: 4 * MAX_FRAME_BYTES,
    // A slow client is disconnected (and replays on reconnect) rather than silently skipped.
    maxBackpressure: 8 * 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const user = new URLSearchParams(req.getQuery() ?? '').get('user') ?? `anon-${Math.random().toString(36).slice(2, 8)}`;
      const session: Session = { user: user.slice(0, 64), rooms: new Set(), closed: false, limiter: new RateLimiter(RATE_PER_SEC, RATE_BURST) };
      res.upgrade(session, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      sockets.add(ws);
      metrics.connections.set(sockets.size);
      ws.send(JSON.stringify({ type: 'welcome', worker: slot, pid: process.pid, user: ws.getUserData().user } satisfies ServerFrame), false);
    },
    message: (ws, data, isBinary) => {
      if (isBinary) {
        ws.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: 'frames are JSON text, not binary' } satisfies ServerFrame), false);
        return;
      }
      worker.onFrame(ws, data);
    },
    close: (ws) => {
      sockets.delete(ws);
      metrics.connections.set(sockets.size);
      worker.onClose(ws);
    },
  });
  mountHttpRoutes(app, {
    store,
    metrics,
    health: async () => {
      let db = 'ok';
      try { await store.db.selectFrom('rooms').select('name').limit(1).execute(); } catch (e) { db = `error: ${String(e)}`; }
      const redis = bus?.status ?? { publisher: 'disabled', subscriber: 'disabled' };
      return { ok: db === 'ok', worker: slot, pid: process.pid, connections: sockets.size, semantics: opts.DL_SEMANTICS, db, redis, failpoints: failpoints.armed, rooms: worker.localRooms.length };
    },
  });

  // Handlers first: a primary gone (or a failpoint armed) while the ports are still opening must not be missed.
  process.on('message', (raw) => {
    if (remote?.onMessage(raw)) return;
    const m = ControlRequest.safeParse(raw);
    if (!m.success) return log.warn({ raw }, 'ignored an invalid control message');
    const c = m.data;
    if (c.type === 'arm') {
      if (c.failpoint === 'redis.unsubscribe') bus?.silence(true);
      failpoints.arm(c.failpoint, c.params);
    } else if (c.type === 'disarm') {
      if (!c.failpoint || c.failpoint === 'redis.unsubscribe') bus?.silence(false);
      failpoints.disarm(c.failpoint);
    }
  });

  let listenSockets: unknown[] = [];
  let headTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'worker stopping');
    if (headTimer) clearInterval(headTimer);
    headTimer = undefined;
    for (const s of listenSockets) uws.us_listen_socket_close(s as never);
    // Commits in flight finish and are acked before the sockets close (bounded: a stop must not hang).
    await Promise.race([worker.batcher.idle(), new Promise((r) => setTimeout(r, STOP_DRAIN_MS))]);
    for (const ws of [...sockets]) ws.end(1001, 'worker stopping');
    await bus?.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => undefined); // the primary decides; Ctrl-C reaches the whole group
  process.on('disconnect', () => {
    remote?.failAll('the primary (the writer) is gone');
    void stop('primary gone');
  });
  if (!process.connected && process.send) return void stop('primary gone before start');
  listenSockets = await Promise.all([opts.DL_PORT, opts.DL_SLOT_PORT].map((port) => new Promise<unknown>((resolve, reject) => {
    app.listen(opts.DL_HOST, port, (s) => (s ? resolve(s) : reject(new Error(`worker ${slot} could not listen on ${opts.DL_HOST}:${port} (port in use?)`))));
  })));
  if (stopping) return;
  if (worker.flags.heads) headTimer = setInterval(() => void worker.broadcastHeads().catch((e) => log.warn({ err: String(e) }, 'head broadcast failed')), opts.DL_HEAD_INTERVAL_MS);
  report({ type: 'listening', slot, pid: process.pid, port: opts.DL_PORT, slotPort: opts.DL_SLOT_PORT });
  log.info({ port: opts.DL_PORT, slotPort: opts.DL_SLOT_PORT, semantics: opts.DL_SEMANTICS }, 'worker listening');
}
