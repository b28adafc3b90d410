/**
 * The single-process ceiling (a bench child): ONE uWS process, no Redis, no cluster, doing
 * send → group commit (SQLite, synchronous=FULL) → ack → local fan-out through uWS topics.
 * `store: raw` is the lean prototype (JSON.parse, type checks, RawGroupCommit on prepared
 * statements); `store: core` runs the core's own frame parser and CommitBatcher instead (the same
 * path as a worker, minus Redis and the cluster); `store: none` skips persistence (the uWS fan-out
 * ceiling: seqs from memory). With `redisUrl`, several of these processes form a prototype cluster:
 * each also publishes every committed msg frame on the room's Redis channel (auto-pipelined, the
 * core's bus encoding) and fans out what the others publish, like a worker does.
 */
import { z } from 'zod';
import type * as UWS from 'uWebSockets.js';
import { loadNativeUws } from '../../../src/server/uws.js';
import { parseFrame } from '../../../src/server/frame-parser.js';
import { CommitBatcher, migrate, openSqliteStore } from '../../../src/store/index.js';
import { Redis } from 'ioredis';
import { decodeBusMessage, encodeBusMessage, roomChannel, roomOfChannel } from '../../../src/protocol/index.js';
import { exitWithParent } from '../children.js';
import { RawGroupCommit, type RawOutcome, type RawSend } from './raw-group-commit.js';
import type { ListeningReport } from './server-process.js';
import { CorkedReplies } from './corked-replies.js';
import { RemoteCommit, serveRemoteCommit } from './remote-commit.js';

const Options = z.object({
  port: z.number().int().min(1).max(65535),
  store: z.enum(['raw', 'core', 'none']),
  db: z.string().optional(),
  redisUrl: z.string().optional(),
  lockWait: z.enum(['busy-timeout', 'async-retry']).default('busy-timeout'),
  /** Send acks coalesced per socket under one cork (CorkedReplies) instead of one uncorked send each, as the core does. */
  corkReplies: z.boolean().default(false),
  /** Single-writer shape: `serve` commits for others on this Unix socket too; `remote` commits through the process that serves it. */
  writer: z.object({ role: z.enum(['serve', 'remote']), path: z.string() }).optional(),
});
type Options = z.infer<typeof Options>;

interface Session { user: string; closed: boolean }
type Socket = UWS.WebSocket<Session>;

/** What the send path needs from a store variant. */
type Commit = (send: RawSend, cb: (o: RawOutcome) => void) => void;

async function makeCommit(o: Options): Promise<Commit> {
  if (o.store === 'none') {
    const heads = new Map<string, number>();
    return (s, cb) => {
      const seq = (heads.get(s.room) ?? 0) + 1;
      heads.set(s.room, seq);
      cb({ ok: true, seq, createdAt: Date.now(), duplicate: false });
    };
  }
  const store = openSqliteStore(o.db!, { synchronous: 'FULL' });
  await migrate(store.db, { dedup: true });
  if (o.store === 'core') {
    const batcher = new CommitBatcher(store);
    return (s, cb) => {
      batcher.submit(s).then(
        (r) => cb(r.kind === 'committed' ? { ok: true, seq: r.seq, createdAt: r.createdAt, duplicate: r.duplicate } : { ok: false, reason: 'conflict', detail: 'id conflict' }),
        (e) => cb({ ok: false, reason: 'error', detail: String(e) }),
      );
    };
  }
  await store.close();
  if (o.writer?.role === 'remote') {
    const remote = await RemoteCommit.connect(o.writer.path);
    return (s, cb) => remote.submit(s, cb);
  }
  const raw = new RawGroupCommit(o.db!, { synchronous: 'FULL', lockWait: o.lockWait });
  if (o.writer?.role === 'serve') await serveRemoteCommit(o.writer.path, raw);
  return (s, cb) => raw.submit(s, cb);
}

