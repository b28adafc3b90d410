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
import { Redis } from 'ioredis';
import SQLite from 'better-sqlite3';
import { decodeBusMessage, encodeBusMessage, roomChannel, roomOfChannel } from '../../../src/protocol/index.js';
import { exitWithParent } from '../children.js';
import type { RawSend } from './raw-group-commit.js';
import { makeCommit } from './commit-variants.js';
import type { ListeningReport } from './server-process.js';
import { CorkedReplies } from './corked-replies.js';

const Options = z.object({
  port: z.number().int().min(1).max(65535),
  store: z.enum(['raw', 'core', 'none']),
  db: z.string().optional(),
  redisUrl: z.string().optional(),
  /** Send acks coalesced per socket under one cork (CorkedReplies, as the core does) instead of one uncorked send each. */
  corkReplies: z.boolean().default(false),
});
type Options = z.infer<typeof Options>;

interface Session { user: string; closed: boolean }
type Socket = UWS.WebSocket<Session>;

/** A validated send, by the variant's own validation (the core's zod parser for `core`, type checks otherwise). */
function readSend(o: Options, data: ArrayBuffer): { type: string; id?: string; room?: string; body?: string; after?: number; limit?: number; error?: string } {
  if (o.store === 'core') {
    const p = parseFrame(data);
    return p.ok ? (p.frame as { type: string }) : { type: 'error', error: p.message };
  }
  try {
    const f = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    if (typeof f.type !== 'string' || typeof f.room !== 'string') return { type: 'error', error: 'bad frame' };
    if (f.type === 'send' && (typeof f.id !== 'string' || typeof f.body !== 'string')) return { type: 'error', error: 'bad send' };
    if (f.type === 'fetch' && (typeof f.after !== 'number' || typeof f.limit !== 'number')) return { type: 'error', error: 'bad fetch' };
    return f as { type: string };
  } catch {
    return { type: 'error', error: 'bad json' };
  }
}

async function main(): Promise<void> {
  const o = Options.parse(JSON.parse(process.argv[2] ?? '{}'));
  const uws = loadNativeUws();
  const commit = await makeCommit({ store: o.store, ...(o.db ? { db: o.db } : {}) });
  const app = uws.App();
  const origin = `c${o.port}`;
  const pub = o.redisUrl ? new Redis(o.redisUrl, { enableAutoPipelining: true }) : undefined;
  const sub = o.redisUrl ? new Redis(o.redisUrl) : undefined;
  const subscribed = new Set<string>();
  const corked = new CorkedReplies<Session>((ws) => ws.getUserData().closed);
  // Gap fill from the database, as a worker answers `fetch` (the load clients' catch-up after a drain).
  const reader = o.db ? new SQLite(o.db, { readonly: true }) : undefined;
  const readAfter = reader?.prepare<[string, number, number], { id: string; room: string; seq: number; sender: string; body: string; created_at: number }>(
    'SELECT id, room, seq, sender, body, created_at FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?');
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
      } else if (f.type === 'fetch') {
        const rows = readAfter?.all(f.room!, f.after!, f.limit!) ?? [];
        for (const r of rows) ws.send(JSON.stringify({ type: 'msg', id: r.id, room: r.room, seq: r.seq, sender: r.sender, body: r.body, ts: r.created_at }), false);
        ws.send(JSON.stringify({ type: 'fetched', room: f.room, after: f.after, count: rows.length, more: rows.length === f.limit }), false);
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
