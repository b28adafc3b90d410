import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCore } from '../cluster/core-process.js';
import { startRedisServer, type RedisServerHandle } from '../cluster/redis-server.js';
import type { SystemUnderLoad } from './system-under-load.js';
import { HealthBody, type WriterName } from '../../src/protocol/index.js';

/** Bound on every worker's Redis connections becoming ready. */
const BUS_READY_TIMEOUT_MS = 20_000;

/** A worker's GET /health (`healthUrl`, on its admin port), read with the core's own schema. */
async function readHealth(healthUrl: string): Promise<HealthBody> {
  return HealthBody.parse(await (await fetch(healthUrl)).json());
}

/** Waits until the worker's /health (`healthUrl`) says both Redis connections are ready (a worker listens before they are). */
async function waitBusReady(healthUrl: string): Promise<void> {
  const deadline = performance.now() + BUS_READY_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const { redis } = await readHealth(healthUrl);
      if (redis.publisher === 'ready' && redis.subscriber === 'ready') return;
      last = JSON.stringify(redis);
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the worker at ${healthUrl} did not get its Redis connections ready within ${BUS_READY_TIMEOUT_MS} ms (${last})`);
}

/** Options of `startDeliverylab`: the core's defaults unless a diagnostic changes one thing. */
export interface DeliverylabOptions {
  workers: number;
  dir: string;
  /** The system's name in the table. @default 'deliverylab' */
  name?: string;
  /** @default the core's ('primary') */
  writer?: WriterName;
  /** @default the core's ('FULL') */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /**
   * The core's send path in one process (`startCore({ inProcess: true })`): it serves as worker 0 and
   * commits itself; no primary, no IPC, no Redis. `workers` must be 1. @default false
   */
  inProcess?: boolean;
}

function describe(o: DeliverylabOptions): string {
  const sync = `SQLite WAL synchronous=${o.synchronous ?? 'FULL'}`;
  if (o.inProcess) return `ONE process, the core's own send path (--in-process): uWS → parseFrame → GroupCommit → ${sync} → ack → uWS topic fan-out; no primary, no IPC, no Redis`;
  const writer = (o.writer ?? 'primary') === 'primary' ? 'one writer (the primary commits for every worker)' : 'every worker commits on its own connection (write-lock contention)';
  return `${o.workers} uWS worker${o.workers > 1 ? 's' : ''} (node:cluster) + redis-server + ${sync}, ${writer}`;
}

/**
 * Starts the real core with `startCore`: a lab-started redis-server, the primary and `workers` uWS
 * workers, SQLite with the core's defaults unless `o` changes one; or, with `inProcess`, the core alone
 * in one process (no redis-server is started).
 */
export async function startDeliverylab(o: DeliverylabOptions): Promise<SystemUnderLoad & { slotUrl(slot: number): string; workerPid(slot: number): number | undefined }> {
  if (o.inProcess && o.workers !== 1) throw new Error('the in-process core is one process: workers must be 1');
  const name = o.name ?? 'deliverylab';
  const redisLog = join(o.dir, `redis-${name}.log`);
  const redis: RedisServerHandle | undefined = o.inProcess ? undefined : await startRedisServer({ logFile: redisLog });
  try {
    const dbFile = join(o.dir, `${name}.sqlite`);
    const core = await startCore({
      workers: o.workers, db: dbFile, redisUrls: redis ? [redis.url] : [], logFile: join(o.dir, `${name}-core.log`),
      ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}), ...(o.inProcess ? { inProcess: true } : {}),
      // The load clients name themselves with ?user= (thousands of users in separate processes): the
      // bench measures the cost of messages, and a token is checked once per connection.
      insecureDevUsers: true,
    });
    try {
      if (redis) for (let k = 0; k < o.workers; k++) await waitBusReady(core.adminUrl(k, '/health'));
    } catch (e) {
      await core.stop();
      throw e;
    }
    const processes = new Map<string, number>();
    if (o.inProcess) processes.set('core', core.primaryPid);
    else {
      processes.set('primary', core.primaryPid);
      for (let k = 0; k < o.workers; k++) processes.set(`worker-${k}`, core.pid(k)!);
    }
    if (redis) processes.set('redis', redis.pid);
    return {
      name,
      description: describe(o),
      dialect: 'wire',
      urls: Array.from({ length: o.workers }, (_, k) => core.slotUrl(k)),
      dbFile,
      processes,
      slotUrl: (slot) => core.slotUrl(slot),
      health: async () => {
        const out: Record<string, unknown> = {};
        for (let k = 0; k < o.workers; k++) {
          try {
            const h = await readHealth(core.adminUrl(k, '/health'));
            out[`worker-${k}`] = { redisProbeFailures: h.redis.probeFailures ?? 0, redisPublishErrors: h.redis.publishErrors ?? 0 };
          } catch (e) {
            out[`worker-${k}`] = { error: String(e) };
          }
        }
        // Redis closes a subscriber that lags too far behind (client-output-buffer-limit pubsub): its messages are gone.
        const log = redis && existsSync(redisLog) ? readFileSync(redisLog, 'utf8') : '';
        if (redis) out['redis'] = { subscribersClosedForOutputBuffer: log.split('\n').filter((l) => l.includes('overcoming of output buffer limits')).length };
        return out;
      },
      workerPid: (slot) => core.pid(slot),
      stop: async () => {
        await core.stop().catch(() => undefined);
        await redis?.stop().catch(() => undefined);
      },
    };
  } catch (e) {
    await redis?.stop().catch(() => undefined);
    throw e;
  }
}
