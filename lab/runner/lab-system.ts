import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientFlags, mulberry32, serverFlags, slotPort, wsUrl, type SemanticsName, type Synchronous, type WriterName } from '../../src/protocol/index.js';
import { powerLossEnv } from '../cluster/power-loss.js';
import { startRedisServer, type RedisServerHandle } from '../cluster/redis-server.js';
import { startRedisCluster, type RedisCluster } from '../cluster/redis-cluster.js';
import { createNodesNetwork, startNodes, type Nodes } from '../cluster/nodes.js';
import type { LabNetwork } from '../cluster/lab-network.js';
import { startFaultProxy, type FaultProxy } from '../cluster/fault-proxy.js';
import { startCore, type Core } from '../cluster/core-process.js';
import type { HistoryRecorder } from '../history/recorder.js';
import { openTruth, type Truth } from '../history/db-snapshot.js';
import { createPostgresDatabase, type LabPostgresDatabase } from '../cluster/postgres.js';
import { startSimClient, type SimClient } from '../workload/sim-client.js';
import type { FaultContext, LabNode } from '../nemesis/index.js';
import { roomsRefusedTo } from '../nemesis/fault.js';
import type { CoreEvent } from '../../src/protocol/index.js';
import type { Scenario } from './scenario.js';

/** What a lab system is made of: the scenario's cluster and clients, and how it runs. */
export interface LabSystemOptions {
  cluster: Scenario['cluster'];
  /** The bus: one redis-server, or a Redis Cluster. @default { mode: 'single' } */
  redis?: Scenario['redis'];
  clients: Scenario['clients'];
  /** Rooms made members-only before the clients start, with the clients who may join each. @default none */
  membersOnly?: Scenario['membersOnly'];
  semantics: SemanticsName;
  headIntervalMs: number;
  writer?: WriterName;
  /** SQLite's synchronous setting in the core. @default 'FULL' */
  synchronous?: Synchronous;
  seed: number;
  /** A browser origin the core lets in besides its own host (`--allow-origin`). */
  allowOrigin?: string;
  /** Put a fault proxy between each client and each worker (for client-link faults). @default false */
  clientLinks?: boolean;
  /** Where the database, the core's log and Redis's log go. */
  outDir: string;
  history: HistoryRecorder;
  signal?: AbortSignal;
}

/**
 * The system a run or an explore session works on: a redis-server with one fault proxy per worker
 * (unless the semantics runs without Redis), the core's program, and the simulated clients, each
 * joined to its rooms. Everything it started is stopped by `stop`, whatever state it is in.
 */
export interface LabSystem {
  readonly redis: RedisServerHandle | undefined;
  /** The run's Redis Cluster, when its bus is one. */
  readonly redisCluster: RedisCluster | undefined;
  /** The nodes of a run of several (empty for one node). */
  readonly nodes: readonly LabNode[];
  readonly proxies: readonly FaultProxy[];
  readonly core: Core;
  readonly clients: readonly SimClient[];
  /** The SQLite file of the run (where a SQLite core writes; power-loss and disk-full act on it). */
  readonly dbFile: string;
  /** The database truth the core writes (the SQLite file, or the run's own PostgreSQL database). */
  readonly truth: Truth;
  /** The context fault step `i` acts in (its randomness and failpoint seed drawn from the run's seed). */
  faultContext(i: number): FaultContext;
  /** Closes the clients, stops the core, the proxies and Redis; never throws. The truth stays readable. */
  stop(): Promise<void>;
  /** Stops everything (as `stop`), closes the truth and drops the run's PostgreSQL database; never throws. */
  release(): Promise<void>;
}

/** The core's room administration (`deliverylab room`): the lab makes a scenario's members-only rooms with it, as an operator would. */
const ROOM_ADMIN = fileURLToPath(new URL('../../src/server/room-admin.js', import.meta.url));

/** Makes `room` members-only with these members, through the core's own room administration; throws with its output when it fails. */
async function makeMembersOnly(db: string, room: string, members: readonly string[]): Promise<void> {
  const child = fork(ROOM_ADMIN, [room, '--db', db, '--members', members.join(',')], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`making room ${room} members-only failed (exit ${code}): ${output.trim()}`);
}

const JOIN_TIMEOUT_MS = 20_000;
const POLL_MS = 100;
/** Settling gives up when no cursor, head or outbox has changed for this long. */
const STALL_MS = 5000;

