import { decodeBusMessage, roomOfChannel, type BusMac, type BusRejectReason } from '../protocol/index.js';

/** The bus's view of Redis, for /health and metrics. */
export interface BusStatus { publisher: string; subscriber: string; rooms: number; probeFailures: number; publishErrors: number; rejected: number }

/** What a worker needs of the bus between workers, on one redis-server (`RedisBus`) or a Redis Cluster (`ShardedRedisBus`). */
export interface Bus {
  /** Subscribes to a room's channel (when its first local member joins). */
  join(room: string): void;
  /** Unsubscribes from a room's channel (when its last local member leaves). */
  leave(room: string): void;
  /** Publishes a serialized `msg` frame on its room's channel; failures are counted, never thrown. */
  publish(room: string, frame: string): void;
  /** Failpoint redis.unsubscribe: drop every subscription at Redis while the worker still counts its rooms. */
  silence(on: boolean): void;
  /** Adds each count to its key (made to expire after `ttlSeconds`) and resolves with the totals (`UserRateLimit`). */
  addAll(counts: readonly { key: string; by: number }[], ttlSeconds: number): Promise<number[]>;
  readonly status: BusStatus;
  close(): Promise<void>;
}

/** How many of its own publishes a worker remembers to know their echoes without checking them (about a second of them at saturation; an older echo is checked in full). */
const RECENT_OWN = 16_384;

/**
 * The MACs of a worker's own recent publishes: Redis sends every one back to it (it subscribes to the rooms it
 * publishes in), and an echo whose MAC is one of these is dropped unread, with a Set lookup instead of an HMAC,
 * a JSON parse and a schema check (7 µs per message on this machine, the bench's micro-benchmarks). Anything
 * else that claims the worker's origin (an echo older than the window, or a forgery) is checked in full.
 */
export class OwnPublishes {
  readonly #macs = new Set<string>();
  /** The same MACs in the order they were published, in a ring: the oldest is forgotten first. */
  readonly #ring: (string | undefined)[] = new Array<string | undefined>(RECENT_OWN);
  #next = 0;

  /** Remembers the MAC of an envelope this worker is publishing (`m <origin> <mac>\n<frame>`); returns the envelope. */
  remember(envelope: string): string {
    const sp = envelope.indexOf(' ', 2);
    const mac = envelope.slice(sp + 1, envelope.indexOf('\n', sp));
    // A ring, not the Set's first entry: V8 leaves a deleted entry's slot in the Set's table until it is
    // rebuilt, and finding the first live entry walks over them: about 4 µs per message at saturation (NOTES.md).
    const oldest = this.#ring[this.#next];
    if (oldest !== undefined) this.#macs.delete(oldest);
    this.#ring[this.#next] = mac;
    this.#next = (this.#next + 1) % RECENT_OWN;
    this.#macs.add(mac);
    return envelope;
  }

  has(mac: string): boolean {
    return this.#macs.has(mac);
  }
}

/** What both buses are told about what they receive. */
export interface BusReceiveOptions {
  /** This worker's identity on the bus; its own echoes are ignored. */
  origin: string;
  /** Called for each received message dropped, with why (counted in /metrics). */
  onRejected?: (reason: BusRejectReason) => void;
  /** Called with a room, a serialized `msg` frame published by another worker, and that worker's bus origin (`w<slot>:<pid>`). */
  onMessage: (room: string, frame: string, origin: string) => void;
}

/**
 * Judges one message received on a channel: a room's channel, a payload that verifies under the node's
 * key for that room, from another worker. Returns false when it was dropped (`onRejected` is told why).
 */
export function receiveBusMessage(channel: string, payload: string, mac: BusMac, o: BusReceiveOptions, own?: OwnPublishes): boolean {
  // This worker's own recent publishes come back from Redis: dropped unread (its clients had them from the local
  // fan-out). Only an envelope with its exact origin and the MAC of one of them; anything else is checked below.
  const end = 2 + o.origin.length;
  if (own && payload.startsWith('m ') && payload.startsWith(o.origin, 2) && payload[end] === ' ') {
    const nl = payload.indexOf('\n', end);
    if (nl > end && own.has(payload.slice(end + 1, nl))) return true;
  }
  const room = roomOfChannel(channel);
  const d = room === undefined ? undefined : decodeBusMessage(payload, room, mac);
  if (room === undefined || !d?.ok) {
    o.onRejected?.(d?.ok === false ? d.reason : 'bad_schema');
    return false;
  }
  const m = d.message;
  switch (m.type) {
    case 'msg': if (m.origin !== o.origin) o.onMessage(room, m.frame, m.origin);
  }
  return true;
}

/** Adds counts through a pipeline of INCRBY and EXPIRE (one round trip; on a cluster, the keys share one hash slot). */
export async function addCounts(pipeline: { incrby(k: string, by: number): unknown; expire(k: string, s: number): unknown; exec(): Promise<[Error | null, unknown][] | null> }, counts: readonly { key: string; by: number }[], ttlSeconds: number): Promise<number[]> {
  for (const c of counts) {
    pipeline.incrby(c.key, c.by);
    pipeline.expire(c.key, ttlSeconds);
  }
  const replies = (await pipeline.exec()) ?? [];
  return counts.map((_, i) => {
    const [err, total] = replies[2 * i] ?? [new Error('no reply'), 0];
    if (err) throw err;
    return Number(total);
  });
}
