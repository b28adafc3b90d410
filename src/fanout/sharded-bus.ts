import { Cluster } from 'ioredis';
import { encodeBusMessage, roomChannel, type BusMac } from '../protocol/index.js';
import { createBusMac } from './bus-mac.js';
import { addCounts, OwnPublishes, receiveBusMessage, type Bus, type BusReceiveOptions, type BusStatus } from './bus.js';

/** Options of a ShardedRedisBus. */
export interface ShardedRedisBusOptions extends BusReceiveOptions {
  /** Startup nodes of the Redis Cluster as `redis://[user:password@]host:port` URLs (the credentials of the first are used for every node). */
  urls: readonly string[];
  /** The node's bus key (hex, `BusKey`). */
  key: string;
  /** Called when the shard subscribers are (re)subscribed after a topology change (a failover, a slot moved). */
  onResubscribed?: () => void;
  /** How often the client re-reads the cluster's slots by itself. @default 1000 */
  slotsRefreshIntervalMs?: number;
}

/**
 * The bus on a Redis Cluster: sharded pub/sub (SPUBLISH/SSUBSCRIBE) through ioredis's sharded
 * subscribers, one subscriber connection per shard primary. A room's channel is hash-tagged
 * (`dl:room:{room}`), so a room lives on the shard that owns its slot and its messages cross no
 * other shard. Like the single-server bus it is never the truth: a failover or a slot migration
 * drops the subscriptions of the moved slots until the client has read the new topology and
 * subscribed again (a window the database heads repair).
 */
export class ShardedRedisBus implements Bus {
  readonly #cluster: Cluster;
  readonly #o: ShardedRedisBusOptions;
  readonly #mac: BusMac;
  /** Its own recent publishes, whose echoes are dropped unread. */
  readonly #own = new OwnPublishes();
  readonly #rooms = new Set<string>();
  #publishErrors = 0;
  #rejected = 0;
  #silenced = false;
  #ready = false;

  constructor(o: ShardedRedisBusOptions) {
    this.#o = o;
    this.#mac = createBusMac(o.key);
    const first = new URL(o.urls[0] ?? 'redis://127.0.0.1:6379');
    const nodes = o.urls.map((u) => { const x = new URL(u); return { host: x.hostname, port: Number(x.port || 6379) }; });
    this.#cluster = new Cluster(nodes, {
      shardedSubscribers: true,
      enableOfflineQueue: false,
      slotsRefreshInterval: o.slotsRefreshIntervalMs ?? 1000,
      clusterRetryStrategy: (n: number) => Math.min(50 * 2 ** Math.min(n, 6), 1000),
      redisOptions: {
        // No CLIENT SETINFO: the bus user may run only what the bus needs.
        disableClientInfo: true,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        connectionName: `${o.origin}-bus`,
      },
    });
    this.#cluster.on('error', () => undefined);
    this.#cluster.on('nodeError', () => undefined);
    this.#cluster.on('ready', () => {
      this.#ready = true;
      this.#subscribe([...this.#rooms]);
    });
    this.#cluster.on('end', () => { this.#ready = false; });
    this.#cluster.on('subscribersReady', () => o.onResubscribed?.());
    this.#cluster.on('smessageBuffer', (channel: Buffer, payload: Buffer) => {
      if (!receiveBusMessage(channel.toString(), payload.toString(), this.#mac, o, this.#own)) this.#rejected += 1;
    });
  }

  join(room: string): void {
    if (this.#rooms.has(room)) return;
    this.#rooms.add(room);
    this.#subscribe([room]);
  }

  leave(room: string): void {
    if (!this.#rooms.delete(room)) return;
    if (this.#ready) this.#cluster.sunsubscribe(roomChannel(room)).catch(() => undefined);
  }

  /** One SSUBSCRIBE per room: a command's channels must share a slot. */
  #subscribe(rooms: string[]): void {
    if (this.#silenced || !this.#ready) return;
    for (const r of rooms) this.#cluster.ssubscribe(roomChannel(r)).catch(() => undefined);
  }

  publish(room: string, frame: string): void {
    if (!this.#ready) {
      this.#publishErrors += 1;
      return;
    }
    this.#cluster.spublish(roomChannel(room), this.#own.remember(encodeBusMessage({ type: 'msg', origin: this.#o.origin, frame }, room, this.#mac))).catch(() => { this.#publishErrors += 1; });
  }

  silence(on: boolean): void {
    this.#silenced = on;
    if (on) for (const r of this.#rooms) this.#cluster.sunsubscribe(roomChannel(r)).catch(() => undefined);
    else this.#subscribe([...this.#rooms]);
  }

  /** One pipeline per hash tag (a cluster pipeline's keys must share a slot): the counts of one second go together. */
  async addAll(counts: readonly { key: string; by: number }[], ttlSeconds: number): Promise<number[]> {
    const groups = new Map<string, number[]>();
    counts.forEach((c, i) => {
      const tag = /\{([^}]*)\}/.exec(c.key)?.[1] ?? c.key;
      groups.set(tag, [...(groups.get(tag) ?? []), i]);
    });
    const totals: number[] = new Array(counts.length);
    await Promise.all([...groups.values()].map(async (idxs) => {
      const t = await addCounts(this.#cluster.pipeline(), idxs.map((i) => counts[i]!), ttlSeconds);
      idxs.forEach((i, k) => { totals[i] = t[k]!; });
    }));
    return totals;
  }

  get status(): BusStatus {
    const s = this.#cluster.status;
    return { publisher: s, subscriber: s, rooms: this.#rooms.size, probeFailures: 0, publishErrors: this.#publishErrors, rejected: this.#rejected };
  }

  async close(): Promise<void> {
    this.#cluster.disconnect();
  }
}