/** Starts Redis and its proxies, the core (traced into the history) and the clients; waits until every client joined its rooms. */
export async function startLabSystem(o: LabSystemOptions): Promise<LabSystem> {
  const history = o.history;
  const dbFile = join(o.outDir, 'db.sqlite');
  // The core writes its database through the power-loss interposer: what it did not fsync can be lost.
  const diskFaultFile = join(o.outDir, 'disk-fault');
  let redis: RedisServerHandle | undefined;
  let redisCluster: RedisCluster | undefined;
  const proxies: FaultProxy[] = [];
  let core: Core | undefined;
  let nodes: Nodes | undefined;
  let network: LabNetwork | undefined;
  const clients: SimClient[] = [];
  const clientLinks = new Map<string, FaultProxy[]>();
  let postgres: LabPostgresDatabase | undefined;
  let truth: Truth | undefined;
  const stop = async () => {
    await Promise.allSettled(clients.map((c) => c.client.close()));
    await Promise.allSettled([...clientLinks.values()].flat().map((p) => p.close()));
    await core?.stop().catch(() => undefined);
    await nodes?.stop();
    await Promise.allSettled(proxies.map((p) => p.close()));
    await redis?.stop().catch(() => undefined);
    await redisCluster?.stop().catch(() => undefined);
    await network?.close();
    // What the interposer kept to undo is of no use once the core is stopped for good.
    for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-journal`]) rmSync(`${f}.undo`, { force: true });
    rmSync(diskFaultFile, { force: true });
  };
  const release = async () => {
    await stop();
    await truth?.close().catch(() => undefined);
    await postgres?.drop();
  };
  const aborted = () => { if (o.signal?.aborted) throw new Error('the run was interrupted'); };
  try {
    if (o.cluster.db === 'postgres') postgres = await createPostgresDatabase();
    const db = postgres?.url ?? dbFile;
    truth = openTruth(db);
    // Several nodes: their network first (the Redis Cluster listens on its host address too).
    if (o.cluster.nodes > 1) network = await createNodesNetwork(o.cluster.nodes);
    let redisUrls: string[] = [];
    const redisMode = o.redis ?? { mode: 'single' as const };
    if (serverFlags(o.semantics).redis && redisMode.mode === 'cluster') {
      // Every worker reaches every node directly, as the bus user: the startup nodes are the primaries.
      const host = network?.hostIp ?? '127.0.0.1';
      redisCluster = await startRedisCluster({ shards: redisMode.shards, replicas: redisMode.replicas, dir: o.outDir, host });
      const c = redisCluster;
      redisUrls = c.nodes.filter((n) => n.role === 'primary').map((n) => `redis://${c.bus.username}:${c.bus.password}@${host}:${n.port}`);
    } else if (serverFlags(o.semantics).redis) {
      redis = await startRedisServer({ logFile: join(o.outDir, 'redis.log') });
      if (o.cluster.nodes === 1) for (let k = 0; k < o.cluster.workers; k++) proxies.push(await startFaultProxy({ upstreamPort: redis.port }));
      redisUrls = proxies.map((p) => p.url);
    }
    aborted();
    const common = {
      workers: o.cluster.workers, semantics: o.semantics, headIntervalMs: o.headIntervalMs, ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}),
      authSecretFile: join(o.outDir, 'auth.key'), trace: true, ...(o.allowOrigin ? { allowOrigin: o.allowOrigin } : {}),
      onEvent: (e: CoreEvent) => {
        // The core's own trace events, stamped in epoch ms, go into the history on the run's clock.
        if (e.type === 'trace') for (const tr of e.traces) history.recordAt(tr.at, { type: 'trace', trace: tr });
        if (e.type === 'worker-up') history.record({ type: 'worker-up', worker: e.slot, pid: e.pid });
        if (e.type === 'worker-exit') history.record({ type: 'worker-exit', worker: e.slot, pid: e.pid, signal: e.signal, code: e.code });
        if (e.type === 'failpoint-fired') history.record({ type: 'failpoint-fired', worker: e.slot, pid: e.pid, failpoint: e.failpoint, detail: e.detail });
      },
    };
    if (o.cluster.nodes > 1) {
      // Each node in a namespace of its own; a worker's Redis proxy and the node's database proxy on the host's address.
      const bus = redisCluster ? { mode: 'cluster' as const, urls: redisUrls, ports: redisCluster.nodes.map((n) => n.port) } : redis ? { mode: 'single' as const, port: redis.port } : undefined;
      nodes = await startNodes({ ...common, network: network!, dbUrl: db, redis: bus, outDir: o.outDir });
      proxies.push(...nodes.redisProxies);
      core = nodes.core;
    } else {
      core = await startCore({ ...common, db, redisUrls, redisCluster: redisCluster !== undefined, logFile: join(o.outDir, 'core.log'), env: powerLossEnv(`${o.outDir}/`, diskFaultFile) });
    }
    const liveCore = core;
    // Members-only rooms exist before any client asks to join them (the core has migrated the database by now).
    for (const [room, members] of Object.entries(o.membersOnly ?? {})) await makeMembersOnly(db, room, members);
    const flags = clientFlags(o.semantics);
    const workers = o.cluster.workers * o.cluster.nodes;
    const place = (i: number, placement: 'spread' | number[]) => (placement === 'spread' ? i % workers : placement[i % placement.length]! % workers);
    const listeners = o.clients.listeners;
    const roster = [
      ...Array.from({ length: o.clients.count }, (_, i) => ({ name: `c${i}`, home: place(i, o.clients.placement), role: 'sender' as const })),
      ...Array.from({ length: listeners?.count ?? 0 }, (_, i) => ({ name: `l${i}`, home: place(i, listeners!.placement), role: 'listener' as const })),
    ];
    for (const [i, { name, home, role }] of roster.entries()) {
      const order = Array.from({ length: workers }, (_, k) => (home + k) % workers);
      let urls = order.map((k) => liveCore.slotUrl(k));
      if (o.clientLinks) {
        // The client's own link to each worker, in slot order; it dials them in its own order.
        const links = await Promise.all(Array.from({ length: workers }, (_, k) => {
          const at = new URL(liveCore.slotUrl(k));
          return startFaultProxy({ upstreamPort: Number(at.port), upstreamHost: at.hostname, scheme: 'ws' });
        }));
        clientLinks.set(name, links);
        urls = order.map((k) => wsUrl('127.0.0.1', links[k]!.port));
      }
      const credentials = await liveCore.credentials(name);
      const refused = roomsRefusedTo(o.clients.rooms, o.membersOnly ?? {}, name);
      clients.push(startSimClient({ name, home, role, urls, credentials, rooms: o.clients.rooms, refused, semantics: flags, history, random: mulberry32(o.seed + 1000 + i) }));
    }
    await waitUntil(() => clients.every((c) => joinedAll(history, c)), JOIN_TIMEOUT_MS, 'every client to join its rooms', o.signal);
  } catch (err) {
    await release();
    throw err;
  }
  const started = core;
  return {
    redis, redisCluster, proxies, core: started, nodes: nodes?.nodes ?? [], clients, dbFile, truth, stop, release,
    faultContext: (i) => ({ core: started, nodes: nodes?.nodes ?? [], network, redis, redisCluster, proxies, clients, history, random: mulberry32(o.seed * 31 + i), seed: o.seed * 31 + i, dbFile, diskFaultFile, clientLinks }),
  };
}

