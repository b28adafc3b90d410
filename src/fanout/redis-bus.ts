import { Redis } from 'ioredis';
import { encodeBusMessage, roomChannel, type BusMac } from '../protocol/index.js';
import { createBusMac } from './bus-mac.js';
import { canPublishAll, PUBLISH_ALL_FUNCTION, PUBLISH_ALL_MAX } from './publish-all.js';
import { addCounts, OwnPublishes, receiveBusMessage, type Bus, type BusReceiveOptions, type BusStatus } from './bus.js';

/** Options of a RedisBus. */
export interface RedisBusOptions extends BusReceiveOptions {
  /**
   * A redis:// URL, a unix:// URL or a unix socket path (in the lab: this worker's fault proxy); its
   * credentials, if any (`redis://:password@host:port`, `unix://user:password@/path`), are the AUTH
   * every connection sends first.
   */
  url: string;
  /** The node's bus key (hex, `BusKey`): every message published is signed with it, every message received must verify. */
  key: string;
  /** Called when the subscriber (re)connects, so the worker can tell its clients the heads at once. */
  onResubscribed?: () => void;
  /** How often both connections are probed with PING. @default 1000 */
  probeIntervalMs?: number;
  /** A PING unanswered this long marks the connection dead and reconnects it (a blackholed link is otherwise invisible). @default 2000 */
  probeTimeoutMs?: number;
}


/**
 * Redis pub/sub between workers: ephemeral coordination, never truth. A publish that fails is
 * dropped (clients find the gap through database heads); a subscription reconnects by itself.
 */
export class RedisBus implements Bus {
  #pub: Redis;
  #sub: Redis;
  /**
   * Whether the server has the bus's function and lets this worker call it (found out on each
   * connect): then a turn's publishes leave in one FCALL; until then, or without it, one PUBLISH each.
   */
  #publishAll = false;
  /** This turn's publishes as (channel, payload) pairs, when they go out together. */
  #queue: string[] = [];
  #opts: RedisBusOptions;
  #rooms = new Set<string>();
  #probe: NodeJS.Timeout;
  #probeFailures = 0;
  #publishErrors = 0;
  /** Bus messages that failed validation (a foreign publisher, a forged MAC, a corrupt payload): dropped, never forwarded. */
  #rejected = 0;
  #mac: BusMac;
  /** Its own recent publishes, whose echoes are dropped unread. */
  readonly #own = new OwnPublishes();
  #closed = false;
  #silenced = false;
  /** When each connection last proved alive (a message received, a publish answered). */
  #lastHeard = new Map<Redis, number>();
  /** Since when each connection has been trying to connect (a handshake into a blackhole never ends). */
  #connectingSince = new Map<Redis, number>();

