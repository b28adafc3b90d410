import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openSqliteStore } from '../../../src/store/index.js';
import { findFreePort, startRedisServer } from '../../cluster/redis-server.js';
import type { ChildGroup } from '../children.js';
import { startServerProcess, type ServerProcess } from '../servers/server-process.js';
import type { SystemUnderLoad } from '../system-under-load.js';

const PEER_SERVER = fileURLToPath(new URL('./socketio-server.js', import.meta.url));

/** Options of `startPeer`. */
export interface PeerOptions {
  group: ChildGroup;
  /** Socket.IO server processes, each on its own port. @default 2 */
  processes?: number;
  /** Where the database and logs go. */
  dir: string;
  /** How a server waits for the other's SQLite write lock. @default 'busy-timeout' (what the core does) */
  lockWait?: 'busy-timeout' | 'async-retry';
  signal?: AbortSignal;
}

/**
 * Starts the peer: a redis-server of its own, the deliverylab schema in a fresh SQLite file, and
 * Socket.IO server processes with the Redis adapter sharing both.
 */
export async function startPeer(o: PeerOptions): Promise<SystemUnderLoad> {
  const lockWait = o.lockWait ?? 'busy-timeout';
  const n = o.processes ?? 2;
  const dbFile = join(o.dir, `peer-${lockWait}.sqlite`);
  const store = openSqliteStore(dbFile);
  try {
    await migrate(store.db, { dedup: true });
  } finally {
    await store.close();
  }
  const redis = await startRedisServer({ logFile: join(o.dir, 'redis-peer.log') });
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => o.group.stop(s.child)));
    await redis.stop().catch(() => undefined);
  };
  try {
    for (let k = 0; k < n; k++) {
      const port = await findFreePort();
      servers.push(await startServerProcess(o.group, PEER_SERVER, { port, db: dbFile, redisUrl: redis.url, lockWait }, `peer-${k}`, join(o.dir, `peer-${k}.log`), '', o.signal));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const processes = new Map<string, number>(servers.map((s, k) => [`peer-${k}`, s.pid]));
  processes.set('redis', redis.pid);
  return {
    name: lockWait === 'busy-timeout' ? 'peer' : 'peer-async-lock',
    description: `Socket.IO 4.8 + @socket.io/redis-adapter, ${n} processes (one port each) + redis-server; group commit on better-sqlite3 (FULL, same schema), lock wait ${lockWait}`,
    dialect: 'socketio',
    urls: servers.map((s) => s.url),
    dbFile,
    processes,
    stop,
  };
}
