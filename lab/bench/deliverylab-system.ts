import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCore } from '../cluster/core-process.js';
import { startRedisServer } from '../cluster/redis-server.js';
import type { SystemUnderLoad } from './system-under-load.js';
import type { WriterName } from '../../src/protocol/index.js';

/** Bound on every worker's Redis connections becoming ready. */
const BUS_READY_TIMEOUT_MS = 20_000;

/** Waits until worker `slotWsUrl`'s /health says both Redis connections are ready (a worker listens before they are). */
async function waitBusReady(slotWsUrl: string): Promise<void> {
  const u = new URL(slotWsUrl);
  const deadline = performance.now() + BUS_READY_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const h = (await (await fetch(`http://${u.host}/health`)).json()) as { redis?: { publisher?: string; subscriber?: string } };
      if (h.redis?.publisher === 'ready' && h.redis.subscriber === 'ready') return;
      last = JSON.stringify(h.redis);
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the worker at ${slotWsUrl} did not get its Redis connections ready within ${BUS_READY_TIMEOUT_MS} ms (${last})`);
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
}

/** Starts the real deliverylab cluster: a lab-started redis-server, the primary and `workers` uWS workers, SQLite with the core's defaults unless `o` changes one. */
export async function startDeliverylab(o: DeliverylabOptions): Promise<SystemUnderLoad & { slotUrl(slot: number): string; workerPid(slot: number): number | undefined }> {
  const name = o.name ?? 'deliverylab';
  const redisLog = join(o.dir, `redis-${name}.log`);
  const redis = await startRedisServer({ logFile: redisLog });
  try {
    const dbFile = join(o.dir, `${name}.sqlite`);
    const core = await startCore({
      workers: o.workers, db: dbFile, redisUrls: [redis.url], logFile: join(o.dir, `${name}-core.log`),
      ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}),
    });
    try {
      for (let k = 0; k < o.workers; k++) await waitBusReady(core.slotUrl(k));
    } catch (e) {
      await core.stop();
      throw e;
    }
    const processes = new Map<string, number>([['primary', core.primaryPid]]);
    for (let k = 0; k < o.workers; k++) processes.set(`worker-${k}`, core.pid(k)!);
    processes.set('redis', redis.pid);
    return {
      name,
      description: `${o.workers} uWS worker${o.workers > 1 ? 's' : ''} (node:cluster) + redis-server + SQLite WAL synchronous=${o.synchronous ?? 'FULL'}, ${(o.writer ?? 'primary') === 'primary' ? 'one writer (the primary commits for every worker)' : 'every worker commits on its own connection (write-lock contention)'}`,
      dialect: 'wire',
      urls: Array.from({ length: o.workers }, (_, k) => core.slotUrl(k)),
      dbFile,
      processes,
      slotUrl: (slot) => core.slotUrl(slot),
      health: async () => {
        const out: Record<string, unknown> = {};
        for (let k = 0; k < o.workers; k++) {
          const u = new URL(core.slotUrl(k));
          try {
            const h = (await (await fetch(`http://${u.host}/health`)).json()) as { redis?: { probeFailures?: number; publishErrors?: number } };
            out[`worker-${k}`] = { redisProbeFailures: h.redis?.probeFailures ?? 0, redisPublishErrors: h.redis?.publishErrors ?? 0 };
          } catch (e) {
            out[`worker-${k}`] = { error: String(e) };
          }
        }
        // Redis closes a subscriber that lags too far behind (client-output-buffer-limit pubsub): its messages are gone.
        const log = existsSync(redisLog) ? readFileSync(redisLog, 'utf8') : '';
        out['redis'] = { subscribersClosedForOutputBuffer: log.split('\n').filter((l) => l.includes('overcoming of output buffer limits')).length };
        return out;
      },
      workerPid: (slot) => core.pid(slot),
      stop: async () => {
        await core.stop().catch(() => undefined);
        await redis.stop().catch(() => undefined);
      },
    };
  } catch (e) {
    await redis.stop().catch(() => undefined);
    throw e;
  }
}
