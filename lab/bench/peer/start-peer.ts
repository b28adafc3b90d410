import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openSqliteStore } from '../../../src/store/index.js';
import { findFreePort, startRedisServer } from '../../cluster/redis-server.js';
import type { ChildGroup } from '../children.js';
import { startServerProcess, type ServerProcess } from '../server-process.js';
import type { SystemUnderLoad } from '../system-under-load.js';

/** How the peer persists. */
type PeerStore = 'core' | 'none';

const STORE_TEXT: Record<PeerStore, string> = {
  core: "persisted through the core's own store and GroupCommit (FULL, same schema; each process commits on its own connection)",
  none: 'no persistence (a message counter per room in each process)',
};

const PEER_SERVER = fileURLToPath(new URL('./socketio-server.js', import.meta.url));

/** Options of `startPeer`. */
export interface PeerOptions {
  group: ChildGroup;
  /** Socket.IO server processes, each on its own port. @default 2 */
  processes?: number;
  /** Where the database and logs go. */
  dir: string;
  /** How the peer persists: `core` (the core's store and GroupCommit; each process writes for itself), `none` (no persistence). @default 'core' */
  store?: PeerStore;
  signal?: AbortSignal;
}

/**
 * Starts the peer: a redis-server of its own, the deliverylab schema in a fresh SQLite file, and
 * Socket.IO server processes with the Redis adapter sharing both.
 */
export async function startPeer(o: PeerOptions): Promise<SystemUnderLoad> {
  const store = o.store ?? 'core';
  const name = store === 'core' ? 'peer' : 'peer-nodb';
  const n = o.processes ?? 2;
  const dbFile = join(o.dir, `${name}.sqlite`);
  const schema = openSqliteStore(dbFile);
  try {
    await migrate(schema.db, { dedup: true });
  } finally {
    await schema.close();
  }
  const redis = await startRedisServer({ logFile: join(o.dir, `redis-${name}.log`) });
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => o.group.stop(s.child)));
    await redis.stop().catch(() => undefined);
  };
  try {
    for (let k = 0; k < n; k++) {
      const port = await findFreePort();
      servers.push(await startServerProcess(o.group, PEER_SERVER, { port, db: dbFile, redisUrl: redis.url, store }, `${name}-${k}`, join(o.dir, `${name}-${k}.log`), '', o.signal));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const processes = new Map<string, number>(servers.map((s, k) => [`peer-${k}`, s.pid]));
  processes.set('redis', redis.pid);
  return {
    name,
    description: `Socket.IO 4.8 + @socket.io/redis-adapter (ioredis), ${n} processes (one port each) + redis-server; ${STORE_TEXT[store]}`,
    dialect: 'socketio',
    urls: servers.map((s) => s.url),
    ...(store === 'none' ? {} : { dbFile }),
    processes,
    stop,
  };
}