/** A validated send, by the variant's own validation (the core's zod parser for `core`, type checks otherwise). */
function readSend(o: Options, data: ArrayBuffer): { type: string; id?: string; room?: string; body?: string; error?: string } {
  if (o.store === 'core') {
    const p = parseFrame(data);
    return p.ok ? (p.frame as { type: string }) : { type: 'error', error: p.message };
  }
  try {
    const f = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    if (typeof f.type !== 'string' || typeof f.room !== 'string') return { type: 'error', error: 'bad frame' };
    if (f.type === 'send' && (typeof f.id !== 'string' || typeof f.body !== 'string')) return { type: 'error', error: 'bad send' };
    return f as { type: string };
  } catch {
    return { type: 'error', error: 'bad json' };
  }
}

async function main(): Promise<void> {
  const o = Options.parse(JSON.parse(process.argv[2] ?? '{}'));
  const uws = loadNativeUws();
  const commit = await makeCommit(o);
  const app = uws.App();
  const origin = `c${o.port}`;
  const pub = o.redisUrl ? new Redis(o.redisUrl, { enableAutoPipelining: true }) : undefined;
  const sub = o.redisUrl ? new Redis(o.redisUrl) : undefined;
  const subscribed = new Set<string>();
  const corked = new CorkedReplies<Session>((ws) => ws.getUserData().closed);
  sub?.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
    const room = roomOfChannel(channel.toString());
    const m = decodeBusMessage(payload.toString());
    if (room !== undefined && m && m.origin !== origin) app.publish(`room/${room}`, m.frame, false);
  });
  if (pub) await Promise.all([pub, sub!].map((r) => new Promise((resolve) => r.once('ready', resolve))));
  app.ws<Session>('/ws', {
    maxPayloadLength: 256 * 1024,
    maxBackpressure: 8 * 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const user = new URLSearchParams(req.getQuery() ?? '').get('user') ?? 'anon';
      res.upgrade<Session>({ user, closed: false }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws: Socket) => void ws.send(JSON.stringify({ type: 'welcome', worker: 0, pid: process.pid, user: ws.getUserData().user }), false),
    message: (ws: Socket, data) => {
      const f = readSend(o, data);
      const s = ws.getUserData();
      if (f.type === 'join') {
        ws.subscribe(`room/${f.room}`);
        if (sub && !subscribed.has(f.room!)) {
          subscribed.add(f.room!);
          void sub.subscribe(roomChannel(f.room!)).then(() => {
            if (!s.closed) ws.send(JSON.stringify({ type: 'joined', room: f.room, head: 0 }), false);
          });
        } else {
          ws.send(JSON.stringify({ type: 'joined', room: f.room, head: 0 }), false);
        }
      } else if (f.type === 'send') {
        const send: RawSend = { id: f.id!, room: f.room!, sender: s.user, body: f.body! };
        commit(send, (r) => {
          if (!r.ok) {
            if (!s.closed) ws.send(JSON.stringify({ type: 'error', code: r.reason === 'conflict' ? 'id_conflict' : 'unavailable', message: r.detail, ref: send.id }), false);
            return;
          }
          const ack = JSON.stringify({ type: 'ack', id: send.id, room: send.room, seq: r.seq, duplicate: r.duplicate });
          if (o.corkReplies) corked.send(ws, ack);
          else if (!s.closed) ws.send(ack, false);
          const msg = JSON.stringify({ type: 'msg', id: send.id, room: send.room, seq: r.seq, sender: send.sender, body: send.body, ts: r.createdAt });
          app.publish(`room/${send.room}`, msg, false);
          pub?.publish(roomChannel(send.room), encodeBusMessage({ type: 'msg', origin, frame: msg })).catch(() => undefined);
        });
      } else if (f.type === 'error') {
        ws.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: f.error }), false);
      }
    },
    close: (ws: Socket) => {
      ws.getUserData().closed = true;
    },
  });
  await new Promise<void>((resolve, reject) => app.listen('127.0.0.1', o.port, (s) => (s ? resolve() : reject(new Error(`could not listen on 127.0.0.1:${o.port}`)))));
  exitWithParent(() => {
    pub?.disconnect();
    sub?.disconnect();
  });
  process.send?.({ type: 'listening', port: o.port, pid: process.pid } satisfies ListeningReport);
}

main().catch((e) => {
  process.stderr.write(`ceiling server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
