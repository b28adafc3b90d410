/**
 * The peer a user would otherwise pick (a bench child): Socket.IO 4 with @socket.io/redis-adapter,
 * websocket transport only, one process per port. It validates a send with the same zod schema,
 * persists it — by default (`core`) through the core's own store and GroupCommit (one transaction in
 * flight, the sends arriving meanwhile merged into the next; synchronous=FULL; each process writes for
 * itself and waits for SQLite's lock like a worker with `--writer worker`), or not at all (`none`: a
 * message counter per room in this process) — then acks through a Socket.IO acknowledgement and
 * broadcasts with `io.to(room).emit`.
 */
import { createServer } from 'node:http';
import { z } from 'zod';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { RoomName, SendFrame, type CommitResult, type PendingSend } from '../../../src/protocol/index.js';
import { GroupCommit, openSqliteStore } from '../../../src/store/index.js';
import { exitWithParent } from '../children.js';
import type { ListeningReport } from '../server-process.js';

const Options = z.object({
  port: z.number().int().min(1).max(65535),
  db: z.string(),
  redisUrl: z.string(),
  store: z.enum(['core', 'none']).default('core'),
});
const JoinArgs = z.object({ room: RoomName });
const SendArgs = SendFrame.omit({ type: true });

type Ack = (answer: object) => void;

/** How a send is persisted: the core's GroupCommit on its store, or (`none`) a count per room in memory. */
function committer(o: z.infer<typeof Options>): (send: PendingSend) => Promise<CommitResult> {
  if (o.store === 'core') {
    const group = new GroupCommit(openSqliteStore(o.db, { synchronous: 'FULL' }), { dedup: true });
    return async (send) => (await group.commit([send]))[0]!;
  }
  const counters = new Map<string, number>();
  return (send) => {
    const seq = (counters.get(send.room) ?? 0) + 1;
    counters.set(send.room, seq);
    return Promise.resolve({ kind: 'committed', seq, createdAt: Date.now(), duplicate: false });
  };
}

async function main(): Promise<void> {
  const o = Options.parse(JSON.parse(process.argv[2] ?? '{}'));
  const commit = committer(o);
  const pub = new Redis(o.redisUrl);
  const sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, adapter: createAdapter(pub, sub) });
  io.on('connection', (socket) => {
    const user = String(socket.handshake.query['user'] ?? 'anon');
    socket.on('join', (raw: unknown, ack: Ack) => {
      const f = JoinArgs.safeParse(raw);
      if (!f.success) return ack({ error: 'bad join' });
      void socket.join(f.data.room);
      ack({ room: f.data.room, head: 0 });
    });
    socket.on('send', (raw: unknown, ack: Ack) => {
      const f = SendArgs.safeParse(raw);
      if (!f.success) return ack({ error: 'bad send' });
      const { id, room, body } = f.data;
      commit({ id, room, sender: user, body }).then((r) => {
        if (r.kind === 'conflict') return ack({ error: `id ${id} is already room ${r.existing.room} seq ${r.existing.seq}`, id });
        ack({ id, room, seq: r.seq, duplicate: r.duplicate });
        io.to(room).emit('msg', { id, room, seq: r.seq, sender: user, body, ts: r.createdAt });
      }, (e: unknown) => ack({ error: String(e), id }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, '127.0.0.1', resolve);
  });
  exitWithParent(() => {
    pub.disconnect();
    sub.disconnect();
  });
  process.send?.({ type: 'listening', port: o.port, pid: process.pid } satisfies ListeningReport);
}

main().catch((e) => {
  process.stderr.write(`socket.io peer: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