function joinedAll(history: HistoryRecorder, c: SimClient): boolean {
  const joined = new Set<string>();
  for (const e of history.events) if (e.type === 'joined' && e.client === c.name) joined.add(e.room);
  return c.rooms.every((r) => joined.has(r));
}

/**
 * Waits until every unsettled send settled and every client's cursor reached the database heads;
 * true when it did. Gives up at the bound, or earlier once nothing has moved for STALL_MS (a variant
 * without recovery mechanisms never catches up, and waiting longer would only slow the matrix down).
 */
export async function settle(clients: readonly SimClient[], truth: Truth, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  let last = '';
  let lastChange = performance.now();
  try {
    await waitUntil(async () => {
      const heads = await truth.heads();
      const progress = clients.map((c) => `${c.unsettled}:${c.rooms.map((r) => c.client.cursor(r)).join(',')}`).join('|') + [...heads.values()].join(',');
      if (progress !== last) { last = progress; lastChange = performance.now(); }
      if (performance.now() - lastChange > STALL_MS) throw new Error('stalled');
      // Every send the applications made settled (acked or refused), as they saw it.
      if (clients.some((c) => c.unsettled > 0)) return false;
      return clients.every((c) => c.rooms.every((r) => c.client.cursor(r) >= (heads.get(r) ?? 0)));
    }, timeoutMs, 'recovery', signal);
    return true;
  } catch (err) {
    if (signal?.aborted) throw err;
    return false;
  }
}

/** Re-checks a condition every POLL_MS until it holds; rejects after timeoutMs saying what it waited for. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (signal?.aborted) throw new Error('the run was interrupted');
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
