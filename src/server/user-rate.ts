import { MAX_SENDS_PER_USER_PER_SEC } from '../protocol/index.js';

/** Where the counts of every worker meet: Redis (`INCRBY` on a key that expires). */
export interface SharedCounter {
  /** Adds each count to its key (which expires after `ttlSeconds`) and resolves with each key's new total, in order. */
  addAll(counts: readonly { key: string; by: number }[], ttlSeconds: number): Promise<number[]>;
}

/** How often a worker adds its users' sends to the shared counts and reads the totals back. */
const SYNC_MS = 100;

/**
 * Sends per second per user, across all of the user's connections and every worker of the node: each
 * worker counts its own users' sends in the current second and adds them to the shared count in
 * Redis every SYNC_MS; a user whose total for the second is over the limit has further sends refused
 * (`rate_limited`) on this worker until the second is over. The overshoot is bounded by what every
 * worker accepts in one SYNC_MS. Without Redis (a node of one worker, or no bus) the count is local.
 */
export class UserRateLimit {
  readonly #shared: SharedCounter | undefined;
  readonly #max: number;
  readonly #now: () => number;
  /** The second the counts are of (epoch seconds). */
  #second = 0;
  /** This worker's sends not yet added to the shared count, by second, then user: a second's sends are added even once it is over. */
  #pending = new Map<number, Map<string, number>>();
  /** This worker's sends per user this second in all, and the shared totals last read. */
  #local = new Map<string, number>();
  #total = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(o: { shared: SharedCounter | undefined; max?: number; now?: () => number }) {
    this.#shared = o.shared;
    this.#max = o.max ?? MAX_SENDS_PER_USER_PER_SEC;
    this.#now = o.now ?? Date.now;
    if (this.#shared) {
      this.#timer = setInterval(() => void this.sync(), SYNC_MS);
      this.#timer.unref();
    }
  }

  /** Counts one send of `user`; false when the user is over the limit for this second. */
  take(user: string): boolean {
    this.#roll();
    const local = (this.#local.get(user) ?? 0) + 1;
    let pending = this.#pending.get(this.#second);
    const seen = Math.max(this.#total.get(user) ?? 0, 0) + (pending?.get(user) ?? 0) + 1;
    if (local > this.#max || seen > this.#max) return false;
    this.#local.set(user, local);
    if (!pending) this.#pending.set(this.#second, (pending = new Map()));
    pending.set(user, (pending.get(user) ?? 0) + 1);
    return true;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  #roll(): void {
    const second = Math.floor(this.#now() / 1000);
    if (second === this.#second) return;
    this.#second = second;
    this.#local = new Map();
    this.#total = new Map();
  }

  /** Adds this worker's counts to the shared ones and reads the totals back (every SYNC_MS by itself). */
  async sync(): Promise<void> {
    this.#roll();
    if (this.#pending.size === 0 || !this.#shared) return;
    // The second is a hash tag: on a Redis Cluster one second's counts share a shard, and one pipeline adds them all.
    const batch = [...this.#pending].flatMap(([second, users]) => [...users].map(([user, by]) => ({ key: `dl:rate:{${second}}:${user}`, second, user, by })));
    this.#pending = new Map();
    try {
      const totals = await this.#shared.addAll(batch, 2);
      batch.forEach((b, i) => {
        if (b.second === this.#second) this.#total.set(b.user, totals[i] ?? 0);
      });
    } catch {
      // Redis unreachable: the local counts still bound each worker; the shared count resumes with Redis.
    }
  }
}
