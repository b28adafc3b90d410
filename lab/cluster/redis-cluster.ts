/**
 * A real Redis Cluster on loopback ports: `shards` primaries with `replicas` replicas each, created
 * with `redis-cli --cluster create`, which the harness can fail over (SIGKILL a primary, wait for its
 * replica's promotion, bring the old primary back as a replica) and reshard (move one hash slot with
 * its keys). Every node is a {@link startRedisServer} child, so it inherits that module's guarantees:
 * its password goes in on stdin, it never outlives the harness (exit hooks and a watchdog), and it can
 * be killed and restarted on its port. The cluster's files (each node's nodes.conf) live in one
 * private directory that `stop()` removes, and that a watchdog removes if this process dies first.
 *
 * Users, on every node: `default` (the lab's admin: every command, every key and channel) with the
 * cluster's password, and the bus user {@link CLUSTER_BUS_USER} that may run only what a bus worker
 * and ioredis's `Cluster` client need, on room channels and rate-limit keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

import { BUS_REDIS_USER, roomChannel } from '../../src/protocol/index.js';
import {
  findFreePort,
  RedisServerNotFoundError,
  RedisServerStartError,
  startRedisServer,
  type RedisServerHandle,
} from './redis-server.js';

/** The bus user of a cluster: the same name as the core's embedded Redis user. */
export const CLUSTER_BUS_USER = BUS_REDIS_USER;

/**
 * What the bus user may run on a cluster. The first line is the embedded Redis's bus (see
 * src/fanout/embedded-redis.ts) but FCALL (the sharded bus sends one SPUBLISH a message); then sharded pub/sub, and what ioredis's `Cluster` sends on its own:
 * CLUSTER INFO (its ready check), CLUSTER SLOTS (its slot map), READONLY and READWRITE (when a node it
 * knows turns replica or primary) and ASKING (before a command it follows to the importing node while
 * a slot migrates).
 */
export const CLUSTER_BUS_COMMANDS: readonly string[] = [
  '+publish', '+subscribe', '+unsubscribe', '+ping', '+info', '+client|setname', '+incrby', '+expire',
  '+spublish', '+ssubscribe', '+sunsubscribe',
  '+cluster|info', '+cluster|slots', '+readonly', '+readwrite', '+asking',
];

/** The number of hash slots of every Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

const BIND_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 50;
const ADMIN_COMMAND_TIMEOUT_MS = 5_000;
const MIGRATE_BATCH = 100;
const MIGRATE_TIMEOUT_MS = 5_000;

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Primaries; `redis-cli --cluster create` wants at least 3 (a failover needs a majority of them). */
  shards: number;
  /** Replicas of each primary. */
  replicas: number;
  /** The directory in which the cluster makes its own (removed by `stop()`). @default os.tmpdir() */
  dir?: string;
  /** The password of the `default` user on every node (letters, digits, `._~-`). @default random */
  password?: string;
  /**
   * The address the nodes announce and the clients use, besides 127.0.0.1 where they also listen (a lab
   * network's host address, so nodes in network namespaces reach them). @default '127.0.0.1'
   */
  host?: string;
  /** `cluster-node-timeout`: how long a silent node takes to be failed, hence how long a failover takes. @default 1_500 */
  nodeTimeoutMs?: number;
  /** The channel patterns the bus user may use. @default the room channels, `dl:room:*` */
  busChannels?: readonly string[];
  /** The key patterns the bus user may use. @default the rate-limit keys, `dl:rate:*` */
  busKeys?: readonly string[];
  /** The server executable. @default 'redis-server' */
  command?: string;
  /** The client executable that creates the cluster. @default 'redis-cli' */
  cliCommand?: string;
  /** Bound for the cluster (or a failover, a rejoin, a migration) to settle. @default 30_000 */
  settleTimeoutMs?: number;
}

/** A node's role in its shard. */
export type ClusterRole = 'primary' | 'replica';

/** One node of a {@link RedisCluster}. */
export interface ClusterNode {
  readonly port: number;
  /** Its cluster bus port (`cluster-port`). */
  readonly busPort: number;
  /** Its cluster node id, kept across restarts in its nodes.conf. */
  readonly id: string;
  /** The shard it was created in: a promoted replica and a primary that rejoins as a replica stay in it. */
  readonly shard: number;
  /** Its role when the cluster last settled (every operation of {@link RedisCluster} waits for that). */
  readonly role: ClusterRole;
  /** Its process (the `password` and `url` of the handle are the node's own; any node also takes the cluster's). */
  readonly server: RedisServerHandle;
}

