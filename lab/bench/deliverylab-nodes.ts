import { join } from 'node:path';
import pg from 'pg';
import { createNodesNetwork, startNodes } from '../cluster/nodes.js';
import { createPostgresDatabase } from '../cluster/postgres.js';
import { startRedisCluster } from '../cluster/redis-cluster.js';
import type { SystemUnderLoad } from './system-under-load.js';

/** Options of `startDeliverylabNodes`. */
export interface DeliverylabNodesOptions {
  nodes: number;
  workersPerNode: number;
  /** Shards of the Redis Cluster (each with one replica). @default 3 */
  shards?: number;
  dir: string;
}

/** The bench's name of the scaled-out system. */
export const SCALE_OUT = 'deliverylab-nodes';

/**
 * The core scaled out as a deployment would be: `nodes` nodes of `workersPerNode` workers, each in a
 * network namespace of its own, on one PostgreSQL database (the machine's server, a database of the
 * bench's own) and a Redis Cluster with sharded pub/sub. Its processes, for the CPU the bench reports,
 * are every node's primary and workers, every Redis Cluster node, and the PostgreSQL backends serving
 * the bench's database (the server's own background processes are not counted).
 */
export async function startDeliverylabNodes(o: DeliverylabNodesOptions): Promise<SystemUnderLoad> {
  const network = await createNodesNetwork(o.nodes);
  const stops: (() => Promise<void>)[] = [() => network.close()];
  const stop = async () => { for (const s of stops.splice(0).reverse()) await s().catch(() => undefined); };
  try {
    const db = await createPostgresDatabase();
    stops.push(() => db.drop());
    const cluster = await startRedisCluster({ shards: o.shards ?? 3, replicas: 1, dir: o.dir, host: network.hostIp });
    stops.push(() => cluster.stop());
    const redisUrls = cluster.nodes.filter((n) => n.role === 'primary').map((n) => `redis://${cluster.bus.username}:${cluster.bus.password}@${network.hostIp}:${n.port}`);
    const nodes = await startNodes({
      network, dbUrl: db.url, redis: { mode: 'cluster', urls: redisUrls, ports: cluster.nodes.map((n) => n.port) }, outDir: o.dir,
      workers: o.workersPerNode, authSecretFile: join(o.dir, 'nodes-auth.key'),
      // As for one node: the load clients name themselves with ?user=, the bench measures the cost of messages.
      insecureDevUsers: true,
    });
    stops.push(() => nodes.stop());
    const slots = nodes.nodes.flatMap((n) => n.slots);
    const processes = new Map<string, number>();
    for (const n of nodes.nodes) {
      processes.set(`node${n.index}-primary`, n.core.primaryPid);
      for (const s of n.slots) processes.set(`node${n.index}-worker-${s}`, n.core.pid(s)!);
    }
    for (const [k, n] of cluster.nodes.entries()) processes.set(`redis-${n.role}-${k}`, n.server.pid);
    // Every worker's bus ready (a worker listens before its Redis Cluster client is).
    await waitUntil(async () => (await Promise.all(slots.map((s) => nodes.core.health(s)))).every((h) => h?.redis.publisher === 'ready'), 'every worker\'s bus to be ready');
    // The backends serving the bench's database (on this machine's server only: a remote server's pids are
    // not ours to read): every process of every node opens its pool at start (the primary to migrate, a worker
    // for its first heads), and pools grow under load, so the list is read again before each round.
    const local = ['127.0.0.1', 'localhost', '::1'].includes(new URL(db.url).hostname);
    const backends = async () => {
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      try {
        return (await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid);
      } finally {
        await admin.end();
      }
    };
    const refreshProcesses = async () => {
      if (!local) return;
      for (const k of [...processes.keys()]) if (k.startsWith('postgres-')) processes.delete(k);
      for (const pid of await backends()) processes.set(`postgres-${pid}`, pid);
    };
    if (local) await waitUntil(async () => (await backends()).length >= o.nodes * (1 + o.workersPerNode), 'a database connection from every process');
    await refreshProcesses();
    return {
      name: SCALE_OUT,
      description: `${o.nodes} nodes × ${o.workersPerNode} uWS workers, each node in a network namespace of its own, on PostgreSQL (synchronous_commit=on, one writer per node) and a Redis Cluster of ${o.shards ?? 3} shards × 1 replica with sharded pub/sub; its proxies to PostgreSQL run in the bench's process, which is counted with it`,
      dialect: 'wire',
      urls: slots.map((s) => nodes.core.slotUrl(s)),
      dbFile: db.url,
      processes,
      refreshProcesses,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls `cond` every 50 ms for up to 20 s. */
async function waitUntil(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await cond().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`the scaled-out system did not get ready: waited 20 s for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
