import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../../lab/cluster/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';

const CHANNEL = 'dl:room:{lobby}';
let cluster: RedisCluster;
const clients: Cluster[] = [];
beforeAll(async () => {
  cluster = await startRedisCluster({ shards: 3, replicas: 1 });
});
afterAll(async () => { for (const c of clients) c.disconnect(); await cluster?.stop(); });

function bus(options: ClusterOptions = {}): Cluster {
  const c = new Cluster([...cluster.startupNodes], { ...options, redisOptions: { username: cluster.bus.username, password: cluster.bus.password } });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

describe('smoke', () => {
  it('scenario', async () => {
    const sub = bus({ shardedSubscribers: true });
    const pub = bus();
    const received: string[] = [];
    const t0 = performance.now();
    const ev = (name: string) => (...a: unknown[]) => console.log(Math.round(performance.now() - t0), name, ...a.filter((x) => typeof x !== 'object'));
    for (const e of ['-node', '+node', '-subscriber', '+subscriber', 'subscribersReady', 'refresh', 'node error', 'nodeError']) sub.on(e, (...a: unknown[]) => ev(e)(...a.map((x) => (x instanceof Error ? x.message : x))));
    sub.on('smessage', (ch: string, m: string) => { received.push(m); ev('smessage')(m); });
    await sub.ssubscribe(CHANNEL);
    expect(await pub.spublish(CHANNEL, 'before')).toBe(1);
    await waitFor(() => expect(received).toContain('before'));
    const { slot, primary } = await cluster.shardOf(CHANNEL);
    const target = cluster.nodes.find((x) => x.role === 'primary' && x.shard !== primary.shard)!;
    const m = await cluster.migrateSlot(slot, target.port);
    ev('migrated')(JSON.stringify(m));
    let n = 0;
    await waitFor(async () => expect(await pub.spublish(CHANNEL, `am${n++}`)).toBe(1), 15_000, 50);
    ev('resubscribed after migration')(n);
    await waitFor(() => expect(received).toContain(`am${n - 1}`));
  }, 120_000);
});
