/**
 * A real Redis Cluster (lab/cluster/redis-cluster.ts), 3 shards of a primary and a replica: every
 * node says cluster_state:ok and every replica is in sync; the bus user may use sharded pub/sub on
 * room channels and nothing else; a message SPUBLISHed on a hash-tagged room channel reaches an
 * SSUBSCRIBEr of ioredis's `Cluster` (`shardedSubscribers: true`) before and after the channel's
 * primary is SIGKILLed and its replica promoted, and after the channel's slot is moved, under
 * traffic, to another primary; stop() leaves no process and no file, and so do a harness that dies
 * and a failed start.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../../lab/cluster/redis-cluster.js';
import { RedisServerNotFoundError } from '../../lab/cluster/redis-server.js';
import { descendants, isGone } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

/** A room channel (the bus may use `dl:room:*`) whose hash tag `{lobby}` picks its slot, hence its shard. */
const CHANNEL = 'dl:room:{lobby}';
/** A rate-limit key (the bus may write those) in the same slot as {@link CHANNEL}. */
const RATE_KEY = 'dl:rate:{lobby}';
/** The compiled module (the global setup builds dist/), for a harness run in a child process. */
const DIST_REDIS_CLUSTER = fileURLToPath(new URL('../../dist/lab/cluster/redis-cluster.js', import.meta.url));
/** Bound for a subscriber to be back on the channel after a failover or a migration. */
const RESUBSCRIBE_TIMEOUT_MS = 20_000;

let cluster: RedisCluster;
const clients: (Cluster | Redis)[] = [];
beforeAll(async () => {
  cluster = await startRedisCluster({ shards: 3, replicas: 1 });
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await cluster?.stop();
});

