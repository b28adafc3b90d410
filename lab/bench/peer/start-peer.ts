import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openSqliteStore } from '../../../src/store/index.js';
import { findFreePort } from '../../cluster/redis-server.js';
import type { ChildGroup } from '../children.js';
import { startServerProcess, type ServerProcess } from '../servers/server-process.js';

const PEER_SERVER = fileURLToPath(new URL('./socketio-server.js', import.meta.url));

/** The running peer: Socket.IO server processes sharing one Redis and one SQLite file. */
export interface Peer {
  readonly servers: ServerProcess[];
  readonly dbFile: string;
  /** Base URLs, one per process (clients alternate between them). */
  readonly urls: string[];
}

/** Creates the peer's database (the deliverylab schema) and forks `processes` Socket.IO servers, each on its own port. */
export async function startPeer(o: { group: ChildGroup; processes: number; redisUrl: string; dir: string; signal?: AbortSignal }): Promise<Peer> {
  const dbFile = join(o.dir, 'peer.sqlite');
  const store = openSqliteStore(dbFile);
  try {
    await migrate(store.db, { dedup: true });
  } finally {
    await store.close();
  }
  const servers: ServerProcess[] = [];
  for (let k = 0; k < o.processes; k++) {
    const port = await findFreePort();
    servers.push(await startServerProcess(o.group, PEER_SERVER, { port, db: dbFile, redisUrl: o.redisUrl }, `peer-${k}`, join(o.dir, `peer-${k}.log`), '', o.signal));
  }
  return { servers, dbFile, urls: servers.map((s) => s.url) };
}