/** What {@link RedisCluster.killPrimary} did. */
export interface FailoverResult {
  shard: number;
  oldPrimaryPort: number;
  newPrimaryPort: number;
  /** From the SIGKILL until the replica serves the shard's slots and every live node says cluster_state:ok. */
  promotionMs: number;
  /** From the restart of the old primary until it is an in-sync replica in every node's view; null if not restarted. */
  rejoinMs: number | null;
}

/** What {@link RedisCluster.migrateSlot} did. */
export interface SlotMigration {
  slot: number;
  fromPort: number;
  toPort: number;
  /** Keys moved with MIGRATE. */
  keys: number;
  /** From CLUSTER SETSLOT IMPORTING until every node agrees on the new owner. */
  ms: number;
}

/** A running cluster; every method but `stop` rejects once it is stopped. */
export interface RedisCluster {
  /** Every node, shard by shard, primaries (at creation) first. */
  readonly nodes: readonly ClusterNode[];
  /** The seeds for ioredis: `new Cluster(cluster.startupNodes, { redisOptions: { username, password } })`. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** The `default` (admin) user's password, the same on every node. */
  readonly password: string;
  /** The restricted bus user's credentials. */
  readonly bus: { readonly username: string; readonly password: string };
  /** `redis-cluster://:***@127.0.0.1:<port>,…`: no secret in it, fit for logs and reports. */
  readonly displayUrl: string;
  /** The cluster's private directory (one subdirectory per node). */
  readonly dir: string;
  /** The hash slot of a key or a sharded channel (CLUSTER KEYSLOT). */
  keySlot(keyOrChannel: string): Promise<number>;
  /** The primary that serves `slot` now. */
  slotOwner(slot: number): Promise<ClusterNode>;
  /** The slot of a key or sharded channel and the primary (and shard) that serves it now. */
  shardOf(keyOrChannel: string): Promise<{ slot: number; shard: number; primary: ClusterNode }>;
  /**
   * SIGKILLs the primary on `port`, waits until a replica of its shard is promoted and the cluster is
   * ok again, then (unless `rejoin` is false) restarts the killed node and waits until it is an in-sync
   * replica of the new primary.
   */
  killPrimary(port: number, options?: { rejoin?: boolean }): Promise<FailoverResult>;
  /**
   * Restarts the node on `port` (killed before) with its nodes.conf, so it rejoins as what the cluster
   * tells it (a former primary whose slots moved comes back as a replica of its successor), and
   * resolves once the cluster has settled with it, its sync done; resolves with the ms that took.
   */
  restartNode(port: number): Promise<number>;
  /** {@link killPrimary} on the current primary of `shard` (an index into the shards as created). */
  failoverShard(shard: number, options?: { rejoin?: boolean }): Promise<FailoverResult>;
  /**
   * Moves `slot`, with its keys, from its owner to the primary on `toPort`, the documented way:
   * SETSLOT IMPORTING on the target, MIGRATING on the source, MIGRATE of the keys in batches (clients
   * are redirected with ASK meanwhile), SETSLOT NODE on the target, the source and the other primaries.
   */
  migrateSlot(slot: number, toPort: number): Promise<SlotMigration>;
  /** Resolves once every running node says cluster_state:ok, all agree on the slot map and every replica is in sync. */
  settled(): Promise<void>;
  /** SIGKILLs every node and removes the cluster's directory; idempotent. */
  stop(): Promise<void>;
}

/** One line of CLUSTER NODES. */
interface NodeLine {
  id: string;
  port: number;
  flags: Set<string>;
  masterId: string | null;
  connected: boolean;
  /** Slot ranges as written (`0-5460`, `5461`), without migration markers. */
  slots: string[];
  /** Whether the line carries `[slot->-id]` or `[slot-<-id]` markers. */
  migrating: boolean;
}