/** An ioredis `Cluster` client logged in as the bus user. */
function busClient(options: ClusterOptions = {}): Cluster {
  const client = new Cluster([...cluster.startupNodes], {
    ...options,
    redisOptions: { username: cluster.bus.username, password: cluster.bus.password },
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** A connection to one node as the admin (`default`) user. */
function admin(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, password: cluster.password, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** The `field:value` lines of an INFO reply. */
function info(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

/** Every ACL LOG entry of the bus user on the running nodes. */
async function busAclDenials(): Promise<string[]> {
  const out: string[] = [];
  for (const node of cluster.nodes.filter((n) => n.server.running)) {
    for (const entry of (await admin(node.port).call('ACL', 'LOG')) as unknown[][]) {
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
      if (fields.get('username') === cluster.bus.username) out.push(`${node.port}: ${String(fields.get('reason'))} ${String(fields.get('object'))}`);
    }
  }
  return out;
}

/**
 * SPUBLISHes `message` until it reaches `subscribers` subscribers (SPUBLISH's reply: how many the
 * channel has on the node that owns it) and `received` holds it.
 */
async function publishUntilReceived(publisher: Cluster, message: string, received: string[], subscribers = 1): Promise<void> {
  await waitFor(async () => expect(await publisher.spublish(CHANNEL, message)).toBe(subscribers), RESUBSCRIBE_TIMEOUT_MS, 50);
  await waitFor(() => expect(received).toContain(message));
}

describe('startRedisCluster', () => {
  it('starts 3 primaries with an in-sync replica each, every node ok, and finds the shard of a channel', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.nodes.map((n) => [n.shard, n.role])).toEqual([[0, 'primary'], [0, 'replica'], [1, 'primary'], [1, 'replica'], [2, 'primary'], [2, 'replica']]);
    expect(cluster.startupNodes).toEqual(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
    expect(cluster.displayUrl).not.toContain(cluster.password);
    for (const node of cluster.nodes) {
      const client = admin(node.port);
      expect(info(String(await client.call('CLUSTER', 'INFO')))).toMatchObject({ cluster_state: 'ok', cluster_known_nodes: '6', cluster_slots_assigned: '16384' });
      const replication = info(await client.info('replication'));
      if (node.role === 'primary') {
        expect(replication).toMatchObject({ role: 'master', connected_slaves: '1' });
      } else {
        const primary = cluster.nodes.find((n) => n.shard === node.shard && n.role === 'primary')!;
        expect(replication).toMatchObject({ role: 'slave', master_port: String(primary.port), master_link_status: 'up', master_sync_in_progress: '0' });
      }
    }
    const slot = await cluster.keySlot(CHANNEL);
    expect(await cluster.keySlot('lobby')).toBe(slot);
    expect(await cluster.keySlot(RATE_KEY)).toBe(slot);
    const { shard, primary } = await cluster.shardOf(CHANNEL);
    expect(primary.role).toBe('primary');
    expect(primary.shard).toBe(shard);
    expect(await cluster.slotOwner(slot)).toBe(primary);
    expect(String(await admin(primary.port).call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe('0');
  });

  it('lets the bus user use sharded pub/sub on room channels and rate keys, and nothing else', async () => {
    const bus = busClient();
    expect(await bus.spublish(CHANNEL, 'nobody listens')).toBe(0);
    expect(await bus.incrby('dl:rate:{acl}', 2)).toBe(2);
    expect(await bus.expire('dl:rate:{acl}', 60)).toBe(1);
    await expect(bus.flushall()).rejects.toThrow(/NOPERM/);
    await expect(bus.get('dl:rate:{acl}')).rejects.toThrow(/NOPERM/);
    await expect(bus.incrby('user:{acl}', 1)).rejects.toThrow(/NOPERM/);
    await expect(bus.spublish('secret:{lobby}', 'x')).rejects.toThrow(/NOPERM/);
    await expect(bus.call('CONFIG', 'GET', 'masterauth')).rejects.toThrow(/NOPERM/);
    const { primary } = await cluster.shardOf(CHANNEL);
    const direct = new Redis({ host: '127.0.0.1', port: primary.port, username: cluster.bus.username, password: cluster.bus.password, retryStrategy: () => null });
    direct.on('error', () => undefined);
    clients.push(direct);
    await expect(direct.call('CLUSTER', 'NODES')).rejects.toThrow(/NOPERM/);
    await expect(direct.ssubscribe('secret:{lobby}')).rejects.toThrow(/NOPERM/);
    expect(await direct.ssubscribe(CHANNEL)).toBe(1);
    // The admin may do anything (here: read what the bus wrote).
    expect(await admin((await cluster.slotOwner(await cluster.keySlot('dl:rate:{acl}'))).port).get('dl:rate:{acl}')).toBe('2');
    direct.disconnect();
  });

  it('delivers a sharded message before and after a failover of its shard and a migration of its slot', async () => {
    for (const node of cluster.nodes) await admin(node.port).call('ACL', 'LOG', 'RESET');
    // ioredis 5.9.2 resubscribes after a failover by itself (the subscriber's connection drops), not after a
    // slot migration (Redis then sends SUNSUBSCRIBE, which ioredis ignores): a periodic slot refresh makes it.
    const subscriber = busClient({ shardedSubscribers: true, slotsRefreshInterval: 1_000 });
    const publisher = busClient();
    const received: string[] = [];
    subscriber.on('smessage', (channel: string, message: string) => {
      if (channel === CHANNEL) received.push(message);
    });
    expect(await subscriber.ssubscribe(CHANNEL)).toBe(1);
    expect(await publisher.spublish(CHANNEL, 'before')).toBe(1);
    await waitFor(() => expect(received).toContain('before'));

    // The channel's primary dies: its replica takes over, and the subscriber follows it.
    const { slot, primary, shard } = await cluster.shardOf(CHANNEL);
    const killedPid = primary.server.pid;
    const failover = await cluster.killPrimary(primary.port, { rejoin: false });
    expect(isGone(killedPid)).toBe(true);
    const successor = cluster.nodes.find((n) => n.port === failover.newPrimaryPort)!;
    expect(failover).toMatchObject({ shard, oldPrimaryPort: primary.port, rejoinMs: null });
    expect(successor).toMatchObject({ shard, role: 'primary' });
    expect(await cluster.slotOwner(slot)).toBe(successor);
    expect(failover.promotionMs).toBeLessThan(15_000);
    await publishUntilReceived(publisher, 'after failover', received);
    // The old primary comes back as the replica of its successor.
    expect(await cluster.restartNode(primary.port)).toBeGreaterThan(0);
    expect(primary.role).toBe('replica');
    expect(info(await admin(primary.port).info('replication'))).toMatchObject({ role: 'slave', master_port: String(successor.port), master_link_status: 'up' });

    // The slot moves, with its key, to another shard's primary while the bus publishes and counts.
    const target = cluster.nodes.find((n) => n.role === 'primary' && n.shard !== shard)!;
    // Two more subscribers without the failover's after-effects (ioredis retries a failed subscriber connection
    // with a slot refresh after up to 2.5 s, which resubscribes too): one refreshes its slots every second, one never.
    const fresh = busClient({ shardedSubscribers: true, slotsRefreshInterval: 1_000 });
    const bystander = busClient({ shardedSubscribers: true });
    const freshReceived: string[] = [];
    fresh.on('smessage', (_channel: string, message: string) => freshReceived.push(message));
    expect(await fresh.ssubscribe(CHANNEL)).toBe(1);
    expect(await bystander.ssubscribe(CHANNEL)).toBe(1);
    expect(await publisher.incrby(RATE_KEY, 1)).toBe(1);
    let counted = 1;
    let traffic = true;
    let migrated = false;
    let resubscribed = false;
    const load = (async () => {
      for (let i = 0; traffic; i += 1) {
        const afterMigration = migrated;
        // The channel's subscribers on its owner: 3 before the move, 0 right after it, 2 once `subscriber` and `fresh` are back.
        if ((await publisher.spublish(CHANNEL, `during ${i}`)) === 2 && afterMigration) resubscribed = true;
        await publisher.incrby(RATE_KEY, 1);
        counted += 1;
      }
    })();
    await waitFor(() => expect(counted).toBeGreaterThan(10));
    const migration = await cluster.migrateSlot(slot, target.port);
    migrated = true;
    await waitFor(() => expect(resubscribed).toBe(true), RESUBSCRIBE_TIMEOUT_MS);
    traffic = false;
    await load;
    expect(migration).toMatchObject({ slot, fromPort: successor.port, toPort: target.port, keys: 1 });
    expect(await cluster.slotOwner(slot)).toBe(target);
    // No INCRBY failed or got lost while its key moved (ASK, then MOVED, followed by ioredis).
    expect(await admin(target.port).get(RATE_KEY)).toBe(String(counted));
    await publishUntilReceived(publisher, 'after migration', received, 2);
    await waitFor(() => expect(freshReceived).toContain('after migration'));
    // The client without a periodic slot refresh is still unsubscribed: SPUBLISH reaches the two others only.
    expect(await publisher.spublish(CHANNEL, 'still two')).toBe(2);

    // Nothing ioredis sent on its own, in all that, was refused to the bus user.
    expect(await busAclDenials()).toEqual([]);
  });

  it('stop() kills every node and removes its files, and may be called again', async () => {
    const pids = cluster.nodes.map((n) => n.server.pid);
    const ports = cluster.nodes.map((n) => String(n.port));
    expect(pids.every((pid) => !isGone(pid))).toBe(true);
    await cluster.stop();
    await cluster.stop();
    expect(pids.filter((pid) => !isGone(pid))).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
    const ours = (cmd: string): boolean => cmd.includes(cluster.dir) || ports.some((port) => cmd.includes(`:${port}`));
    expect(descendants(process.pid).filter((p) => ours(p.cmd))).toEqual([]);
    // Each node's watchdog (lab/cluster/redis-server.ts) goes too, shortly after its node.
    const watchdogs = (): string[] => descendants(process.pid).map((p) => p.cmd).filter((cmd) => pids.some((pid) => cmd.endsWith(`deliverylab-watchdog ${pid}`)));
    await waitFor(() => expect(watchdogs()).toEqual([]));
    await expect(cluster.keySlot(CHANNEL)).rejects.toThrow(/stopped/);
  });

  it('leaves no process and no file when the harness dies (SIGINT, SIGKILL)', async () => {
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      const script = `const { startRedisCluster } = await import(${JSON.stringify(DIST_REDIS_CLUSTER)});
        const c = await startRedisCluster({ shards: 3, replicas: 0 });
        console.log(JSON.stringify({ dir: c.dir, pids: c.nodes.map((n) => n.server.pid) }));
        setInterval(() => undefined, 1_000);`;
      const harness = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => harness.once('exit', resolve));
      let out = '';
      harness.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        const started = await waitFor(() => JSON.parse(out) as { dir: string; pids: number[] }, 30_000);
        expect(started.pids.every((pid) => !isGone(pid))).toBe(true);
        harness.kill(signal);
        await exited;
        await waitFor(() => expect(started.pids.filter((pid) => !isGone(pid))).toEqual([]));
        await waitFor(() => expect(existsSync(started.dir)).toBe(false));
      } finally {
        // A failure (or a timeout) before the signal must not leave the harness and its cluster running: its nodes' watchdogs end them.
        if (harness.exitCode === null && harness.signalCode === null) harness.kill('SIGKILL');
      }
    }
  });

  it('leaves nothing behind when it cannot start', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'dl-cluster-test-'));
    try {
      await expect(startRedisCluster({ shards: 3, replicas: 0, dir: parent, command: 'deliverylab-no-such-redis-server' }))
        .rejects.toBeInstanceOf(RedisServerNotFoundError);
      // redis-cli that fails: the nodes were running, and are gone with their directory.
      await expect(startRedisCluster({ shards: 3, replicas: 0, dir: parent, cliCommand: 'false' })).rejects.toThrow(/--cluster create failed/);
      expect(readdirSync(parent)).toEqual([]);
      expect(descendants(process.pid).filter((p) => p.cmd.startsWith('redis-server'))).toEqual([]);
      await expect(startRedisCluster({ shards: 2, replicas: 1 })).rejects.toThrow(RangeError);
      await expect(startRedisCluster({ shards: 3, replicas: 0, busChannels: ['dl:room:* ~*'] })).rejects.toThrow(RangeError);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
