/**
 * Several nodes on one machine: each node (a primary and its workers) in a network namespace of its
 * own, on the lab network's bridge, reaching PostgreSQL through a proxy of its own and the bus either
 * through a proxy per worker to the one redis-server or directly to a Redis Cluster listening on the
 * host's address (so a fault can cut one node's links with nftables and leave the others'). The nodes share the bus key and the token key,
 * and number their workers apart (node n: slots n·W … n·W + W − 1), so one `Core` routes a slot to its node.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LabNode } from '../nemesis/fault.js';
import { startCore, type Core, type CoreOptions } from './core-process.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { createLabNetwork, networkUnavailable, type LabNetwork } from './lab-network.js';

/** The run needs network namespaces and this machine cannot make them (the reason says why). */
export class NodesUnavailableError extends Error {
  override readonly name = 'NodesUnavailableError';
}

/** Options of `startNodes`: the core's options, except what differs per node. */
export interface NodesOptions extends Omit<CoreOptions, 'slotBase' | 'netns' | 'redisUrls' | 'redisCluster' | 'db' | 'busKeyFile' | 'logFile' | 'env'> {
  /** The network made by `createNodesNetwork`, one namespace per node. */
  network: LabNetwork;
  /** The database every node commits to (a postgres:// URL on 127.0.0.1). */
  dbUrl: string;
  /**
   * The bus: one redis-server's port on 127.0.0.1 (reached through a proxy per worker), or a Redis
   * Cluster listening on the network's host address (reached directly); undefined without Redis.
   */
  redis: { mode: 'single'; port: number } | { mode: 'cluster'; urls: readonly string[]; ports: readonly number[] } | undefined;
  /** Where the nodes' logs and the shared bus key go. */
  outDir: string;
}

/** What `startNodes` started. */
export interface Nodes {
  readonly nodes: readonly LabNode[];
  readonly network: LabNetwork;
  /** Every node's worker proxies to Redis, in slot order (what a per-worker Redis fault acts on). */
  readonly redisProxies: readonly FaultProxy[];
  /** One core over every node: a worker's slot goes to its node; node-wide operations are the nodes' own. */
  readonly core: Core;
  /** Stops every node, the proxies and the network; never throws. */
  stop(): Promise<void>;
}

/** The network of `nodes` namespaces, or NodesUnavailableError saying why this machine cannot make it. */
export async function createNodesNetwork(nodes: number): Promise<LabNetwork> {
  const why = await networkUnavailable();
  if (why !== undefined) throw new NodesUnavailableError(`a run of ${nodes} nodes needs network namespaces: ${why}`);
  return createLabNetwork(nodes);
}

/** Starts every node on the network; on failure, whatever was started is stopped (the network stays the caller's to close). */
export async function startNodes(o: NodesOptions): Promise<Nodes> {
  const network = o.network;
  const proxies: FaultProxy[] = [];
  const cores: Core[] = [];
  const stop = async () => {
    await Promise.allSettled(cores.map((c) => c.stop()));
    await Promise.allSettled(proxies.map((p) => p.close()));
  };
  try {
    const busKeyFile = join(o.outDir, 'bus.key');
    // The key every node signs and checks bus messages with (`BusKey`: 32 random bytes in hex), readable by the owner alone.
    writeFileSync(busKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const db = new URL(o.dbUrl);
    const nodes: LabNode[] = [];
    const redisProxies: FaultProxy[] = [];
    for (const [n, place] of network.nodes.entries()) {
      const dbProxy = await startFaultProxy({ upstreamPort: Number(db.port || 5432), upstreamHost: db.hostname, listenHost: network.hostIp, scheme: 'ws' });
      proxies.push(dbProxy);
      const nodeRedis: FaultProxy[] = [];
      if (o.redis?.mode === 'single') {
        for (let k = 0; k < o.workers; k++) nodeRedis.push(await startFaultProxy({ upstreamPort: o.redis.port, listenHost: network.hostIp }));
      }
      proxies.push(...nodeRedis);
      redisProxies.push(...nodeRedis);
      const nodeDb = new URL(o.dbUrl);
      nodeDb.hostname = network.hostIp;
      nodeDb.port = String(dbProxy.port);
      const core = await startCore({
        ...o, slotBase: n * o.workers, netns: { name: place.ns, host: place.ip }, db: nodeDb.toString(),
        ...(o.redis?.mode === 'cluster' ? { redisUrls: [...o.redis.urls], redisCluster: true } : { redisUrls: nodeRedis.map((p) => p.url) }),
        busKeyFile, logFile: join(o.outDir, `core-node${n}.log`),
      });
      cores.push(core);
      nodes.push({ index: n, core, ns: place.ns, ip: place.ip, slots: Array.from({ length: o.workers }, (_, k) => n * o.workers + k), redisPorts: o.redis?.mode === 'cluster' ? [...o.redis.ports] : nodeRedis.map((p) => p.port), dbPort: dbProxy.port });
    }
    return { nodes, network, redisProxies, core: routedCore(cores, o.workers), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One `Core` over the nodes: slot-wise operations go to the slot's node; tokens are any node's (the key is shared). */
function routedCore(cores: readonly Core[], workersPerNode: number): Core {
  const of = (slot: number) => {
    const c = cores[Math.floor(slot / workersPerNode)];
    if (!c) throw new Error(`no worker ${slot}: the run has ${cores.length * workersPerNode}`);
    return c;
  };
  const first = cores[0]!;
  const nodeWide = (what: string) => () => Promise.reject(new Error(`${what} acts on one node: with ${cores.length} nodes, take a node down with node-kill`));
  return {
    get port() { return first.port; },
    get url() { return first.url; },
    slotUrl: (slot) => of(slot).slotUrl(slot),
    pid: (slot) => of(slot).pid(slot),
    token: (user) => first.token(user),
    credentials: (user) => first.credentials(user),
    get primaryPid() { return first.primaryPid; },
    get running() { return cores.every((c) => c.running); },
    powerOff: nodeWide('power loss'),
    killPrimary: nodeWide('primary-kill'),
    restart: nodeWide('restart'),
    control: (req) => { if ('slot' in req) of(req.slot).control(req); else for (const c of cores) c.control(req); },
    signal: (slot, signal) => of(slot).signal(slot, signal),
    adminUrl: (slot, path) => of(slot).adminUrl(slot, path),
    health: (slot, timeoutMs) => of(slot).health(slot, timeoutMs),
    waitWorkerUp: (slot, notPid, timeoutMs) => of(slot).waitWorkerUp(slot, notPid, timeoutMs),
    stop: async () => { await Promise.allSettled(cores.map((c) => c.stop())); },
  };
}