/** The lines of a CLUSTER NODES reply: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`. */
function parseClusterNodes(text: string): NodeLine[] {
  return text.trim().split('\n').map((line) => {
    const [id = '', address = '', flags = '', master = '-', , , , link = '', ...slots] = line.trim().split(' ');
    return {
      id,
      port: Number(/:(\d+)@/.exec(address)?.[1] ?? -1),
      flags: new Set(flags.split(',')),
      masterId: master === '-' ? null : master,
      connected: link === 'connected',
      slots: slots.filter((s) => !s.startsWith('[')),
      migrating: slots.some((s) => s.startsWith('[')),
    };
  });
}

/** The `field:value` lines of an INFO or CLUSTER INFO reply. */
function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

/** The first and last slot of a range written by CLUSTER NODES (`0-5460`, `5461`). */
function bounds(range: string): [number, number] {
  const [from = NaN, to = from] = range.split('-').map(Number);
  return [from, to];
}

/** Whether `slot` is in one of the ranges written by CLUSTER NODES. */
function inRanges(slot: number, ranges: readonly string[]): boolean {
  return ranges.some((range) => {
    const [from, to] = bounds(range);
    return slot >= from && slot <= to;
  });
}

/** How many slots the ranges written by CLUSTER NODES hold. */
function slotCount(ranges: readonly string[]): number {
  return ranges.reduce((sum, range) => {
    const [from, to] = bounds(range);
    return sum + to - from + 1;
  }, 0);
}