  constructor(opts: RedisBusOptions) {
    this.#opts = opts;
    this.#mac = createBusMac(opts.key);
    const common = {
      lazyConnect: false,
      // No CLIENT SETINFO: the embedded Redis's bus user may run only what the bus needs.
      disableClientInfo: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      retryStrategy: (n: number) => Math.min(50 * 2 ** Math.min(n, 6), 1000),
    };
    // No retry of a command in flight when the connection drops: ioredis would send it again on the
    // reconnect, and a publish Redis had already run (up to PUBLISH_ALL_MAX messages a call) would go
    // out twice, after later ones. Each is failed and counted instead, once.
    this.#pub = new Redis(opts.url, { ...common, maxRetriesPerRequest: 0, enableAutoPipelining: true, connectionName: `${opts.origin}-pub` });
    // The set of rooms is the truth; Redis subscriptions are derived from it on every (re)connect,
    // so a room joined while the subscriber was down is subscribed as soon as it is back.
    this.#sub = new Redis(opts.url, { ...common, connectionName: `${opts.origin}-sub`, autoResubscribe: false });
    for (const r of [this.#pub, this.#sub]) r.on('error', () => undefined);
    // Both kinds of publish share this connection's auto-pipeline, so they leave in the order they were made.
    this.#pub.on('ready', () => {
      this.#publishAll = false;
      void canPublishAll(this.#pub).then((yes) => { if (this.#pub.status === 'ready') this.#publishAll = yes; });
    });
    let firstReady = true;
    this.#sub.on('ready', () => {
      this.#subscribe([...this.#rooms]);
      if (!firstReady) opts.onResubscribed?.();
      firstReady = false;
    });
    this.#sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      this.#lastHeard.set(this.#sub, performance.now());
      if (!receiveBusMessage(channel.toString(), payload.toString(), this.#mac, opts, this.#own)) this.#rejected += 1;
    });
    this.#probe = setInterval(() => void this.#probeAll(), opts.probeIntervalMs ?? 1000);
    this.#probe.unref();
  }

  /** Subscribes to a room's channel (call when its first local member joins). */
  join(room: string): void {
    if (this.#rooms.has(room)) return;
    this.#rooms.add(room);
    this.#subscribe([room]);
  }

  /** Unsubscribes from a room's channel (call when its last local member leaves). */
  leave(room: string): void {
    if (!this.#rooms.delete(room)) return;
    if (this.#sub.status === 'ready') this.#sub.unsubscribe(roomChannel(room)).catch(() => undefined);
  }

  #subscribe(rooms: string[]): void {
    if (this.#silenced || rooms.length === 0 || this.#sub.status !== 'ready') return;
    // A failure here means the connection dropped; the next 'ready' subscribes every room again.
    this.#sub.subscribe(...rooms.map(roomChannel)).catch(() => undefined);
  }

  /**
   * Publishes a serialized `msg` frame on its room's channel; failures are counted, never thrown. With
   * the bus's function, the publishes of one turn (a group commit's sends resume together) leave in one
   * FCALL: one command and one reply for the lot (the bench's cost per message).
   */
  publish(room: string, frame: string): void {
    if (this.#pub.status !== 'ready') {
      this.#publishErrors += 1;
      return;
    }
    const payload = this.#own.remember(encodeBusMessage({ type: 'msg', origin: this.#opts.origin, frame }, room, this.#mac));
    // Behind a queued turn even when the function was lost meanwhile: a message must not pass those queued before it.
    if (!this.#publishAll && this.#queue.length === 0) return this.#publishOne(roomChannel(room), payload);
    if (this.#queue.push(roomChannel(room), payload) === 2) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += 2 * PUBLISH_ALL_MAX) {
      const part = queue.slice(i, i + 2 * PUBLISH_ALL_MAX);
      if (part.length === 2 || !this.#publishAll) {
        for (let j = 0; j < part.length; j += 2) this.#publishOne(part[j]!, part[j + 1]!);
        continue;
      }
      this.#pub.call('FCALL', PUBLISH_ALL_FUNCTION, '0', ...part).then(
        () => void this.#lastHeard.set(this.#pub, performance.now()),
        () => {
          // Lost, as a failed PUBLISH is (never sent again: a copy could pass later messages). The function
          // gone (a restarted server not yet reconnected): one PUBLISH each until the next connect finds it.
          this.#publishErrors += part.length / 2;
          this.#publishAll = false;
        },
      );
    }
  }

  #publishOne(channel: string, payload: string): void {
    this.#pub.publish(channel, payload).then(
      () => void this.#lastHeard.set(this.#pub, performance.now()),
      () => { this.#publishErrors += 1; },
    );
  }

  /** Failpoint redis.unsubscribe: drop every subscription at Redis while the worker still counts its rooms. */
  silence(on: boolean): void {
    this.#silenced = on;
    if (on) this.#sub.unsubscribe().catch(() => undefined);
    else this.#subscribe([...this.#rooms]);
  }

  /** The state of both connections. */
  /** Adds each count to its key (made to expire after `ttlSeconds`) in one round trip, and resolves with the totals: the node's shared counts (`UserRateLimit`). */
  async addAll(counts: readonly { key: string; by: number }[], ttlSeconds: number): Promise<number[]> {
    return addCounts(this.#pub.pipeline(), counts, ttlSeconds);
  }

  get status(): BusStatus {
    return { publisher: this.#pub.status, subscriber: this.#sub.status, rooms: this.#rooms.size, probeFailures: this.#probeFailures, publishErrors: this.#publishErrors, rejected: this.#rejected };
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#probe);
    this.#pub.disconnect();
    this.#sub.disconnect();
  }

  async #probeAll(): Promise<void> {
    const timeoutMs = this.#opts.probeTimeoutMs ?? 2000;
    await Promise.all([this.#pub, this.#sub].map(async (r) => {
      if (r.status === 'connect' || r.status === 'connecting') {
        // ioredis has no timeout once TCP is up: a handshake swallowed by a blackhole waits for ever.
        const since = this.#connectingSince.get(r) ?? performance.now();
        this.#connectingSince.set(r, since);
        if (performance.now() - since > timeoutMs && !this.#closed) {
          this.#connectingSince.delete(r);
          this.#probeFailures += 1;
          r.disconnect(true);
        }
        return;
      }
      this.#connectingSince.delete(r);
      // Traffic is proof of life: a busy connection is not PINGed (its PONG would queue behind the traffic).
      if (r.status !== 'ready' || performance.now() - (this.#lastHeard.get(r) ?? 0) < timeoutMs) return;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs); });
      const outcome = await Promise.race([r.ping().then(() => 'ok' as const, () => 'error' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'ok') this.#lastHeard.set(r, performance.now());
      if (outcome !== 'ok' && !this.#closed) {
        this.#probeFailures += 1;
        r.disconnect(true);
      }
    }));
  }
}
