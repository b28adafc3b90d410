/**
 * The uWS fan-out ceiling (a bench child): ONE uWS process speaking the wire protocol with nothing
 * behind the socket: no validation beyond JSON.parse, no database, no group commit, no dedup, no Redis.
 * A send is acked at once and published to its room's uWS topic. The only state is a message counter
 * per room, so that the load clients can tell the room's messages apart (it is not the core's seq: no
 * one persists or checks it).
 */
import type * as UWS from 'uWebSockets.js';
import { z } from 'zod';
import type { ServerFrame } from '../../../src/protocol/index.js';
import { loadNativeUws, msgFrame } from '../../../src/server/index.js';
import { exitWithParent } from '../children.js';
import type { ListeningReport } from '../server-process.js';

const Options = z.object({ port: z.number().int().min(1).max(65535) });

interface Session { user: string }

async function main(): Promise<void> {
  const o = Options.parse(JSON.parse(process.argv[2] ?? '{}'));
  const app = loadNativeUws().App();
  const counters = new Map<string, number>();
  const reply = (ws: UWS.WebSocket<Session>, f: ServerFrame) => void ws.send(JSON.stringify(f), false);
  app.ws<Session>('/ws', {
    maxPayloadLength: 256 * 1024,
    maxBackpressure: 8 * 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 60,
    upgrade: (res, req, context) => {
      const user = new URLSearchParams(req.getQuery() ?? '').get('user') ?? 'anon';
      res.upgrade<Session>({ user }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => reply(ws, { type: 'welcome', worker: 0, pid: process.pid, user: ws.getUserData().user }),
    // uWS corks every write made inside this handler: the ack and the topic publish go out together.
    message: (ws, data) => {
      const f = JSON.parse(Buffer.from(data).toString('utf8')) as { type: string; id: string; room: string; body: string; after: number };
      if (f.type === 'send') {
        const seq = (counters.get(f.room) ?? 0) + 1;
        counters.set(f.room, seq);
        reply(ws, { type: 'ack', id: f.id, room: f.room, seq, duplicate: false });
        app.publish(`room/${f.room}`, msgFrame({ id: f.id, room: f.room, seq, sender: ws.getUserData().user, body: f.body, created_at: Date.now() }), false);
      } else if (f.type === 'join') {
        ws.subscribe(`room/${f.room}`);
        reply(ws, { type: 'joined', room: f.room, head: 0 });
      } else if (f.type === 'fetch') {
        reply(ws, { type: 'fetched', room: f.room, after: f.after, count: 0, more: false }); // nothing is kept to fetch
      }
    },
  });
  await new Promise<void>((resolve, reject) => app.listen('127.0.0.1', o.port, (s) => (s ? resolve() : reject(new Error(`could not listen on 127.0.0.1:${o.port}`)))));
  exitWithParent();
  process.send?.({ type: 'listening', port: o.port, pid: process.pid } satisfies ListeningReport);
}

main().catch((e) => {
  process.stderr.write(`fan-out ceiling: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