/** The lowest slot a node line serves (Infinity if none). */
function firstSlot(line: NodeLine): number {
  return Math.min(...line.slots.map((range) => bounds(range)[0]));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Re-runs `check` every POLL_INTERVAL_MS until it returns a value; it returns a string to say why not yet. */
async function poll<T>(what: string, timeoutMs: number, check: () => Promise<{ ok: T } | string>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let why: string;
    try {
      const result = await check();
      if (typeof result !== 'string') return result.ok;
      why = result;
    } catch (error) {
      why = error instanceof Error ? error.message : String(error);
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${why}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Runs `command` with `args` (and REDISCLI_AUTH, never an argument, if given) for at most `timeoutMs`; resolves with its exit code and output. */
function run(command: string, args: string[], timeoutMs: number, auth?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['REDISCLI_AUTH'];
    if (auth !== undefined) env['REDISCLI_AUTH'] = auth;
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let output = '';
    const collect = (chunk: Buffer): void => void (output = (output + chunk.toString('utf8')).slice(-8_000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new RedisServerNotFoundError(command) : error));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** A shell that removes `dir` once the pipe from this process closes, i.e. once this process is gone, however it died. */
function spawnDirectoryWatchdog(dir: string): ChildProcess | null {
  if (process.platform === 'win32') return null;
  // The nodes' own watchdogs SIGKILL them at the same moment: retry while one may still create a file.
  const script = 'read _; for _ in 1 2 3 4 5; do rm -rf -- "$1" 2>/dev/null; [ -e "$1" ] || exit 0; sleep 0.1; done';
  const dog = spawn('sh', ['-c', script, 'deliverylab-cluster-watchdog', dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  dog.on('error', () => undefined);
  dog.stdin?.on('error', () => undefined);
  dog.unref();
  if (dog.stdin instanceof Socket) dog.stdin.unref();
  return dog;
}

/** SIGKILLs `child` (if any) and resolves once it has exited. */
async function killAndWait(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.ref(); // an unref'd child would not keep this process alive until it exits
  child.kill('SIGKILL');
  await exited;
}

/**
 * The executable a node runs as, given to {@link startRedisServer} as its `command`: that module
 * feeds `requirepass <node password>` on stdin, and a cluster needs more configuration than its
 * options carry (cluster mode, masterauth, one password on every node, the bus user). The wrapper
 * gives the default user both the node's and the cluster's password, includes node.conf, and execs
 * the server (same pid, so the launcher's probe, watchdog and kill still apply).
 */
function nodeWrapper(command: string, adminHash: string): string {
  return [
    '#!/bin/sh',
    'cd "$(dirname "$0")" || exit 1',
    'IFS= read -r line || exit 1',
    `exec ${shellQuote(command)} "$@" <<EOF`,
    `user default on >\${line#requirepass } #${adminHash} ~* &* +@all`,
    'include node.conf',
    'EOF',
    '',
  ].join('\n');
}

/** The settings of a node (node.conf, readable by this user alone: it holds masterauth). */
function nodeConfig(busPort: number, settings: Settings): string {
  return [
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    `cluster-node-timeout ${settings.nodeTimeoutMs}`,
    `cluster-port ${busPort}`,
    `masterauth ${settings.password}`,
    // A replica that (re)joins gets its full sync at once, not 5 s later.
    'repl-diskless-sync-delay 0',
    `user ${CLUSTER_BUS_USER} on #${sha256(settings.busPassword)} resetkeys ${settings.busKeys.map((k) => `~${k}`).join(' ')} ` +
      `resetchannels ${settings.busChannels.map((c) => `&${c}`).join(' ')} -@all ${CLUSTER_BUS_COMMANDS.join(' ')}`,
    '',
  ].join('\n');
}

interface Settings {
  host: string;
  password: string;
  busPassword: string;
  busKeys: readonly string[];
  busChannels: readonly string[];
  nodeTimeoutMs: number;
  command: string;
  settleTimeoutMs: number;
}

/** Starts one node in `dir` on a free port and a free bus port, choosing both again if a bind races. */
async function startNode(dir: string, settings: Settings): Promise<{ server: RedisServerHandle; busPort: number }> {
  mkdirSync(dir, { mode: 0o700 });
  const wrapper = join(dir, 'redis-node.sh');
  writeFileSync(wrapper, nodeWrapper(settings.command, sha256(settings.password)), { mode: 0o700 });
  for (let attempt = 1; ; attempt += 1) {
    const port = await findFreePort();
    const busPort = await findFreePort();
    if (busPort === port) continue;
    writeFileSync(join(dir, 'node.conf'), nodeConfig(busPort, settings), { mode: 0o600 });
    try {
      return { server: await startRedisServer({ port, dir, command: wrapper, ...(settings.host !== '127.0.0.1' ? { alsoBind: settings.host } : {}) }), busPort };
    } catch (error) {
      if (!(error instanceof RedisServerStartError && error.addressInUse) || attempt >= BIND_ATTEMPTS) throw error;
      rmSync(join(dir, 'nodes.conf'), { force: true });
    }
  }
}

class Node implements ClusterNode {
  constructor(
    readonly port: number,
    readonly busPort: number,
    readonly id: string,
    readonly shard: number,
    public role: ClusterRole,
    readonly server: RedisServerHandle,
  ) {}
}

/** What one running node says about the cluster. */
interface View {
  port: number;
  state: string;
  lines: NodeLine[];
}

class Cluster implements RedisCluster {
  readonly nodes: Node[];
  readonly startupNodes: { host: string; port: number }[];
  readonly password: string;
  readonly bus: { username: string; password: string };
  readonly displayUrl: string;
  readonly dir: string;
  readonly #settings: Settings;
  readonly #clients = new Map<number, Promise<Redis>>();
  readonly #watchdog: ChildProcess | null;
  #stopping: Promise<void> | undefined;

  constructor(dir: string, nodes: Node[], settings: Settings, watchdog: ChildProcess | null) {
    this.dir = dir;
    this.nodes = nodes;
    this.#settings = settings;
    this.#watchdog = watchdog;
    this.password = settings.password;
    this.bus = { username: CLUSTER_BUS_USER, password: settings.busPassword };
    this.startupNodes = nodes.map((node) => ({ host: settings.host, port: node.port }));
    this.displayUrl = `redis-cluster://:***@${this.startupNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }

  /** An admin connection to the node on `port`, opened on first use and again after it dropped. */
  #client(port: number): Promise<Redis> {
    let pending = this.#clients.get(port);
    if (pending === undefined) {
      const client = new Redis({
        host: '127.0.0.1', port, password: this.password, lazyConnect: true, enableOfflineQueue: false,
        enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000,
        commandTimeout: ADMIN_COMMAND_TIMEOUT_MS, disableClientInfo: true,
      });
      client.on('error', () => undefined);
      const opened: Promise<Redis> = client.connect().then(() => client, (error: unknown) => {
        this.#clients.delete(port);
        client.disconnect();
        throw error;
      });
      client.once('end', () => {
        if (this.#clients.get(port) === opened) this.#clients.delete(port);
      });
      this.#clients.set(port, (pending = opened));
    }
    return pending;
  }

  #ensureRunning(): void {
    if (this.#stopping !== undefined) throw new Error('the Redis cluster is stopped');
  }

  /** Runs one command on the node on `port` as the admin. */
  async #call(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
    this.#ensureRunning();
    return (await this.#client(port)).call(command, ...args);
  }

  #node(port: number): Node {
    const node = this.nodes.find((n) => n.port === port);
    if (node === undefined) throw new RangeError(`no node of this cluster listens on port ${port}`);
    return node;
  }

  async #view(port: number): Promise<View> {
    const state = infoFields(String(await this.#call(port, 'CLUSTER', 'INFO'))).get('cluster_state') ?? '?';
    return { port, state, lines: parseClusterNodes(String(await this.#call(port, 'CLUSTER', 'NODES'))) };
  }

  /** The view of the first running node that answers. */
  async #anyView(): Promise<View> {
    this.#ensureRunning();
    let last: unknown = new Error('no node of the cluster is running');
    for (const node of this.nodes.filter((n) => n.server.running)) {
      try {
        return await this.#view(node.port);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  /**
   * Why the cluster has not settled, or the agreed view: every running node says cluster_state:ok
   * and sees every other running node connected, healthy and in the same role (primaries with the
   * same slots, no migration under way), every slot is served by a running primary, and every
   * running replica's link to its primary is up with its sync done.
   */
  async #settledView(): Promise<{ ok: NodeLine[] } | string> {
    const live = this.nodes.filter((n) => n.server.running);
    const liveIds = new Set(live.map((n) => n.id));
    let agreed: string | undefined;
    let lines: NodeLine[] = [];
    for (const node of live) {
      const view = await this.#view(node.port);
      if (view.state !== 'ok') return `${node.port} says cluster_state:${view.state}`;
      const seen = view.lines.filter((l) => liveIds.has(l.id)).sort((a, b) => a.port - b.port);
      if (seen.length !== live.length) return `${node.port} knows ${seen.length} of ${live.length} running nodes`;
      for (const l of seen) {
        if (['fail', 'fail?', 'handshake', 'noaddr'].some((f) => l.flags.has(f))) return `${node.port} flags ${l.port} ${[...l.flags].join(',')}`;
        if (!l.flags.has('myself') && !l.connected) return `${node.port} has no link to ${l.port}`;
        if (l.migrating) return `${node.port} sees a slot migration under way`;
      }
      const signature = seen.map((l) => `${l.port}:${l.masterId ?? 'primary'}:${l.slots.join(',')}`).join(' ');
      if (agreed !== undefined && signature !== agreed) return `${node.port} disagrees: ${signature} vs ${agreed}`;
      agreed = signature;
      lines = seen;
    }
    const servedByLive = lines.filter((l) => l.masterId === null).reduce((sum, l) => sum + slotCount(l.slots), 0);
    if (servedByLive !== CLUSTER_SLOTS) return `running primaries serve ${servedByLive} of ${CLUSTER_SLOTS} slots`;
    for (const l of lines.filter((x) => x.masterId !== null)) {
      const replication = infoFields(String(await this.#call(l.port, 'INFO', 'replication')));
      const master = lines.find((x) => x.id === l.masterId);
      if (replication.get('master_link_status') !== 'up' || replication.get('master_sync_in_progress') !== '0'
        || Number(replication.get('master_port')) !== master?.port) {
        return `replica ${l.port} is not in sync with ${master?.port ?? l.masterId}`;
      }
    }
    return { ok: lines };
  }

  async settled(): Promise<void> {
    await this.#settle('the cluster to settle');
  }

  /** Waits for {@link settledView} and records each node's role. */
  async #settle(what: string): Promise<NodeLine[]> {
    this.#ensureRunning();
    const lines = await poll(what, this.#settings.settleTimeoutMs, () => this.#settledView());
    for (const l of lines) this.#node(l.port).role = l.masterId === null ? 'primary' : 'replica';
    return lines;
  }

  async keySlot(keyOrChannel: string): Promise<number> {
    this.#ensureRunning();
    const node = this.nodes.find((n) => n.server.running);
    if (node === undefined) throw new Error('no node of the cluster is running');
    return Number(await this.#call(node.port, 'CLUSTER', 'KEYSLOT', keyOrChannel));
  }

  async slotOwner(slot: number): Promise<Node> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) throw new RangeError(`no hash slot ${slot}`);
    const owner = (await this.#anyView()).lines.find((l) => l.masterId === null && !l.flags.has('fail') && inRanges(slot, l.slots));
    if (owner === undefined) throw new Error(`no primary serves slot ${slot}`);
    return this.#node(owner.port);
  }

  async shardOf(keyOrChannel: string): Promise<{ slot: number; shard: number; primary: Node }> {
    const slot = await this.keySlot(keyOrChannel);
    const primary = await this.slotOwner(slot);
    return { slot, shard: primary.shard, primary };
  }

  async killPrimary(port: number, options: { rejoin?: boolean } = {}): Promise<FailoverResult> {
    const node = this.#node(port);
    const me = (await this.#anyView()).lines.find((l) => l.id === node.id);
    if (!node.server.running || me?.masterId !== null || me.slots.length === 0) {
      throw new Error(`the node on port ${port} is not a running primary that serves slots`);
    }
    if (!this.nodes.some((n) => n.shard === node.shard && n !== node && n.server.running)) {
      throw new Error(`shard ${node.shard} has no running replica to promote`);
    }
    const killedAt = performance.now();
    await node.server.kill('SIGKILL');
    const after = await this.#settle(`a replica of shard ${node.shard} to replace the primary on ${port}`);
    const promotionMs = Math.round(performance.now() - killedAt);
    const promoted = after.find((l) => l.masterId === null && this.#node(l.port).shard === node.shard);
    if (promoted === undefined) throw new Error(`shard ${node.shard} has no primary after the failover`);
    const rejoinMs = options.rejoin === false ? null : await this.restartNode(port);
    return { shard: node.shard, oldPrimaryPort: port, newPrimaryPort: promoted.port, promotionMs, rejoinMs };
  }

  async restartNode(port: number): Promise<number> {
    const node = this.#node(port);
    if (node.server.running) throw new Error(`the node on port ${port} is running`);
    const restartedAt = performance.now();
    await node.server.restart();
    await this.#settle(`the node on ${port} to rejoin`);
    return Math.round(performance.now() - restartedAt);
  }

  async failoverShard(shard: number, options: { rejoin?: boolean } = {}): Promise<FailoverResult> {
    const primary = (await this.#anyView()).lines.find((l) => l.masterId === null && !l.flags.has('fail')
      && l.slots.length > 0 && this.nodes.some((n) => n.port === l.port && n.shard === shard));
    if (primary === undefined) throw new RangeError(`shard ${shard} has no running primary`);
    return this.killPrimary(primary.port, options);
  }

  async migrateSlot(slot: number, toPort: number): Promise<SlotMigration> {
    const source = await this.slotOwner(slot);
    const target = this.#node(toPort);
    const started = performance.now();
    if (source === target) return { slot, fromPort: source.port, toPort, keys: 0, ms: 0 };
    const targetLine = (await this.#anyView()).lines.find((l) => l.id === target.id);
    if (targetLine?.masterId !== null || !target.server.running) throw new Error(`the node on port ${toPort} is not a running primary`);
    await this.#call(target.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
    await this.#call(source.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
    let keys = 0;
    for (;;) {
      const batch = (await this.#call(source.port, 'CLUSTER', 'GETKEYSINSLOT', slot, MIGRATE_BATCH)) as string[];
      if (batch.length === 0) break;
      await this.#call(source.port, 'MIGRATE', '127.0.0.1', target.port, '', 0, MIGRATE_TIMEOUT_MS, 'AUTH', this.password, 'KEYS', ...batch);
      keys += batch.length;
    }
    // The target first (it then owns the slot and bumps its epoch), then the source, then the other primaries.
    const others = this.nodes.filter((n) => n.role === 'primary' && n !== source && n !== target && n.server.running);
    for (const node of [target, source, ...others]) await this.#call(node.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
    await this.#settle(`every node to see slot ${slot} on ${toPort}`);
    return { slot, fromPort: source.port, toPort, keys, ms: Math.round(performance.now() - started) };
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const pending of this.#clients.values()) void pending.then((c) => c.disconnect(), () => undefined);
      this.#clients.clear();
      await Promise.all(this.nodes.map(async (n) => {
        await n.server.kill('SIGKILL');
        await n.server.stop();
      }));
      rmSync(this.dir, { recursive: true, force: true });
      await killAndWait(this.#watchdog);
    })();
    return this.#stopping;
  }
}

/** CLUSTER NODES of the node on `port`, once it sees `total` nodes of which `shards` primaries serve every slot. */
async function clusterNodesOnceCreated(port: number, settings: Settings, shards: number, total: number): Promise<NodeLine[]> {
  const client = new Redis({ host: '127.0.0.1', port, password: settings.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, disableClientInfo: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await poll('the created cluster to know every node', settings.settleTimeoutMs, async () => {
      const lines = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')));
      const primaries = lines.filter((l) => l.masterId === null && l.slots.length > 0);
      return lines.length === total && primaries.length === shards && lines.every((l) => l.masterId !== null || l.slots.length > 0)
        ? { ok: lines }
        : `${port} sees ${lines.length} nodes, ${primaries.length} primaries`;
    });
  } finally {
    client.disconnect();
  }
}

/**
 * Starts `shards × (1 + replicas)` nodes, creates the cluster with `redis-cli --cluster create`
 * (the password in REDISCLI_AUTH, never on a command line), and resolves once every node says
 * cluster_state:ok, all agree on the slot map and every replica is in sync. On failure every node
 * started is killed and the cluster's directory removed.
 */
export async function startRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const { shards, replicas } = options;
  if (!Number.isInteger(shards) || shards < 3) throw new RangeError(`a Redis Cluster needs at least 3 shards, not ${shards}`);
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError(`replicas must be a whole number, not ${replicas}`);
  if (options.password !== undefined && !/^[\w.~-]{8,}$/.test(options.password)) {
    throw new RangeError('the cluster password must be 8 or more letters, digits or ._~-');
  }
  for (const pattern of [...(options.busKeys ?? []), ...(options.busChannels ?? [])]) {
    if (!/^[^\s"'\\]+$/.test(pattern)) throw new RangeError(`the bus pattern ${JSON.stringify(pattern)} has a space, a quote or a backslash`);
  }
  const settings: Settings = {
    host: options.host ?? '127.0.0.1',
    password: options.password ?? randomBytes(32).toString('hex'),
    busPassword: randomBytes(32).toString('hex'),
    busKeys: options.busKeys ?? ['dl:rate:*'],
    busChannels: options.busChannels ?? [roomChannel('*')],
    nodeTimeoutMs: options.nodeTimeoutMs ?? 1_500,
    command: options.command ?? 'redis-server',
    settleTimeoutMs: options.settleTimeoutMs ?? 30_000,
  };
  const cli = options.cliCommand ?? 'redis-cli';
  // The wrapper would only report "not found" as an early exit: say what to install instead.
  await run(settings.command, ['--version'], settings.settleTimeoutMs);
  await run(cli, ['--version'], settings.settleTimeoutMs);

  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'deliverylab-cluster-'));
  const watchdog = spawnDirectoryWatchdog(dir);
  const total = shards * (1 + replicas);
  const started = await Promise.allSettled(Array.from({ length: total }, (_, i) => startNode(join(dir, `node-${i}`), settings)));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const abort = async (error: unknown): Promise<never> => {
    await Promise.all(servers.map(async ({ server }) => {
      await server.kill('SIGKILL');
      await server.stop();
    }));
    rmSync(dir, { recursive: true, force: true });
    await killAndWait(watchdog);
    throw error;
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) return abort(failed.reason);

  let cluster: Cluster | undefined;
  try {
    const addresses = servers.map(({ server }) => `${settings.host}:${server.port}`);
    const created = await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], settings.settleTimeoutMs, settings.password);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed (code ${created.code}):\n${created.output}`);
    const lines = await clusterNodesOnceCreated(servers[0]!.server.port, settings, shards, total);
    // Shard i is the primary with the i-th lowest slots, and its replicas.
    const primaryIds = lines.filter((l) => l.masterId === null).sort((a, b) => firstSlot(a) - firstSlot(b)).map((l) => l.id);
    const nodes = servers.map(({ server, busPort }) => {
      const line = lines.find((l) => l.port === server.port);
      if (line === undefined) throw new Error(`the node on port ${server.port} is not in the cluster`);
      const shard = primaryIds.indexOf(line.masterId ?? line.id);
      return new Node(server.port, busPort, line.id, shard, line.masterId === null ? 'primary' : 'replica', server);
    });
    nodes.sort((a, b) => a.shard - b.shard || Number(a.role === 'replica') - Number(b.role === 'replica') || a.port - b.port);
    cluster = new Cluster(dir, nodes, settings, watchdog);
    await cluster.settled();
    return cluster;
  } catch (error) {
    await cluster?.stop();
    return abort(error);
  }
}
