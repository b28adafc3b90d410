import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openSqliteStore } from '../../../src/store/index.js';
import { findFreePort, startRedisServer, type RedisServerHandle } from '../../cluster/redis-server.js';
import type { ChildGroup } from '../children.js';
import type { SystemUnderLoad } from '../system-under-load.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

const CEILING_SERVER = fileURLToPath(new URL('./ceiling-server.js', import.meta.url));

/** The single-process variants: `raw` (the group-commit ceiling), `core` (the core's parser and CommitBatcher), `none` (fan-out without persistence). */
export type CeilingStore = 'raw' | 'core' | 'none';

/** The name and one-line description of a ceiling variant, as the table shows them. */
function naming(store: CeilingStore, processes: number, cork: boolean): { name: string; description: string } {
  const acks = cork ? 'acks corked per socket' : 'each ack sent uncorked';
  if (processes > 1) {
    return { name: 'proto-cluster-nodb', description: `${processes} uWS processes (one port each) + redis-server, no persistence: seqs from memory + auto-pipelined PUBLISH (the Redis hop alone); ${acks}` };
  }
  if (store === 'core') return { name: 'core-path-1proc', description: `ONE uWS process, no Redis: the core's parseFrame (zod) → CommitBatcher (FULL) → ack → uWS topic fan-out; ${acks}` };
  if (store === 'none') return { name: cork ? 'fanout' : 'fanout-uncorked', description: `ONE uWS process, no persistence: JSON.parse → seq from memory → ack → uWS topic fan-out; ${acks}` };
  return { name: cork ? 'ceiling' : 'ceiling-uncorked', description: `ONE uWS process, no Redis: JSON.parse → group commit on prepared statements (FULL) → ack → uWS topic fan-out; ${acks}` };
}

/** Options of `startCeiling`. */
export interface CeilingOptions {
  group: ChildGroup;
  dir: string;
  store: CeilingStore;
  /** Server processes; more than one (store `none` only) makes a prototype cluster over a redis-server of its own. @default 1 */
  processes?: number;
  /** Coalesce acks per socket under one uWS cork. @default true */
  corkReplies?: boolean;
  signal?: AbortSignal;
}

/** Starts a ceiling server (or, with `processes` > 1, a prototype cluster of them) as bench children. */
export async function startCeiling(o: CeilingOptions): Promise<SystemUnderLoad> {
  const n = o.processes ?? 1;
  if (n > 1 && o.store !== 'none') throw new Error('a prototype cluster runs without persistence (the core itself is the cluster with a database)');
  const cork = o.corkReplies ?? true;
  const { name, description } = naming(o.store, n, cork);
  const dbFile = o.store === 'none' ? undefined : join(o.dir, `${name}.sqlite`);
  if (dbFile) {
    const store = openSqliteStore(dbFile);
    await migrate(store.db, { dedup: true }).finally(() => store.close());
  }
  let redis: RedisServerHandle | undefined;
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => o.group.stop(s.child)));
    await redis?.stop().catch(() => undefined);
  };
  try {
    if (n > 1) redis = await startRedisServer({ logFile: join(o.dir, `redis-${name}.log`) });
    for (let k = 0; k < n; k++) {
      const port = await findFreePort();
      const opts = { port, store: o.store, corkReplies: cork, ...(dbFile ? { db: dbFile } : {}), ...(redis ? { redisUrl: redis.url } : {}) };
      servers.push(await startServerProcess(o.group, CEILING_SERVER, opts, n === 1 ? name : `${name}-${k}`, join(o.dir, `${name}-${k}.log`), '/ws', o.signal));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const processes = new Map<string, number>(servers.map((s, k) => [n === 1 ? 'server' : `server-${k}`, s.pid]));
  if (redis) processes.set('redis', redis.pid);
  return { name, description, dialect: 'wire', urls: servers.map((s) => s.url), ...(dbFile ? { dbFile } : {}), processes, stop };
}
